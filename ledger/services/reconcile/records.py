"""What the desk books: a target and a part of a line's money, and the allocation row that records
it (read back by line, or by the form token that booked it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.money import Money

SERIES = "A"
SOURCE_KIND = "desk"


@dataclass(frozen=True, slots=True)
class Target:
    """Where money goes: an expected payment, a network (None: unrestricted), or back."""

    kind: str  # "expected" | "network" | "returned"
    expected_payment_id: int | None = None
    network_id: int | None = None
    contributor_id: int | None = None


@dataclass(frozen=True, slots=True)
class Part:
    target: Target
    amount_ore: int


@dataclass(frozen=True, slots=True)
class Allocation:
    id: int
    line_id: int
    kind: str
    expected_payment_id: int | None
    network_id: int | None
    contributor_id: int | None
    amount_ore: int
    entry_id: int | None
    note: str | None
    created_by: int | None
    created_at: datetime
    reversal_entry_id: int | None


def kr(ore: int) -> str:
    """An amount in öre as the desk's messages show it."""
    return str(Money(ore))


def from_row(row: Any) -> Allocation:
    """The record of an allocation row."""
    return Allocation(**{f: getattr(row, f) for f in Allocation.__dataclass_fields__})


def allocations_for(conn: Connection, line_id: int) -> list[Allocation]:
    """A line's allocations, oldest first (undone ones included)."""
    a = t.bank_line_allocations.c
    rows = conn.execute(select(t.bank_line_allocations).where(a.line_id == line_id).order_by(a.id))
    return [from_row(r) for r in rows]


def by_token(conn: Connection, token: str) -> list[Allocation]:
    """The allocations an earlier submit of the same form booked (empty: none)."""
    a, e = t.bank_line_allocations.c, t.journal_entries.c
    rows = conn.execute(
        select(t.bank_line_allocations)
        .join(t.journal_entries, e.id == a.entry_id)
        .where(e.source_key.like(f"{SOURCE_KIND}:{token}:%"))
        .order_by(a.id)
    )
    return [from_row(r) for r in rows]
