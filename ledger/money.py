"""Money: an integer number of öre (minor units) and an ISO 4217 currency.

No floats, ever. Parsing and formatting belong at the edges (``parse_amount`` for forms and
files; ``reports.display.format_money`` for pages, PDFs and CSV, in the reader's language);
inside Kassan amounts are ``Money`` or plain öre. ``str(money)`` is the Swedish text the
ledger's own messages use (``1 234,50 kr``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency

from ledger.errors import CurrencyMismatch

__all__ = ["Money", "parse_amount"]


_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CHECKED: set[str] = set()  # codes that passed _CURRENCY: a bank file makes a million Money


@dataclass(frozen=True, slots=True, order=False)
class Money:
    ore: int
    currency: str = "SEK"

    def __post_init__(self) -> None:
        # bool is an int subclass; True kronor is a bug, not an amount.
        if not isinstance(self.ore, int) or isinstance(self.ore, bool):
            raise TypeError(f"Money needs an integer number of öre, got {self.ore!r}")
        if self.currency in _CHECKED:
            return
        if not _CURRENCY.match(self.currency):
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")
        _CHECKED.add(self.currency)

    @classmethod
    def zero(cls, currency: str = "SEK") -> Money:
        return cls(0, currency)

    @classmethod
    def kr(cls, kronor: int | str | Decimal, currency: str = "SEK") -> Money:
        """Whole or decimal kronor given exactly (``Money.kr("12.50")``), never a float."""
        if isinstance(kronor, float):
            raise TypeError("use a string or Decimal, not a float")
        value = Decimal(kronor) * 100
        if value != value.to_integral_value():
            raise ValueError(f"{kronor!r} has fractions of an öre")
        return cls(int(value), currency)

    def _check(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.ore + self._check(other).ore, self.currency)

    def __radd__(self, other: object) -> Money:
        # lets sum() start from 0
        if other == 0:
            return self
        if not isinstance(other, Money):
            return NotImplemented
        return self.__add__(other)

    def __sub__(self, other: Money) -> Money:
        return Money(self.ore - self._check(other).ore, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.ore, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("Money can only be multiplied by an integer")
        return Money(self.ore * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.ore < self._check(other).ore

    def __le__(self, other: Money) -> bool:
        return self.ore <= self._check(other).ore

    def __gt__(self, other: Money) -> bool:
        return self.ore > self._check(other).ore

    def __ge__(self, other: Money) -> bool:
        return self.ore >= self._check(other).ore

    def __bool__(self) -> bool:
        return self.ore != 0

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.ore).scaleb(-2)

    def __str__(self) -> str:
        """``1 234,50 kr``: Swedish, as the ledger's messages to Swedish staff are written."""
        return format_currency(self.decimal, self.currency, locale="sv_SE")


_AMOUNT = re.compile(r"^-?\d+([.,]\d{1,2})?$")


def parse_amount(text: str, currency: str = "SEK") -> Money:
    """Parse what a person types: ``1 234,50``, ``1234.5``, ``1 234 kr``.

    Raises ``ValueError`` naming the text when it is not an amount.
    """
    cleaned = (
        text.strip()
        .removesuffix("kr")
        .removesuffix("SEK")
        .replace("\u00a0", "")
        .replace("\u202f", "")
        .replace(" ", "")
    )
    if not _AMOUNT.match(cleaned):
        raise ValueError(f"not an amount: {text!r}")
    try:
        return Money.kr(Decimal(cleaned.replace(",", ".")), currency)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValueError(f"not an amount: {text!r}") from exc
