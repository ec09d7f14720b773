"""Journal entries (verifikationer) as immutable records, their validation and their hash.

A ``Draft`` is what a caller wants booked; a ``PostedEntry`` is what the ledger booked, with
its series number, fiscal year and place in the hash chain. Validation returns the first
problem as a typed error naming the field (``lines[1].debit_ore``), so the API can say
exactly what was wrong.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from ledger.chart import SERIES
from ledger.errors import InvalidEntry, UnbalancedEntry
from ledger.money import Money

GENESIS_HASH = "0" * 64
MAX_ORE = 10**15  # a billion billion öre is not a gift; it is a typo or an attack
MAX_LINES = 10_000
_SOURCE_KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_KNOWN_CURRENCIES = frozenset({"SEK", "EUR", "USD", "NOK", "DKK", "GBP"})


@dataclass(frozen=True, slots=True)
class LineDraft:
    account: str
    debit_ore: int = 0
    credit_ore: int = 0
    currency: str = "SEK"
    network: str | None = None  # network slug (the SIE "projekt" object)
    contributor_id: int | None = None

    @classmethod
    def debit(cls, account: str, amount: Money, **dims: object) -> LineDraft:
        return cls(account, amount.ore, 0, amount.currency, **dims)  # type: ignore[arg-type]

    @classmethod
    def credit(cls, account: str, amount: Money, **dims: object) -> LineDraft:
        return cls(account, 0, amount.ore, amount.currency, **dims)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Draft:
    date: date
    text: str
    lines: tuple[LineDraft, ...]
    series: str = "M"
    source_kind: str = "manual"
    source_key: str | None = None  # None: the service makes a unique one

    def validate(self) -> None:
        """Raise ``InvalidEntry``/``UnbalancedEntry`` for the first problem found.

        Bulk posting runs this for every entry, so it is written for speed.
        """
        if not isinstance(self.date, date):
            raise InvalidEntry("date must be a date", "date")
        text = self.text
        if not isinstance(text, str) or not text.strip():
            raise InvalidEntry("an entry needs a text", "text")
        if len(text) > 500:
            raise InvalidEntry("text is longer than 500 characters", "text")
        if self.series not in SERIES:
            raise InvalidEntry(
                f"unknown series {self.series!r}; use one of {', '.join(SERIES)}", "series"
            )
        if not _SOURCE_KIND.match(self.source_kind):
            raise InvalidEntry(f"bad source kind {self.source_kind!r}", "source_kind")
        key = self.source_key
        if key is not None and not (isinstance(key, str) and 0 < len(key) <= 200):
            raise InvalidEntry("source key must be 1-200 characters", "source_key")
        lines = self.lines
        if len(lines) < 2:
            raise InvalidEntry("an entry needs at least two lines", "lines")
        if len(lines) > MAX_LINES:
            raise InvalidEntry(f"an entry has at most {MAX_LINES} lines", "lines")
        totals: dict[str, int] = {}
        for i, line in enumerate(lines):
            debit, credit = line.debit_ore, line.credit_ore
            if type(debit) is not int or type(credit) is not int:
                name = "debit_ore" if type(debit) is not int else "credit_ore"
                raise InvalidEntry("amounts are whole öre (integers)", f"lines[{i}].{name}")
            if debit < 0 or credit < 0:
                name = "debit_ore" if debit < 0 else "credit_ore"
                raise InvalidEntry("amounts are never negative", f"lines[{i}].{name}")
            if debit > MAX_ORE or credit > MAX_ORE:
                name = "debit_ore" if debit > MAX_ORE else "credit_ore"
                raise InvalidEntry("amount is out of range", f"lines[{i}].{name}")
            if (debit > 0) == (credit > 0):
                raise InvalidEntry(
                    "each line has either a debit or a credit above zero, not both or neither",
                    f"lines[{i}].debit_ore",
                )
            currency = line.currency
            if currency not in _KNOWN_CURRENCIES and not (
                isinstance(currency, str) and _CURRENCY.match(currency)
            ):
                raise InvalidEntry("currency must be an ISO 4217 code", f"lines[{i}].currency")
            account = line.account
            if not (isinstance(account, str) and len(account) == 4 and account.isdigit()):
                raise InvalidEntry(
                    "account must be a four-digit BAS account", f"lines[{i}].account"
                )
            totals[currency] = totals.get(currency, 0) + debit - credit
        for currency, diff in sorted(totals.items()):
            if diff:
                raise UnbalancedEntry(
                    f"debits and credits differ by {abs(diff)} öre in {currency}", "lines"
                )


class PostedLine(NamedTuple):
    line_no: int
    account: str
    debit_ore: int
    credit_ore: int
    currency: str
    network_id: int | None
    contributor_id: int | None


@dataclass(frozen=True, slots=True)
class PostedEntry:
    id: int
    series: str
    number: int
    fiscal_year: int
    date: date
    text: str
    source_kind: str
    source_key: str
    reverses_id: int | None
    prev_hash: str
    hash: str
    lines: tuple[PostedLine, ...] = field(default_factory=tuple)
    reversed_by_id: int | None = None

    @property
    def voucher(self) -> str:
        """How a Swedish bookkeeper names it: series and number, ``B123``."""
        return f"{self.series}{self.number}"

    def content_hash(self) -> str:
        """The hash its content and ``prev_hash`` should have (``hash`` itself left out)."""
        return entry_hash(
            id=self.id,
            series=self.series,
            number=self.number,
            fiscal_year=self.fiscal_year,
            date=self.date,
            text=self.text,
            source_kind=self.source_kind,
            source_key=self.source_key,
            reverses_id=self.reverses_id,
            prev_hash=self.prev_hash,
            lines=self.lines,
        )


def entry_hash(
    *,
    id: int,
    series: str,
    number: int,
    fiscal_year: int,
    date: date,
    text: str,
    source_kind: str,
    source_key: str,
    reverses_id: int | None,
    prev_hash: str,
    lines: tuple[PostedLine, ...] | list[PostedLine],
) -> str:
    """SHA-256 over the entry's content and the previous entry's hash.

    A flat, unambiguous text form (length-prefixed strings) instead of JSON: it is several times
    faster, which matters for bulk posting, and just as canonical.
    """
    parts = [
        "kassan-entry-v1",
        str(id),
        series,
        str(number),
        str(fiscal_year),
        date.isoformat(),
        f"{len(text)}:{text}",
        source_kind,
        f"{len(source_key)}:{source_key}",
        "" if reverses_id is None else str(reverses_id),
        prev_hash,
    ]
    parts.extend(
        f"{no},{acc},{d},{c},{cur},{'' if n is None else n},{'' if k is None else k}"
        for no, acc, d, c, cur, n, k in lines
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
