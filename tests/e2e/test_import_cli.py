"""``kassan import``: a bank file needs no sub-command, a SIE file goes through ``import sie``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from kassan.cli.main import main
from ledger.db import tables as t
from tests.support.bank_accounts import ours_in_app_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("ours_in_app")

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
SWISH = SAMPLES / "swish" / "handelsbanken-swishrapport-kommaseparerad-daglig.csv"


def _entries(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.journal_entries)))


def test_kassan_import_sie_books_the_opening_balances_once(app, cli, engine):
    app.config["ORGANISATION_NUMBER"] = "556265-1892"  # the file's #ORGNR
    path = SAMPLES / "sie" / "BL0001_typ4.SE"
    first = cli.invoke(main, ["import", "sie", str(path)])
    assert first.exit_code == 0, first.output
    assert "ingående balanser: bokförda som M1" in first.output
    assert _entries(engine) == 1
    again = cli.invoke(main, ["import", "sie", str(path)])
    assert again.exit_code == 0, again.output
    assert _entries(engine) == 1


def test_kassan_import_sie_refuses_an_unbalanced_voucher_by_name_and_changes_nothing(
    app, cli, engine
):
    app.config["ORGANISATION_NUMBER"] = "555555-5555"  # the file's #ORGNR
    path = SAMPLES / "sie" / "transaktioner_ovnbolag-bad-balance.se"
    result = cli.invoke(main, ["import", "sie", str(path)])
    assert result.exit_code == 1
    assert "rad 3905: verifikation B 1 (2011-01-07) balanserar inte" in result.output
    assert _entries(engine) == 0


def test_kassan_import_sie_refuses_another_organisations_file_and_changes_nothing(cli, engine):
    path = SAMPLES / "sie" / "BL0001_typ4.SE"
    result = cli.invoke(main, ["import", "sie", str(path)])
    assert result.exit_code == 1
    assert "organisationsnummer 556265-1892, men bokföringen är för 802000-0000" in result.output
    assert "Traceback" not in result.output
    assert _entries(engine) == 0


def test_kassan_import_with_a_file_and_no_sub_command_imports_a_bank_file(cli, engine):
    result = cli.invoke(main, ["import", str(SWISH)])
    assert result.exit_code == 0, result.output
    assert "antal transaktioner: 2, läst: 2 [ok]" in result.output
    assert _entries(engine) == 2
    spelt_out = cli.invoke(main, ["import", "bank", str(SWISH)])
    assert spelt_out.exit_code == 1
    assert "redan" in spelt_out.output
    assert _entries(engine) == 2
