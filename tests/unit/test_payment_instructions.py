"""Bankgiro numbers and the prefilled Swish payment: the settings are checked before a donor
ever sees them, and the QR payload and app link lock payee, amount and message."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from ledger.config import from_environment
from ledger.errors import ConfigError
from ledger.money import Money
from ledger.payment_instructions import (
    format_bankgiro,
    is_valid_bankgiro,
    is_valid_swish_number,
    qr_svg,
    swish_app_link,
    swish_qr_payload,
)


@pytest.mark.parametrize(
    ("number", "formatted"), [("5050-1055", "5050-1055"), ("991 2346", "991-2346")]
)
def test_bankgiro_numbers_are_checked_with_their_mod_10_digit_and_formatted(number, formatted):
    assert is_valid_bankgiro(number)
    assert format_bankgiro(number) == formatted


@pytest.mark.parametrize("number", ["5050-1056", "123456", "505010550", "5050-105x", ""])
def test_a_wrong_bankgiro_number_is_refused(number):
    assert not is_valid_bankgiro(number)
    with pytest.raises(ValueError):
        format_bankgiro(number)


def test_swish_numbers_are_ten_digits_for_a_business_or_a_fundraiser():
    assert is_valid_swish_number("123 118 11 89") and is_valid_swish_number("9001234567")
    assert not is_valid_swish_number("0701234567") and not is_valid_swish_number("12311811")


def test_the_qr_payload_locks_payee_amount_and_message():
    payload = swish_qr_payload("123 118 11 89", Money(1_234_50), "10000180")
    assert payload == "C1231181189;1234,50;10000180;0"
    assert swish_qr_payload("1231181189", Money(20_00), "a b/c") == "C1231181189;20,00;a%20b%2Fc;0"
    with pytest.raises(ValueError):
        swish_qr_payload("1231181189", Money(100, "EUR"), "1")


def test_the_app_link_carries_the_same_locked_payment_as_json():
    link = swish_app_link("1231181189", Money(150_05), "10000180")
    assert link.startswith("swish://payment?data=")
    raw = unquote(link.split("data=", 1)[1])
    assert '"value":150.05' in raw  # a JSON number written from öre, never through a float
    assert json.loads(raw)["message"] == {"value": "10000180", "editable": False}


def test_the_qr_code_is_inline_svg_with_a_title_and_no_styles():
    svg = qr_svg("C1231181189;20,00;10000180;0", title="Swish <QR>")
    assert svg.startswith("<svg") and 'class="qr"' in svg and "<?xml" not in svg
    assert "<title>Swish &lt;QR&gt;</title>" in svg and "style" not in svg


@pytest.mark.parametrize(
    ("name", "value"), [("KASSAN_BANKGIRO", "5050-1056"), ("SWISH_PAYEE_NUMBER", "0701234567")]
)
def test_a_wrong_number_in_the_settings_stops_the_start(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        from_environment(tmp_path, {name: value})
    assert from_environment(tmp_path, {})["BANKGIRO"] is None
    assert from_environment(tmp_path, {"KASSAN_BANKGIRO": "5050-1055"})["BANKGIRO"] == "5050-1055"
