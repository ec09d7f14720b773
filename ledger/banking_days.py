"""Swedish banking days: Monday to Friday except public holidays and the days banks keep
closed though the law does not (Midsummer Eve, Christmas Eve, New Year's Eve).

The calendar is the ``holidays`` library's Sweden, categories ``public`` and ``de_facto``; its
``bank`` category lists half days ("from 2pm"), which are banking days, so it is not used.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

__all__ = ["is_banking_day", "next_banking_day"]


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
