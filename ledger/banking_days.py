"""Swedish banking days: Monday to Friday except public holidays and the days banks keep
closed though the law does not (Midsummer Eve, Christmas Eve, New Year's Eve).

The calendar is the ``holidays`` library's Sweden, categories ``public`` and ``de_facto``; its
``bank`` category lists half days ("from 2pm"), which are banking days, so it is not used.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache

import holidays

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

__all__ = ["debit_date", "is_banking_day", "next_banking_day", "next_month"]


@cache
def _closed(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("SE", years=year, categories=("public", "de_facto"))
    return frozenset(calendar)


def is_banking_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _closed(day.year)


def next_banking_day(day: date) -> date:
    """``day`` itself when it is a banking day, else the first banking day after it."""
    while not is_banking_day(day):
        day += timedelta(days=1)
    return day


def banking_days_after(day: date, count: int) -> date:
    """The ``count``-th banking day after ``day`` (``day`` itself need not be one)."""
    for _ in range(count):
        day = next_banking_day(day + timedelta(days=1))
    return day


def debit_date(month: str, day: int) -> date:
    """Day ``day`` of ``month`` (``YYYY-MM``), moved to the next banking day when it is none;
    ``ValueError`` (in Swedish) for a month not written ``YYYY-MM``."""
    found = _MONTH.match(month)
    if found is None:
        raise ValueError(f"månaden ska skrivas ÅÅÅÅ-MM, inte {month!r}")
    return next_banking_day(date(int(found[1]), int(found[2]), day))


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12}-{number % 12 + 1:02d}"
