"""Finding expected payments: by id, by reference (one or a bank file's worth at once), by gift,
and those still open for matching a payment without a reference."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, ScalarSelect, select

from ledger.db import dialect
from ledger.db import tables as t
from ledger.money import Money
from ledger.references import is_valid_reference, normalise
from ledger.services.expected.records import (
    GIFT_KINDS,
    OPEN_STATUSES,
    ExpectedPayment,
    from_row,
    select_payments,
)


def by_id(conn: Connection, expected_id: int) -> ExpectedPayment | None:
    row = conn.execute(select_payments().where(t.expected_payments.c.id == expected_id)).first()
    return None if row is None else from_row(row)


def by_reference(conn: Connection, reference: str) -> ExpectedPayment | None:
    """The expected payment with this reference (spaces ignored); None for an invalid one."""
    digits = normalise(reference)
    if not is_valid_reference(digits):
        return None
    return by_references(conn, [digits]).get(digits)


def by_references(conn: Connection, references: Iterable[str]) -> dict[str, ExpectedPayment]:
    """The expected payments with these references (as stored: digits only), by reference, in
    one query; references that name none are left out."""
    wanted = sorted(set(references))
    if not wanted:
        return {}
    e = t.expected_payments.c
    rows = conn.execute(select_payments().where(dialect.among(conn, e.reference, wanted)))
    return {row.reference: from_row(row) for row in rows}


def open_by_amounts(conn: Connection, amounts: Iterable[int]) -> dict[int, list[ExpectedPayment]]:
    """Open expected payments of exactly these amounts (any currency), by amount, in one query."""
    wanted = sorted(set(amounts))
    if not wanted:
        return {}
    e = t.expected_payments.c
    found: dict[int, list[ExpectedPayment]] = {}
    for row in conn.execute(
        select_payments().where(
            e.status.in_(OPEN_STATUSES), dialect.among(conn, e.amount_ore, wanted)
        )
    ):
        found.setdefault(int(row.amount_ore), []).append(from_row(row))
    return found


def reference_of(expected_id: Any) -> ScalarSelect[Any]:
    """The reference of the expected payment whose id is in the column ``expected_id``, as a
    column for the query over another table that names it (NULL where it names none)."""
    e = t.expected_payments.c
    return select(e.reference).where(e.id == expected_id).scalar_subquery()


def by_gift(conn: Connection, gift_id: int) -> ExpectedPayment | None:
    """The gift's own expected payment (one of ``GIFT_KINDS``), if it has one."""
    e = t.expected_payments.c
    row = conn.execute(
        select_payments().where(e.gift_id == gift_id, e.kind.in_(GIFT_KINDS))
    ).first()
    return None if row is None else from_row(row)


def open_payments(
    conn: Connection,
    *,
    amount: Money | None = None,
    kind: str | None = None,
    contributor_id: int | None = None,
    limit: int = 1000,
) -> list[ExpectedPayment]:
    """Expected payments still waiting for money, for matching a payment without a reference.

    ``amount`` keeps those expecting exactly that amount, or any amount; oldest first.
    """
    e = t.expected_payments.c
    query = select_payments().where(e.status.in_(OPEN_STATUSES))
    if amount is not None:
        query = query.where(
            e.currency == amount.currency,
            (e.amount_ore == amount.ore) | e.amount_ore.is_(None),
        )
    if kind is not None:
        query = query.where(e.kind == kind)
    if contributor_id is not None:
        query = query.where(e.contributor_id == contributor_id)
    rows = conn.execute(query.order_by(e.created_at, e.id).limit(limit))
    return [from_row(row) for row in rows]
