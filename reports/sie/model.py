"""SIE 4 records: what a SIE file says, as immutable values (no database, no I/O).

Amounts are whole öre with the SIE sign (debit positive, credit negative). Every record keeps
the line it came from, so a problem found later (an #IB that names an unknown account, a
voucher that does not balance) can still point the finance officer at the line in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ledger.chart import PRIOR_RESULT
from ledger.money import Money
from reports.display import format_money

# #KTYP letters: tillgång, skuld (and eget kapital), kostnad, intäkt.
KTYP_LETTERS = ("T", "S", "K", "I")

# Kassan books no year-end closing entries, so at the start of a year the results of the
# years before still sit on the income and expense accounts. In SIE's opening balances they
# belong to equity: the export carries them to this account (BAS 2068 "Vinst eller förlust
# från föregående år"; 2069 "Årets resultat" is the year's own result, not earlier years'), and
# the import books there the difference a file's #IB 0 leaves when that difference is exactly
# the year before's result (a file from books not yet closed).
CARRIED_RESULT_ACCOUNT = PRIOR_RESULT


def is_balance_account(code: str) -> bool:
    """BAS classes 1 (tillgångar) and 2 (eget kapital och skulder) carry over between years."""
    return code[:1] in ("1", "2")


@dataclass(frozen=True, slots=True)
class SieProblem:
    line: int
    message: str

    def render(self, filename: str) -> str:
        return f"{filename}, rad {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class SieAccount:
    code: str
    name: str
    line: int
    ktyp: str | None = None


@dataclass(frozen=True, slots=True)
class SieBalance:
    """An #IB, #UB or #RES record: the balance of one account in one year of the file."""

    kind: str  # "IB", "UB" or "RES"
    year: int  # 0 the file's year, -1 the year before, ...
    account: str
    ore: int
    line: int


@dataclass(frozen=True, slots=True)
class SieTrans:
    account: str
    objects: tuple[tuple[str, str], ...]  # (dimension, object code)
    ore: int
    line: int


@dataclass(frozen=True, slots=True)
class SieVoucher:
    series: str
    number: str
    date: date
    text: str
    line: int
    trans: tuple[SieTrans, ...]

    @property
    def difference_ore(self) -> int:
        return sum(t.ore for t in self.trans)

    def name(self) -> str:
        """How a bookkeeper names it in an error: series, number and date."""
        return f"verifikation {self.series} {self.number} ({self.date.isoformat()})"


@dataclass(frozen=True, slots=True)
class SieYear:
    year: int
    start: date
    end: date


@dataclass(slots=True)
class SieFile:
    """Everything Kassan reads from one SIE file, with the problems found while reading it."""

    encoding: str = "cp437"
    program: str = ""
    format: str = ""
    generated: date | None = None
    sie_type: str = ""
    org_number: str = ""
    org_number_line: int = 0  # the #ORGNR record's line, 0 when the file has none
    company_name: str = ""
    chart_type: str = ""
    currency: str = "SEK"
    years: dict[int, SieYear] = field(default_factory=dict)
    accounts: dict[str, SieAccount] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)
    objects: dict[tuple[str, str], str] = field(default_factory=dict)
    balances: list[SieBalance] = field(default_factory=list)
    vouchers: list[SieVoucher] = field(default_factory=list)
    problems: list[SieProblem] = field(default_factory=list)

    def balances_of(self, kind: str, year: int) -> dict[str, int]:
        """One kind of balance for one year, per account (a repeated record counts once: last)."""
        return {b.account: b.ore for b in self.balances if b.kind == kind and b.year == year}


def kronor(ore: int) -> str:
    """An amount as SIE writes it: decimal point, two decimals, minus for credit."""
    sign = "-" if ore < 0 else ""
    whole, cents = divmod(abs(ore), 100)
    return f"{sign}{whole}.{cents:02d}"


def kr(ore: int) -> str:
    """An amount as a Swedish user reads it in an error message."""
    return format_money(Money(ore))
