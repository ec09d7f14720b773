"""Our accounts in the tests (issue 11, rule 4): the importer takes only files for accounts that
are ours, so the tests that import files make theirs ours here.

The test template already lists the generated camt files' IBAN in ``bank_accounts``
(tests/conftest.py). Our bankgiro and Swish number come from the app's configuration:
Bankgirot's example bankgiro 991-2346, which the generated camt files and every BgMax sample
are for, and the Swish number of Handelsbanken's Swish report samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.support.camt_files import BANKGIRO
from webhooks.bankfiles.importer import ImportResult, import_file

SWISH_NUMBER = "1235524400"
OURS: dict[str, str] = {"BANKGIRO": BANKGIRO, "SWISH_PAYEE_NUMBER": SWISH_NUMBER}


def import_ours(
    engine: Engine,
    data: Any,
    filename: str,
    *,
    mail_config: Mapping[str, object] | None = None,
    **options: Any,
) -> ImportResult:
    """``import_file`` with our bankgiro and Swish number configured."""
    return import_file(
        engine, data, filename, mail_config={**(mail_config or {}), **OURS}, **options
    )


@pytest.fixture(name="ours_in_app")
def ours_in_app_fixture(app: Any) -> None:
    """The app knows our bankgiro and Swish number (the desk, the API and ``kassan import``)."""
    app.config.update(OURS)
