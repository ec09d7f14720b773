"""Autogiro deposits: the money of a payment specification's TK15 section (the day's approved
debits) as it reaches our bank account, one credit per section, and the bank line that is it.

Both reports book the same krona: the specification books each debit (1930/3993, series G) and
the bank file books its credit (1930/2890 when it matches nothing). A deposit ties them, so
whichever comes second books nothing new on 1930:

* specification first: ``record`` keeps the section with its entries; the bank line of the
  same amount (``waiting``, on the payment day or up to ``DEPOSIT_DAYS`` banking days later)
  is then confirmed against it and ``claim``\\ s it;
* bank line first: it was booked 1930/2890 and waits in suspense; the specification finds it
  (``bank_line_waiting``), books each debit out of suspense (2890/3993) instead of from 1930,
  ``take``\\ s that much off the line's open amount and records the deposit with its line.

A TK16/TK17 section (payouts and refunds to payers, booked 3993/1930) leaves our account as one
debit, which the bank file reports too: it is kept the same way with a negative amount, and the
bank's debit line confirms it, or brought it first (1930/2890 out of suspense: 3993/2890).

UNIQUE on the bank line and on each entry is what keeps one bank line from confirming two
deposits, and one entry from being in two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, select

from ledger.banking_days import banking_days_after
from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.money import Money

__all__ = [
    "DEPOSIT_DAYS",
    "OpenDeposit",
    "bank_line_allocated",
    "bank_line_waiting",
    "claim",
    "latest_day",
    "linked",
    "record",
    "take",
    "waiting",
]

DEPOSIT_DAYS = 2  # banking days after the payment day within which the bank may credit it
AUTOGIRO_CHANNEL = "autogiro"  # bank_lines.channel of a credit the bank file calls Autogiro


@dataclass(frozen=True, slots=True)
class OpenDeposit:
    """A deposit no bank line has confirmed yet."""

    id: int
    day: date
    amount: Money
    entry_id: int  # its first entry: the one a confirming bank line points to
    entries: int


def latest_day(day: date) -> date:
    """The last booking day on which a bank may report the deposit of payment day ``day``."""
    return banking_days_after(day, DEPOSIT_DAYS)


def linked(conn: Connection, entry_ids: Sequence[int]) -> bool:
    """Whether any of these entries belongs to a deposit already."""
    de = t.autogiro_deposit_entries.c
    return (
        bool(entry_ids)
        and conn.scalar(select(de.entry_id).where(de.entry_id.in_(list(entry_ids))).limit(1))
        is not None
    )


def record(
    conn: Connection,
    file_id: int,
    line: int,
    day: date,
    amount: Money,
    entry_ids: Sequence[int],
    bank_line_id: int | None = None,
) -> int:
    """Keep one section as a deposit with its entries; ``bank_line_id``: the bank line that
    brought it first. Its id."""
    deposit_id = int(
        conn.execute(
            t.autogiro_deposits.insert()
            .values(
                file_id=file_id,
                line=line,
                day=day,
                amount_ore=amount.ore,
                currency=amount.currency,
                bank_line_id=bank_line_id,
                bank_first=bank_line_id is not None,
                created_at=datetime.now(UTC),
            )
            .returning(t.autogiro_deposits.c.id)
        ).scalar_one()
    )
    if entry_ids:
        conn.execute(
            t.autogiro_deposit_entries.insert(),
            [{"deposit_id": deposit_id, "entry_id": e} for e in entry_ids],
        )
    return deposit_id


def waiting(conn: Connection, first: date, last: date) -> list[OpenDeposit]:
    """Deposits no bank line has confirmed whose bank day may fall between ``first`` and
    ``last``, oldest first."""
    d, de = t.autogiro_deposits.c, t.autogiro_deposit_entries.c
    rows = conn.execute(
        select(d.id, d.day, d.amount_ore, d.currency, de.entry_id)
        .join_from(t.autogiro_deposits, t.autogiro_deposit_entries, de.deposit_id == d.id)
        .where(
            d.bank_line_id.is_(None),
            d.day.between(first - timedelta(days=7), last),
        )
        .order_by(d.day, d.id, de.entry_id)
    )
    found: dict[int, OpenDeposit] = {}
    for r in rows:
        seen = found.get(r.id)
        if seen is None:
            found[r.id] = OpenDeposit(
                r.id, r.day, Money(int(r.amount_ore), r.currency), r.entry_id, 1
            )
        else:
            found[r.id] = OpenDeposit(
                seen.id, seen.day, seen.amount, seen.entry_id, seen.entries + 1
            )
    return list(found.values())


def claim(conn: Connection, deposit_id: int, bank_line_id: int) -> None:
    """The bank line confirmed the deposit; a deposit is confirmed once."""
    d = t.autogiro_deposits.c
    done = conn.execute(
        t.autogiro_deposits.update()
        .where(d.id == deposit_id, d.bank_line_id.is_(None))
        .values(bank_line_id=bank_line_id)
    )
    if done.rowcount != 1:  # the matcher chose it under this transaction: only a bug gets here
        raise LedgerError(f"Autogiro deposit {deposit_id} is confirmed already", "deposit")


def bank_line_waiting(conn: Connection, day: date, amount: Money) -> Any | None:
    """The bank line, locked, that brought the deposit of payment day ``day`` before its
    specification: a line the bank file called Autogiro, of exactly this amount (signed: money
    out below zero), on ``day`` or up to ``DEPOSIT_DAYS`` banking days later, wholly in
    suspense (nothing matched or allocated: open amount equal to the amount) and no deposit's
    yet."""
    b = t.bank_lines.c
    return conn.execute(
        _autogiro_lines(day, amount)
        .where(b.open_ore == b.amount_ore)
        .order_by(b.booking_date, b.id)
        .limit(1)
        .with_for_update()
    ).first()


def bank_line_allocated(conn: Connection, day: date, amount: Money) -> Any | None:
    """The bank line that brought the deposit of payment day ``day`` and that finance has
    allocated since, wholly or partly, at the desk (``ledger.services.reconcile``): the
    specification must not book its money to 1930 a second time, nor guess where finance
    put it."""
    b, a = t.bank_lines.c, t.bank_line_allocations.c
    allocated = select(a.id).where(a.line_id == b.id, a.reversal_entry_id.is_(None)).exists()
    return conn.execute(
        _autogiro_lines(day, amount)
        .where(b.match_kind == "unmatched", b.open_ore < b.amount_ore, allocated)
        .order_by(b.booking_date, b.id)
        .limit(1)
    ).first()


def _autogiro_lines(day: date, amount: Money) -> Select[Any]:
    b, d = t.bank_lines.c, t.autogiro_deposits.c
    taken = select(d.bank_line_id).where(d.bank_line_id == b.id).exists()
    return select(t.bank_lines).where(
        b.direction == ("in" if amount.ore > 0 else "out"),
        b.channel == AUTOGIRO_CHANNEL,
        b.amount_ore == abs(amount.ore),
        b.currency == amount.currency,
        b.booking_date.between(day, latest_day(day)),
        ~taken,
    )


def take(conn: Connection, line_id: int, ore: int, note: str) -> None:
    """Move ``ore`` of the line's open amount out of suspense (the specification booked it
    to income) and say so on the line."""
    b = t.bank_lines.c
    done = conn.execute(
        t.bank_lines.update()
        .where(b.id == line_id, b.open_ore >= ore)
        .values(open_ore=b.open_ore - ore, note=note[:500])
    )
    if done.rowcount != 1:  # the line is locked; only a bug gets here
        raise LedgerError(f"bank line {line_id} has less than {ore} öre open", "amount")
