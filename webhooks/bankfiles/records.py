"""What a bank file says, as immutable records: one ``BankLine`` per payment, one ``BankFile``
summary per file, and ``ParseError`` values naming file, line and field of whatever was wrong.

Every parser (camt.053/054, BgMax, Swish report) produces these same records, so the importer
and the matcher never look at a format. The names here are stable: the importer builds on them.

A ``BankLine.key`` names the payment in the world, not the file it came in, so the same krona
reported by camt.054, again by camt.053 and again by the Swish report books once:

* ``bank:<AcctSvcrRef>``: the bank's account-servicer reference of a camt transaction (and
  ``uetr:``, ``txid:``, ``e2e:``, ``ntry:`` keys where a camt file has none:
  ``webhooks.bankfiles.camt_keys``);
* ``swish:<16 digits>``: Swish's payment reference (Swish report, or camt's clearing-system
  reference of a Swish entry);
* ``bgc:<bankgiro>:<payment date>:<BGC serial>``: a BgMax payment (its serial runs per day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ledger.money import Money

__all__ = [
    "Balance",
    "BankFile",
    "BankLine",
    "ControlTotal",
    "ExtraReference",
    "ParsedFile",
]

# Channels a payment arrived by (BankLine.channel).
BANKGIRO = "bankgiro"
SWISH = "swish"
TRANSFER = "transfer"
CARD = "card"
AUTOGIRO = "autogiro"  # Bankgirot's deposit of a day's approved Autogiro debits (docs/autogiro.md)


@dataclass(frozen=True, slots=True)
class ExtraReference:
    """A further reference a payer gave with one payment (BgMax TK22, or TK23 when negative).

    ``amount`` is the part of the payment the payer tied to this reference, when given.
    """

    reference: str
    amount: Money | None = None


@dataclass(frozen=True, slots=True)
class BankLine:
    """One payment (or debit) as the bank reported it.

    ``amount`` is signed: positive is money in to ``account``, negative money out (a debit, a
    BgMax deduction). ``reference`` is a structured reference (an OCR number that passes the
    Luhn check, or a creditor reference the bank marked as structured), digits only; free text
    goes to ``message``. ``line_no`` counts payments in the file from 1; ``source_line`` is the
    text or XML line where the payment starts, for messages to people.
    """

    line_no: int
    source_line: int
    key: str
    booking_date: date
    amount: Money
    channel: str
    account: str | None = None
    value_date: date | None = None
    reference: str | None = None
    message: str | None = None
    payer_name: str | None = None
    payer_account: str | None = None
    extra_references: tuple[ExtraReference, ...] = ()
    raw: tuple[tuple[str, str], ...] = ()  # format-specific details, as (name, value) pairs

    def detail(self, name: str) -> str | None:
        """One of the ``raw`` details by name (``"entry_ref"``, ``"bgc_serial"``...), or None."""
        return next((value for key, value in self.raw if key == name), None)

    @property
    def is_credit(self) -> bool:
        return self.amount.ore > 0


@dataclass(frozen=True, slots=True)
class Balance:
    """A camt.053 statement's opening and closing booked balance for one account."""

    account: str
    opening: Money
    closing: Money
    opening_date: date | None = None
    closing_date: date | None = None


@dataclass(frozen=True, slots=True)
class ControlTotal:
    """One of the file's own totals beside what we read: "file says X, we read X".

    ``declared`` and ``computed`` are counts or öre, as ``what`` says.
    """

    what: str
    declared: int
    computed: int

    @property
    def ok(self) -> bool:
        return self.declared == self.computed


@dataclass(frozen=True, slots=True)
class BankFile:
    """A file's header and summary: what it is, whose accounts, which period, its totals."""

    format: str  # "camt.054.001.02", "camt.053.001.08", "bgmax", "swish-report"
    created_at: datetime | None
    accounts: tuple[str, ...]
    currency: str
    period_start: date | None = None
    period_end: date | None = None
    balances: tuple[Balance, ...] = ()
    controls: tuple[ControlTotal, ...] = ()
    line_count: int = 0
    credit_total: Money | None = None  # sum of positive lines
    debit_total: Money | None = None  # sum of negative lines (a negative amount)
    test: bool = False  # the file is marked as a test file (BgMax 'T')
    skipped: int = 0  # entries read but not booked (camt PDNG/INFO entries)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A whole file read without a single error."""

    file: BankFile
    lines: tuple[BankLine, ...]
