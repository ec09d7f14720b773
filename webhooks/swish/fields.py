"""What Swish accepts in a payment request's fields, and how Kassan makes its ids. Pure.

Swish's rules (Commerce API guide): ``payerAlias`` is the payer's mobile number as country
code + number without the leading zero (``46701234567``); ``payeePaymentReference`` is 1-35
of ``a-z A-Z 0-9 -_.+*/``; ``message`` is at most 50 of the letters a-ö/A-Ö, digits and
``:;.,?!()-"`` (and spaces); ``amount`` is a string with two decimals (``"100.00"``);
``currency`` is ``SEK``; ``callbackUrl`` must be https.

Instruction UUIDs are ours to make: 32 upper-case hex digits. They are derived (UUID 5) from
the gift and the attempt number, so a retry of the same attempt (a double submit, a timeout)
sends the same id and Swish cannot make a second request of it.
"""

from __future__ import annotations

import re
import uuid

from ledger.errors import LedgerError
from webhooks.errors import PayerNumberInvalid

# A fixed namespace for Kassan's instruction ids (a random UUID chosen once; never change it).
_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4d47-9b1e-5a2c7e9d4b10")
_MESSAGE_ALLOWED = re.compile(r"[^A-Za-z0-9åäöÅÄÖéÉüÜ :;.,?!()\-\"]")
_PAYEE_REFERENCE = re.compile(r"^[A-Za-z0-9\-_.+*/]{1,35}$")
_SEPARATORS = re.compile(r"[\s\-().]")
_SWEDISH_MOBILE = re.compile(r"^467\d{8}$")
MESSAGE_MAX = 50


def payer_alias(number: str) -> str:
    """A Swedish mobile number as Swish's ``payerAlias``: ``070-123 45 67`` -> ``46701234567``.

    Accepts the ways Swedes write it (spaces, dashes, ``+46``, ``0046``, a leading 0); raises
    ``PayerNumberInvalid`` with a Swedish message for anything else.
    """
    digits = _SEPARATORS.sub("", number or "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "46" + digits[1:]
    if not _SWEDISH_MOBILE.match(digits):
        raise PayerNumberInvalid(
            "Ange ett svenskt mobilnummer som är kopplat till Swish, till exempel 070-123 45 67.",
            "payer_number",
        )
    return digits


def message(text: str) -> str:
    """``text`` as a Swish message: characters Swish refuses dropped, at most 50 long."""
    return re.sub(r"\s+", " ", _MESSAGE_ALLOWED.sub("", text)).strip()[:MESSAGE_MAX].rstrip()


def payee_reference(reference: str) -> str:
    if not _PAYEE_REFERENCE.match(reference):
        raise LedgerError(
            "a payeePaymentReference is 1-35 of a-z A-Z 0-9 -_.+*/", "payee_payment_reference"
        )
    return reference


def amount(ore: int) -> str:
    """Öre as Swish's amount string: ``12550`` -> ``"125.50"``."""
    if type(ore) is not int or ore <= 0:
        raise LedgerError("a Swish amount is a positive number of öre", "amount")
    return f"{ore // 100}.{ore % 100:02d}"


def ore(value: object) -> int:
    """Swish's amount (a number or a string with at most two decimals) in öre."""
    text = str(value)
    match = re.fullmatch(r"(\d+)(?:\.(\d{1,2}))?", text)
    if match is None:
        raise LedgerError(f"not a Swish amount: {text!r}", "amount")
    return int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))


def payment_instruction_id(gift_public_id: str, attempt: int) -> str:
    return uuid.uuid5(_NAMESPACE, f"payment:{gift_public_id}:{attempt}").hex.upper()


def refund_instruction_id(payment_instruction_id: str, number: int) -> str:
    return uuid.uuid5(_NAMESPACE, f"refund:{payment_instruction_id}:{number}").hex.upper()


def consent_id(gift_public_id: str, attempt: int) -> str:
    return uuid.uuid5(_NAMESPACE, f"consent:{gift_public_id}:{attempt}").hex.upper()


def recurring_payment_id(consent: str, month: str, attempt: int) -> str:
    """One id per consent, month and attempt: a second run of the month sends the same id."""
    return uuid.uuid5(_NAMESPACE, f"recurring:{consent}:{month}:{attempt}").hex.upper()


def token_qr_payload(token: str) -> str:
    """What a QR code for an m-commerce token holds: ``D`` and the token (Swish's guide for
    scanning a payment request or consent on another screen)."""
    return "D" + token
