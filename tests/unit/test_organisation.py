"""The organisation number: spellings of one number compare equal, and production refuses to
start with the placeholder or a number whose check digit is wrong."""

import pytest
from cryptography.fernet import Fernet

from ledger import organisation
from ledger.config import from_environment
from ledger.errors import ConfigError

PRODUCTION = {
    "KASSAN_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "DATABASE_URL": "sqlite://",
    "KASSAN_PII_KEYS": Fernet.generate_key().decode(),
}


@pytest.mark.parametrize("spelling", ["556265-1892", "5562651892", "16556265-1892", "556265 1892"])
def test_spellings_of_one_number_are_the_same_organisation(spelling):
    assert organisation.same(spelling, "556265-1892")


@pytest.mark.parametrize("other", ["556265-1893", "", "5562651892x", "16556265-18"])
def test_another_number_or_none_is_not_ours(other):
    assert not organisation.same(other, "556265-1892")


def test_production_refuses_to_start_without_our_own_number():
    with pytest.raises(ConfigError, match="placeholder 802000-0000"):
        from_environment("/tmp", PRODUCTION)
    with pytest.raises(ConfigError, match="placeholder"):
        from_environment("/tmp", {**PRODUCTION, "KASSAN_ORGANISATION_NUMBER": "8020000000"})
    with pytest.raises(ConfigError, match="check digit"):
        from_environment("/tmp", {**PRODUCTION, "KASSAN_ORGANISATION_NUMBER": "556265-1893"})
    config = from_environment("/tmp", {**PRODUCTION, "KASSAN_ORGANISATION_NUMBER": "556265-1892"})
    assert config["ORGANISATION_NUMBER"] == "556265-1892"


def test_development_keeps_the_placeholder_for_local_use():
    config = from_environment("/tmp", {"KASSAN_ENV": "development"})
    assert config["ORGANISATION_NUMBER"] == organisation.PLACEHOLDER
