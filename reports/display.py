"""How amounts read for people: pages, PDFs, CSV and the command line, in their language."""

from __future__ import annotations

from babel.numbers import format_currency

from ledger.money import Money

__all__ = ["format_money"]


def format_money(money: Money, locale: str = "sv_SE") -> str:
    """``1 234,50 kr`` in Swedish, ``SEK 1,234.50`` in English (Babel's CLDR patterns)."""
    return format_currency(money.decimal, money.currency, locale=locale)
