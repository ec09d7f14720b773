"""What an Autogiro file says, as immutable records, one class per kind of record.

Field names follow the manual's; ``line`` is the record's 1-based line in the file, for
messages. Amounts are ``Money`` in öre; a payer number is kept as Bankgirot writes it (16
digits) in ``payer_number`` and without its padding in ``payer``; bank accounts are kept as the
16 digits of the file (clearing number and account number, zero-padded), ``None`` when blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from ledger.money import Money
from webhooks.bankfiles.autogiro.codes import (
    AmendmentOutcome,
    Direction,
    FileKind,
    MandateOutcome,
    PaymentStatus,
)
from webhooks.bankfiles.records import ControlTotal
from webhooks.errors import ParseError

__all__ = [
    "AmendmentRequest",
    "AmendmentResult",
    "AutogiroFile",
    "EMandate",
    "MandateAdvice",
    "MandateRequest",
    "Opening",
    "PaymentOrder",
    "PaymentResult",
    "Refund",
    "RegisterMandate",
    "RejectedOrder",
    "Section",
    "WatchedPayment",
    "payer",
]


def payer(payer_number: str) -> str:
    """A payer number without its zero padding (``0000000000000101`` -> ``101``)."""
    return payer_number.lstrip("0") or "0"


@dataclass(frozen=True, slots=True)
class Opening:
    """TK01 (TK51 for e-mandates): who the file is for and when Bankgirot or we wrote it."""

    line: int
    written: datetime
    layout: str  # "AUTOGIRO", "AG-MEDAVI", "BET. SPEC & STOPP TK", "AG-EMEDGIV"...
    bankgiro: str  # the payee's bankgiro number, 10 digits
    customer_number: str | None = None  # Bankgirot's customer number of the payee, 6 digits


@dataclass(frozen=True, slots=True)
class MandateRequest:
    """To Bankgirot: TK04 a new mandate (or the answer to an e-mandate), TK03 a cancellation,
    TK05 a change of payer number."""

    line: int
    code: str  # "03", "04", "05"
    bankgiro: str
    payer_number: str
    account: str | None = None
    identity: str | None = None  # personnummer or organisation number, 12 digits
    reply: str | None = None  # TK04 without account: "AV" refuses an e-mandate, None accepts
    new_bankgiro: str | None = None
    new_payer_number: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    """To Bankgirot: TK82 a debit order, TK32 a payout. ``due`` None is "GENAST"."""

    line: int
    direction: Direction
    due: date | None
    # period code: 0 once; 1-4 every month, quarter, half-year, year; 5-8 the same on the
    # last banking day of the period
    period: str
    repeats: int | None  # how many times a repeating order runs; None: until cancelled
    payer_number: str
    amount: Money
    bankgiro: str
    reference: str


@dataclass(frozen=True, slots=True)
class AmendmentRequest:
    """To Bankgirot: TK23-TK25 cancel payments, TK26-TK29 move them to ``new_due``."""

    line: int
    code: str
    bankgiro: str
    payer_number: str | None
    due: date | None
    amount: Money | None
    direction: Direction | None
    new_due: date | None
    reference: str


@dataclass(frozen=True, slots=True)
class MandateAdvice:
    """From Bankgirot: TK73, what happened to one mandate."""

    line: int
    bankgiro: str
    payer_number: str
    account: str | None
    identity: str | None
    information: str  # information code
    comment: str  # comment code
    day: date
    outcome: MandateOutcome
    text: str


@dataclass(frozen=True, slots=True)
class EMandate:
    """From Bankgirot: a mandate the payer signed in the internet bank, TK52 with TK53-TK56."""

    line: int
    bankgiro: str
    payer_number: str
    account: str
    identity: str
    message_type: str  # TK52 position 62
    information: str = ""  # TK53: what the payer wrote
    name: tuple[str, ...] = ()  # TK54: name and a second line (c/o)
    address: tuple[str, ...] = ()  # TK55
    postcode: str = ""  # TK56
    city: str = ""


@dataclass(frozen=True, slots=True)
class RegisterMandate:
    """From Bankgirot: one mandate in an extract of the mandate register (no TK of its own)."""

    line: int
    bankgiro: str
    identity: str
    payer_number: str
    account: str | None
    codes: str  # positions 39-41 and 58 as they stand (see docs/autogiro.md)
    first_day: date | None
    second_day: date | None


@dataclass(frozen=True, slots=True)
class Section:
    """From Bankgirot: TK15 (debits), TK16 (payouts) or TK17 (refunds) opening a section of the
    payment specification, with the money that reached or left the payee's account."""

    line: int
    code: str
    account: str  # the payee's bank account, 35 characters as written
    day: date
    serial: str
    amount: Money
    count: int


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """From Bankgirot: a TK82 or TK32 in the payment specification, with its status."""

    line: int
    section: int  # the line of its TK15/TK16
    direction: Direction
    due: date
    period: str
    repeats: int | None
    payer_number: str
    amount: Money
    bankgiro: str
    reference: str
    status: PaymentStatus


@dataclass(frozen=True, slots=True)
class Refund:
    """From Bankgirot: TK77, money paid back to a payer from a debit (in a TK17 section)."""

    line: int
    section: int
    due: date
    payer_number: str
    amount: Money
    bankgiro: str
    reference: str
    refunded_on: date
    code: str


@dataclass(frozen=True, slots=True)
class RejectedOrder:
    """From Bankgirot: a TK82 or TK32 order refused before it was registered. ``due`` is None
    only in a published example whose day is no date (see ``AutogiroFile.deviations``)."""

    line: int
    direction: Direction
    due: date | None
    period: str
    repeats: int | None
    payer_number: str
    amount: Money
    reference: str
    comment: str


@dataclass(frozen=True, slots=True)
class AmendmentResult:
    """From Bankgirot: what became of a cancellation or date change (TK03, TK11, TK21-TK29)."""

    line: int
    code: str
    due: date | None
    payer_number: str | None
    direction: Direction | None
    amount: Money
    new_due: date | None
    reference: str
    comment: str
    outcome: AmendmentOutcome


@dataclass(frozen=True, slots=True)
class WatchedPayment:
    """From Bankgirot: a TK82 or TK32 waiting in the watch register (bevakningsregistret)."""

    line: int
    direction: Direction
    due: date | None
    period: str
    repeats: int | None
    payer_number: str
    amount: Money
    reference: str


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class AutogiroFile:
    """A whole file read without a fault: its kind, opening, records and checked totals."""

    filename: str
    kind: FileKind
    opening: Opening | None
    records: tuple[object, ...]
    controls: tuple[ControlTotal, ...] = ()
    # Faults a published example has and a real file would be refused for (lenient reading).
    deviations: tuple[ParseError, ...] = ()

    def of(self, kind: type[R]) -> tuple[R, ...]:
        """The records of one class, in file order."""
        return tuple(r for r in self.records if isinstance(r, kind))
