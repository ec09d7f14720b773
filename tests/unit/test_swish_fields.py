"""Swish's field rules and Kassan's instruction ids, without a network or a database."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet

from ledger.config import from_environment
from ledger.errors import ConfigError, LedgerError
from webhooks.errors import PayerNumberInvalid
from webhooks.swish import fields


@pytest.mark.parametrize(
    "written",
    [
        "070-123 45 67",
        "0701234567",
        "+46 70 123 45 67",
        "0046701234567",
        "46701234567",
        "(070) 123.45.67",
    ],
)
def test_the_ways_swedes_write_a_mobile_number_become_one_payer_alias(written):
    assert fields.payer_alias(written) == "46701234567"


@pytest.mark.parametrize(
    "written", ["", "08-123 456 78", "070-123 45", "+47 412 34 567", "0701234567x", "46812345678"]
)
def test_what_is_not_a_swedish_mobile_number_is_refused_in_swedish(written):
    with pytest.raises(PayerNumberInvalid) as caught:
        fields.payer_alias(written)
    assert caught.value.field == "payer_number"
    assert caught.value.message.startswith("Ange ett svenskt mobilnummer")


def test_a_message_keeps_only_what_swish_allows_and_at_most_fifty_characters():
    assert fields.message("Gåva 1234 Palestina & Israel <3") == "Gåva 1234 Palestina Israel 3"
    long = fields.message("Gåva " + "x" * 80)
    assert len(long) == 50
    assert re.fullmatch(r"[A-Za-z0-9åäöÅÄÖéÉüÜ :;.,?!()\-\"]*", long)


def test_amounts_go_to_swish_with_two_decimals_and_come_back_in_ore():
    assert fields.amount(12_550) == "125.50"
    assert fields.amount(100) == "1.00"
    assert fields.ore("125.50") == 12_550
    assert fields.ore(125.5) == 12_550
    assert fields.ore(300) == 30_000
    for bad in (0, -1):
        with pytest.raises(LedgerError):
            fields.amount(bad)
    with pytest.raises(LedgerError):
        fields.ore("12,50")


def test_instruction_ids_are_32_upper_hex_stable_per_attempt_and_distinct_between_attempts():
    first = fields.payment_instruction_id("ab" * 16, 1)
    assert re.fullmatch(r"[0-9A-F]{32}", first)
    assert fields.payment_instruction_id("ab" * 16, 1) == first
    assert fields.payment_instruction_id("ab" * 16, 2) != first
    assert fields.refund_instruction_id(first, 1) not in (
        first,
        fields.refund_instruction_id(first, 2),
    )


def test_a_payee_reference_is_what_swish_accepts():
    assert fields.payee_reference("10000180") == "10000180"
    with pytest.raises(LedgerError):
        fields.payee_reference("gåva 1")


def test_production_refuses_swish_handel_without_its_certificate_or_with_an_http_callback():
    env = {
        "KASSAN_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "sqlite:///x.db",
        "KASSAN_PII_KEYS": Fernet.generate_key().decode(),
        "KASSAN_ORGANISATION_NUMBER": "556265-1892",
        "SWISH_MERCHANT_NUMBER": "1234679304",
    }
    with pytest.raises(ConfigError, match="SWISH_CERT, SWISH_KEY, SWISH_CA"):
        from_environment("/tmp", env)
    env |= {"SWISH_CERT": "c.pem", "SWISH_KEY": "k.pem", "SWISH_CA": "ca.pem"}
    with pytest.raises(ConfigError, match="https"):
        from_environment(
            "/tmp", {**env, "SWISH_CALLBACK_URL": "http://kassan.example/webhooks/swish"}
        )
    config = from_environment("/tmp", env)
    assert (config["SWISH_MERCHANT_NUMBER"], config["SWISH_CA"]) == ("1234679304", "ca.pem")
