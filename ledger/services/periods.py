"""Fiscal years and closing the books.

A year takes entries only once it is opened (``kassan ledger open-year``; a new ledger starts
with the current and the next year). Once the books are closed through a date, nothing can be
booked on or before it, in any year, and no year can be opened there: the database refuses
too, every closing is kept (``period_closings``), and a closed period cannot be reopened.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, func, select

from ledger.db import tables as t
from ledger.errors import InvalidEntry, LedgerError, PeriodClosed

FIRST_YEAR = 1900  # the earliest year a date may name; earlier ones are typing mistakes


def years_allowed(today: date | None = None) -> range:
    """The years a booking date may name at all: 1900 up to and including next year."""
    return range(FIRST_YEAR, (today or date.today()).year + 2)


def check_date(day: date, field: str = "date", today: date | None = None) -> None:
    """Refuse a date before 1900 or after next year as an input error naming ``field``."""
    allowed = years_allowed(today)
    if day.year not in allowed:
        raise InvalidEntry(
            f"{day.isoformat()} is not a booking date: the year must be from {allowed.start} "
            f"to {allowed.stop - 1}",
            field,
        )


def open_year(conn: Connection, year: int, today: date | None = None) -> bool:
    """Open fiscal ``year`` (1 January to 31 December); False if it was open already."""
    allowed = years_allowed(today)
    if year not in allowed:
        raise LedgerError(
            f"fiscal year {year} cannot be opened: the year must be from {allowed.start} "
            f"to {allowed.stop - 1}",
            "year",
        )
    fy = t.fiscal_years.c
    if conn.scalar(select(fy.year).where(fy.year == year)) is not None:
        return False
    closed = closed_through(conn)
    if closed is not None and date(year, 1, 1) <= closed:
        raise PeriodClosed(
            f"the books are closed through {closed.isoformat()}; fiscal year {year} "
            "cannot be opened",
            "year",
        )
    conn.execute(
        t.fiscal_years.insert().values(
            year=year, start_date=date(year, 1, 1), end_date=date(year, 12, 31)
        )
    )
    return True


def open_years(conn: Connection) -> list[int]:
    """The fiscal years that exist, oldest first (closed ones included)."""
    fy = t.fiscal_years.c
    return list(conn.scalars(select(fy.year).order_by(fy.year)))


def close_through(conn: Connection, through: date) -> None:
    """Close every period on or before ``through``, in every fiscal year."""
    closed = closed_through(conn)
    if closed is not None and through < closed:
        raise PeriodClosed(
            f"the books are already closed through {closed.isoformat()}; "
            "a closed period cannot be reopened",
            "through",
        )
    fy = t.fiscal_years.c
    conn.execute(t.period_closings.insert().values(through=through, closed_at=func.now()))
    for year, end, locked in conn.execute(
        select(fy.year, fy.end_date, fy.locked_through).where(fy.start_date <= through)
    ).all():
        lock = min(end, through)
        if locked is None or locked < lock:
            conn.execute(t.fiscal_years.update().where(fy.year == year).values(locked_through=lock))


def closed_through(conn: Connection) -> date | None:
    """The last closed day of the books, or None if they were never closed."""
    return conn.scalar(select(func.max(t.period_closings.c.through)))


def locked_through(conn: Connection, year: int) -> date | None:
    fy = t.fiscal_years.c
    return conn.scalar(select(fy.locked_through).where(fy.year == year))
