"""Closing periods: once the books are closed through a date, nothing can be booked on or
before it (the database refuses too, and a closed period cannot be reopened)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select, text

from ledger.db import tables as t
from ledger.errors import LedgerError, PeriodClosed


def close_through(conn: Connection, through: date) -> None:
    """Lock the fiscal year of ``through`` up to and including that date."""
    year = through.year
    conn.execute(
        text(
            "INSERT INTO fiscal_years (year, start_date, end_date) VALUES (:y, :s, :e) "
            "ON CONFLICT (year) DO NOTHING"
        ),
        {"y": year, "s": date(year, 1, 1), "e": date(year, 12, 31)},
    )
    fy = t.fiscal_years.c
    row = conn.execute(
        select(fy.start_date, fy.end_date, fy.locked_through).where(fy.year == year)
    ).one()
    if not (row.start_date <= through <= row.end_date):
        raise LedgerError(f"{through} is outside fiscal year {year}", "through")
    if row.locked_through is not None and through < row.locked_through:
        raise PeriodClosed(
            f"fiscal year {year} is already closed through {row.locked_through}; "
            "a closed period cannot be reopened",
            "through",
        )
    conn.execute(t.fiscal_years.update().where(fy.year == year).values(locked_through=through))


def locked_through(conn: Connection, year: int) -> date | None:
    fy = t.fiscal_years.c
    return conn.scalar(select(fy.locked_through).where(fy.year == year))
