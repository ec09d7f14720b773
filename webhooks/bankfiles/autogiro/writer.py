"""The files Kassan sends to Bankgirot, written record by record as the manual lays them out:
the mandate file (TK01, then TK04 new mandates and TK03 cancellations) and payment orders
(TK01, then one TK82 per debit).

Every record is 80 characters of ISO-8859-1 and every file ends its lines with CRLF; a value
that does not fit its field is refused (``AutogiroRecordInvalid``), never cut. The tests read
each file back with ``parse_autogiro`` and compare it record by record with what was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ledger.money import Money
from webhooks.bankfiles.autogiro.fields import RECORD
from webhooks.errors import AutogiroRecordInvalid

__all__ = [
    "DebitOrder",
    "NewMandate",
    "account_field",
    "mandate_file",
    "payment_order_file",
]


@dataclass(frozen=True, slots=True)
class NewMandate:
    """A mandate for the mandate file: ``account`` is clearing and account number as the
    payer gave them (digits), ``identity`` the 12-digit personnummer or ``00`` + organisation
    number."""

    payer_number: str
    clearing: str
    account: str
    identity: str


@dataclass(frozen=True, slots=True)
class DebitOrder:
    """One debit (TK82), once (period code 0), on ``due``."""

    payer_number: str
    due: date
    amount: Money
    reference: str


def _digits(value: str, width: int, name: str) -> str:
    if not (value.isdigit() and value.isascii()) or len(value) > width:
        raise AutogiroRecordInvalid(f"{name} ska vara högst {width} siffror: {value!r}", name)
    return value.zfill(width)


def _text(value: str, width: int, name: str) -> str:
    if len(value) > width:
        raise AutogiroRecordInvalid(f"{name} får vara högst {width} tecken: {value!r}", name)
    try:
        value.encode("iso-8859-1")
    except UnicodeEncodeError as exc:
        raise AutogiroRecordInvalid(
            f"{name} har tecken utanför ISO-8859-1: {value!r}", name
        ) from exc
    if not value.isprintable():
        raise AutogiroRecordInvalid(f"{name} har tecken som inte kan skrivas: {value!r}", name)
    return value.ljust(width)


def account_field(clearing: str, account: str) -> str:
    """The manual's 16-digit bank account field: the 4-digit clearing number, then the account
    number zero-padded to 12 digits. Swedbank's 5-digit clearing numbers (8xxx-x) go in
    without their fifth digit, as Bankgirot asks."""
    if len(clearing) == 5 and clearing.startswith("8"):
        clearing = clearing[:4]
    if len(clearing) != 4:
        raise AutogiroRecordInvalid(f"clearingnummer ska vara 4 siffror: {clearing!r}", "clearing")
    return _digits(clearing, 4, "clearingnummer") + _digits(account, 12, "kontonummer")


def _record(*fields: str) -> str:
    text = "".join(fields)
    if len(text) != RECORD:  # a layout bug, not bad input
        raise ValueError(f"a record of {len(text)} characters: {text!r}")
    return text


def _opening(written: date, customer_number: str, bankgiro: str) -> str:
    return _record(
        "01",
        written.strftime("%Y%m%d"),
        "AUTOGIRO",
        " " * 44,
        _digits(customer_number, 6, "kundnummer"),
        _digits(bankgiro, 10, "bankgironummer"),
        "  ",
    )


def _file(records: Sequence[str]) -> bytes:
    return "".join(f"{r}\r\n" for r in records).encode("iso-8859-1")


def mandate_file(
    written: date,
    customer_number: str,
    bankgiro: str,
    new: Sequence[NewMandate] = (),
    cancelled: Sequence[str] = (),
) -> bytes:
    """TK01, a TK04 per new mandate, a TK03 per cancelled payer number."""
    bg = _digits(bankgiro, 10, "bankgironummer")
    records = [_opening(written, customer_number, bankgiro)]
    for mandate in new:
        records.append(
            _record(
                "04",
                bg,
                _digits(mandate.payer_number, 16, "betalarnummer"),
                account_field(mandate.clearing, mandate.account),
                _digits(mandate.identity, 12, "person-/organisationsnummer"),
                " " * 24,
            )
        )
    for payer_number in cancelled:
        records.append(_record("03", bg, _digits(payer_number, 16, "betalarnummer"), " " * 52))
    return _file(records)


def payment_order_file(
    written: date, customer_number: str, bankgiro: str, orders: Sequence[DebitOrder]
) -> bytes:
    """TK01 and a TK82 per order: once (period code 0), on its day, in öre."""
    bg = _digits(bankgiro, 10, "bankgironummer")
    records = [_opening(written, customer_number, bankgiro)]
    for order in orders:
        if order.amount.currency != "SEK" or order.amount.ore <= 0:
            raise AutogiroRecordInvalid(
                f"beloppet ska vara över noll kronor: {order.amount}", "belopp"
            )
        records.append(
            _record(
                "82",
                order.due.strftime("%Y%m%d"),
                "0",
                "   ",
                " ",
                _digits(order.payer_number, 16, "betalarnummer"),
                _digits(str(order.amount.ore), 12, "belopp"),
                bg,
                _text(order.reference, 16, "referens"),
                " " * 11,
            )
        )
    return _file(records)
