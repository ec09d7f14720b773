"""Personnummer encryption: Fernet keys from KASSAN_PII_KEYS, rotation, and production's
refusal to run without keys."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from ledger.config import from_environment
from ledger.errors import ConfigError, PiiError
from ledger.services import pii


def test_a_personnummer_round_trips_and_is_not_in_clear_in_the_token():
    crypt = pii.cipher({"PII_KEYS": Fernet.generate_key().decode(), "KASSAN_ENV": "test"})
    token = pii.encrypt(crypt, "19811218-9876")
    assert "9876" not in token and "811218" not in token
    assert pii.decrypt(crypt, token) == "19811218-9876"


def test_the_first_key_encrypts_and_every_key_decrypts_so_keys_can_rotate():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = pii.cipher({"PII_KEYS": old})
    token = pii.encrypt(before, "19811218-9876")
    after = pii.cipher({"PII_KEYS": f"{new}, {old}"})
    assert pii.decrypt(after, token) == "19811218-9876"
    rotated = pii.rotate(after, token)
    assert pii.decrypt(pii.cipher({"PII_KEYS": new}), rotated) == "19811218-9876"
    with pytest.raises(PiiError):
        pii.decrypt(pii.cipher({"PII_KEYS": new}), token)


def test_development_and_test_derive_a_stable_key_when_none_is_set():
    token = pii.encrypt(pii.cipher({"KASSAN_ENV": "development"}), "19811218-9876")
    assert pii.decrypt(pii.cipher({"KASSAN_ENV": "test", "PII_KEYS": ""}), token) == "19811218-9876"


def test_production_refuses_to_run_without_pii_keys():
    with pytest.raises(ConfigError, match="KASSAN_PII_KEYS"):
        pii.cipher({"KASSAN_ENV": "production"})
    env = {
        "KASSAN_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": "sqlite://",
        "KASSAN_ORGANISATION_NUMBER": "556265-1892",
    }
    with pytest.raises(ConfigError, match="KASSAN_PII_KEYS"):
        from_environment("/tmp", env)
    config = from_environment("/tmp", {**env, "KASSAN_PII_KEYS": Fernet.generate_key().decode()})
    assert pii.cipher(config)


def test_a_malformed_key_is_refused_with_its_position():
    with pytest.raises(ConfigError, match="key 2"):
        pii.cipher({"PII_KEYS": f"{Fernet.generate_key().decode()},not-a-key"})
