"""``KASSAN_RETRY_AFTER_SECONDS``: the ``Retry-After`` of the 503 a database fault of the
moment answers (kassan.web.errors); 5 s unless set, and a value outside 1..300 stops the start."""

from __future__ import annotations

import pytest

from ledger.config import from_environment
from ledger.errors import ConfigError


def test_the_retry_after_is_five_seconds_unless_set(tmp_path):
    assert from_environment(tmp_path, {})["RETRY_AFTER_SECONDS"] == 5
    env = {"KASSAN_RETRY_AFTER_SECONDS": "30"}
    assert from_environment(tmp_path, env)["RETRY_AFTER_SECONDS"] == 30


@pytest.mark.parametrize("raw", ["0", "301", "2.5", "soon"])
def test_a_retry_after_that_is_no_whole_number_of_seconds_from_1_to_300_stops_the_start(
    tmp_path, raw
):
    with pytest.raises(ConfigError, match="KASSAN_RETRY_AFTER_SECONDS must be a whole number"):
        from_environment(tmp_path, {"KASSAN_RETRY_AFTER_SECONDS": raw})
