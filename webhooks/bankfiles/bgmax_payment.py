"""A BgMax payment as read (TK20 or TK21 with the records that follow it), the deposit it came
in, and the bank line made from it: its stable key, its OCR reference or message, and the raw
fields kept for the finance desk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ledger.money import Money
from webhooks.bankfiles.records import BANKGIRO, BankLine, ExtraReference
from webhooks.bankfiles.text import ocr_reference

# Referenskod (position 56) of TK20/21/22/23.
_REF_OCR = "2"  # a reference that passed the receiver's OCR check
_REF_TEXT = "4"  # a reference the payer typed, unchecked
_CHANNELS = {"1": "bank", "2": "leverantörsbetalning", "3": "blankett", "4": "autogiro"}


@dataclass(slots=True)
class Payment:
    """A TK20 payment or TK21 deduction, with what its following records added."""

    record_no: int
    code: str  # "20" or "21"
    sender: str
    reference_text: str
    reference_code: str
    amount_ore: int
    channel_code: str
    serial: str
    image: str
    deduction_code: str
    extra: list[ExtraReference] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Deposit:
    """A deposit (TK05 to TK15) to one bankgiro, in one currency."""

    record_no: int
    bankgiro: str
    currency: str
    payments: list[Payment] = field(default_factory=list)


def bank_line(
    p: Payment,
    deposit: Deposit,
    paid: date,
    deposit_account: str,
    deposit_no: str,
    *,
    line_no: int,
    keys: dict[str, int],
) -> BankLine:
    """The bank line for payment ``p``, numbered ``line_no``; ``keys`` counts the keys given so
    far in this file."""
    key = f"bgc:{deposit.bankgiro}:{paid.isoformat()}:{p.serial}"
    # Bankgirot's serial is meant to be unique per bankgiro and day, but its own example
    # files repeat one; the occurrence number keeps the key stable for the same file.
    seen = keys.get(key, 0)
    keys[key] = seen + 1
    if seen:
        key += f"-{seen + 1}"
    reference = None
    message_parts: list[str] = []
    if p.reference_code == _REF_OCR and p.reference_text.isdigit():
        reference = p.reference_text  # Bankgirot checked it against the receiver's rules
    elif p.reference_code == _REF_TEXT:
        reference = ocr_reference(p.reference_text)
    if reference is None and p.reference_text:
        message_parts.append(p.reference_text)
    message_parts.extend(p.info)
    sign = -1 if p.code == "21" else 1
    raw = {
        "record": p.code,
        "bgc_serial": p.serial,
        "reference_code": p.reference_code,
        "reference_text": p.reference_text,
        "payment_channel": _CHANNELS.get(p.channel_code, p.channel_code),
        "image": p.image,
        "deposit_account": deposit_account,
        "deposit_serial": deposit_no,
        **p.details,
    }
    if p.code == "21":
        raw["deduction_code"] = p.deduction_code
    return BankLine(
        line_no=line_no,
        source_line=p.record_no,
        key=key,
        booking_date=paid,
        value_date=paid,
        amount=Money(sign * p.amount_ore, deposit.currency),
        channel=BANKGIRO,
        account=deposit.bankgiro,
        reference=reference,
        message="\n".join(message_parts) or None,
        payer_name=p.details.get("name") or None,
        payer_account=p.sender or None,
        extra_references=tuple(p.extra),
        raw=tuple((k, v) for k, v in raw.items() if v),
    )
