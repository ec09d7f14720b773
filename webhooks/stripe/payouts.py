"""Stripe payouts reconciled against the balance transactions Stripe says they contain.

A payout moves the net of a set of balance transactions (charges less fees, refunds, disputes)
to the bank. Kassan books the payout itself (``bookings.book_payout``) and checks here that the
payout's amount equals the sum of those transactions' net; each check is kept in
``stripe_payout_checks`` (one row per payout) so finance can see any difference.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Integer, MetaData, String, Table, select

from ledger.db import dialect

log = logging.getLogger(__name__)

_metadata = MetaData()
payout_checks = Table(
    "stripe_payout_checks",
    _metadata,
    Column("payout_id", String(255), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("payout_ore", BigInteger, nullable=False),
    Column("transactions_ore", BigInteger, nullable=False),
    Column("difference_ore", BigInteger, nullable=False),
    Column("transaction_count", Integer, nullable=False),
)


@dataclass(frozen=True, slots=True)
class PayoutCheck:
    payout_id: str
    currency: str
    payout_ore: int
    transactions_ore: int
    transaction_count: int

    @property
    def difference_ore(self) -> int:
        return self.payout_ore - self.transactions_ore


def reconcile(payout: Mapping[str, Any], transactions: Iterable[Mapping[str, Any]]) -> PayoutCheck:
    """Compare a payout with its balance transactions (the payout's own one left out)."""
    total = count = 0
    for txn in transactions:
        if txn.get("type") == "payout" or txn.get("source") == payout["id"]:
            continue
        total += int(txn["net"])
        count += 1
    return PayoutCheck(
        payout_id=str(payout["id"]),
        currency=str(payout["currency"]).upper(),
        payout_ore=int(payout["amount"]),
        transactions_ore=total,
        transaction_count=count,
    )


def record(conn: Connection, check: PayoutCheck) -> None:
    """Keep the check (the first one stands: a payout's transactions do not change)."""
    if check.difference_ore:
        log.warning(
            "Stripe payout %s of %d öre %s differs by %d öre from its %d balance transactions",
            check.payout_id,
            check.payout_ore,
            check.currency,
            check.difference_ore,
            check.transaction_count,
        )
    conn.execute(
        dialect.insert(conn, payout_checks)
        .values(
            payout_id=check.payout_id,
            currency=check.currency,
            payout_ore=check.payout_ore,
            transactions_ore=check.transactions_ore,
            difference_ore=check.difference_ore,
            transaction_count=check.transaction_count,
        )
        .on_conflict_do_nothing(index_elements=["payout_id"])
    )


def differences(conn: Connection) -> list[PayoutCheck]:
    """Every payout whose balance transactions do not add up to it, for finance."""
    c = payout_checks.c
    rows = conn.execute(
        select(c.payout_id, c.currency, c.payout_ore, c.transactions_ore, c.transaction_count)
        .where(c.difference_ore != 0)
        .order_by(c.payout_id)
    )
    return [PayoutCheck(*row) for row in rows]
