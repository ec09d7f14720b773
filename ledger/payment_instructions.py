"""What a donor needs to pay without a card: our bankgiro number, and the prefilled Swish
payment (QR code and app link) for a Swish number without a Swish Handel agreement.

Pure functions; the checkout page and, later, invoice PDFs render what they return.

Swish's prefilled QR code holds ``C<payee>;<amount>;<message>;<lock mask>`` (Swish's "QR code
encoding specification", C2B): the amount in kronor with two decimals and a decimal comma, the
message URL-encoded, and a mask whose bits say what the payer may change (payee 1, amount 2,
message 4). Mask 0 locks all three, so the reference in the message reaches our bank's Swish
report exactly as we made it. On a phone the same payment opens with a
``swish://payment?data=<URL-encoded JSON>`` link.
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

import segno
from stdnum import luhn

from ledger.money import Money

__all__ = [
    "LOCK_ALL",
    "format_bankgiro",
    "is_valid_bankgiro",
    "is_valid_swish_number",
    "qr_svg",
    "swish_app_link",
    "swish_number",
    "swish_qr_payload",
]

LOCK_ALL = 0  # no bit set: the payer can change neither payee, amount nor message
_SEPARATORS = re.compile(r"[\s-]")
_SWISH_NUMBER = re.compile(r"^(123|9\d\d)\d{7}$")  # companies 123..., fundraisers 90...


def _digits(value: str) -> str:
    return _SEPARATORS.sub("", value or "")


def is_valid_bankgiro(value: str) -> bool:
    """A bankgiro number: 7 or 8 digits whose last is a mod-10 (Luhn) check digit."""
    digits = _digits(value)
    return digits.isascii() and digits.isdigit() and len(digits) in (7, 8) and luhn.is_valid(digits)


def format_bankgiro(value: str) -> str:
    """``50501055`` -> ``5050-1055``, ``1234566`` -> ``123-4566``, as Bankgirot writes them."""
    digits = _digits(value)
    if not is_valid_bankgiro(digits):
        raise ValueError(f"not a bankgiro number: {value!r}")
    return f"{digits[:-4]}-{digits[-4:]}"


def is_valid_swish_number(value: str) -> bool:
    """A Swish number a business or fundraiser receives on: ten digits, 123... or 9xx...."""
    return bool(_SWISH_NUMBER.match(_digits(value)))


def swish_number(value: str) -> str:
    """The Swish number as its ten digits (``123 456 78 90`` -> ``1234567890``)."""
    digits = _digits(value)
    if not is_valid_swish_number(digits):
        raise ValueError(f"not a Swish number: {value!r}")
    return digits


def _kronor(amount: Money, decimal: str) -> str:
    if amount.currency != "SEK" or amount.ore <= 0:
        raise ValueError(f"Swish takes a positive amount in SEK, not {amount}")
    kr, ore = divmod(amount.ore, 100)
    return f"{kr}{decimal}{ore:02d}"


def swish_qr_payload(payee: str, amount: Money, message: str) -> str:
    """The text of a prefilled Swish QR code with payee, amount and message all locked."""
    return f"C{swish_number(payee)};{_kronor(amount, ',')};{quote(message, safe='')};{LOCK_ALL}"


def swish_app_link(payee: str, amount: Money, message: str) -> str:
    """A ``swish://`` link that opens the same locked payment in the Swish app on a phone."""
    data = {
        "version": 1,
        "payee": {"value": swish_number(payee)},
        "amount": {"value": "__AMOUNT__", "editable": False},
        "message": {"value": message, "editable": False},
    }
    # JSON wants the amount as a number; written from öre by hand so no float is ever made.
    body = json.dumps(data, separators=(",", ":")).replace('"__AMOUNT__"', _kronor(amount, "."), 1)
    return "swish://payment?data=" + quote(body, safe="")


def qr_svg(payload: str, *, title: str) -> str:
    """``payload`` as a QR code in inline SVG (no XML declaration, no fixed size, no styles)."""
    code = segno.make(payload, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        title=title,
        scale=4,
        border=4,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
    )
    return out.getvalue().decode("utf-8")
