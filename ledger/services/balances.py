"""Balances read from the kept aggregates (``account_balances``), never by scanning lines."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from ledger.db import tables as t


@dataclass(frozen=True, slots=True)
class AccountTotal:
    account: str
    name: str
    debit_ore: int
    credit_ore: int

    @property
    def balance_ore(self) -> int:
        return self.debit_ore - self.credit_ore


def account_totals(
    conn: Connection,
    *,
    year: int | None = None,
    network_id: int | None = None,
    period: int | None = None,
    currency: str = "SEK",
) -> list[AccountTotal]:
    """Debit and credit per account, optionally for one year, network (0: none) or month."""
    b = t.account_balances.c
    query = (
        select(
            b.account,
            t.accounts.c.name,
            func.sum(b.debit_ore).label("debit"),
            func.sum(b.credit_ore).label("credit"),
        )
        .join(t.accounts, t.accounts.c.code == b.account)
        .where(b.currency == currency)
        .group_by(b.account, t.accounts.c.name)
        .order_by(b.account)
    )
    if year is not None:
        query = query.where(b.fiscal_year == year)
    if network_id is not None:
        query = query.where(b.network_id == network_id)
    if period is not None:
        query = query.where(b.period == period)
    return [
        AccountTotal(r.account, r.name, int(r.debit), int(r.credit)) for r in conn.execute(query)
    ]


def network_totals(conn: Connection, *, year: int, account: str) -> dict[int, tuple[int, int]]:
    """(debit, credit) on one account per network id (0: no network) for a year."""
    b = t.account_balances.c
    rows = conn.execute(
        select(b.network_id, func.sum(b.debit_ore), func.sum(b.credit_ore))
        .where(b.fiscal_year == year, b.account == account)
        .group_by(b.network_id)
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}
