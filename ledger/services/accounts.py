"""The chart of accounts as it stands in the database (seeded from BAS by the migrations)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from ledger.db import tables as t


@dataclass(frozen=True, slots=True)
class AccountRow:
    code: str
    name: str
    type: str
    normal_side: str


def list_accounts(conn: Connection) -> list[AccountRow]:
    """The chart of accounts in the database (seeded from BAS), in account order."""
    a = t.accounts.c
    rows = conn.execute(select(a.code, a.name, a.type, a.normal_side).order_by(a.code))
    return [AccountRow(r.code, r.name, r.type, r.normal_side) for r in rows]
