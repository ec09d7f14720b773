"""Recording a bank file's receipts at once: one lock query, one insert and one update per touched
expected payment, with ``record_receipt``'s idempotency and surplus rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.exc import IntegrityError

from ledger.db import dialect
from ledger.db import tables as t
from ledger.errors import LedgerError, ReceiptConflict
from ledger.services.expected.receipts import check_receipt, record_receipt
from ledger.services.expected.records import (
    ExpectedPayment,
    Receipt,
    RecordedReceipt,
    from_row,
    select_payments,
    with_receipt,
)
from ledger.services.expected.status import after_receipt

_RECEIPT_COLUMNS = (
    ("expected_payment_id", "integer"),
    ("entry_id", "bigint"),
    ("amount_ore", "bigint"),
    ("surplus_ore", "bigint"),
    ("currency", "varchar"),
    ("source_key", "varchar"),
    ("received_on", "date"),
    ("created_at", "timestamptz"),
)


def _insert_receipts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not dialect.is_postgresql(conn):
        conn.execute(t.expected_payment_receipts.insert(), rows)
        return
    # PostgreSQL: one INSERT over arrays, instead of one statement per row
    names = ", ".join(name for name, _ in _RECEIPT_COLUMNS)
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _RECEIPT_COLUMNS)
    conn.execute(
        text(f"INSERT INTO expected_payment_receipts ({names}) SELECT * FROM unnest({arrays})"),
        {name: [row[name] for row in rows] for name, _ in _RECEIPT_COLUMNS},
    )


def record_receipts(conn: Connection, receipts: Sequence[Receipt]) -> list[RecordedReceipt]:
    """``record_receipt`` for many payments at once, with the same idempotency on
    ``source_key`` and the same surplus rules, one result per receipt in order.

    The expected payments are locked in id order and read once, the receipts inserted in one
    statement, and each touched expected payment updated once. Should another transaction
    record one of these source keys in between, the batch falls back to ``record_receipt``
    one by one, whose answers are the authority.
    """
    for receipt in receipts:
        check_receipt(receipt)
    ids = sorted({r.expected_id for r in receipts})
    e, r = t.expected_payments.c, t.expected_payment_receipts.c
    current: dict[int, ExpectedPayment] = {}
    for part in dialect.chunks(ids):
        if dialect.is_postgresql(conn):  # SQLite: BEGIN IMMEDIATE serialises already
            conn.execute(
                select(e.id).where(dialect.among(conn, e.id, part)).order_by(e.id).with_for_update()
            ).all()
        current.update(
            (row.id, from_row(row))
            for row in conn.execute(select_payments().where(dialect.among(conn, e.id, part)))
        )
    earlier: dict[str, tuple[int, int]] = {}
    for keys in dialect.chunks(sorted({x.source_key for x in receipts})):
        rows = conn.execute(
            select(r.source_key, r.expected_payment_id, r.surplus_ore).where(
                dialect.among(conn, r.source_key, keys)
            )
        )
        earlier.update(
            (row.source_key, (row.expected_payment_id, int(row.surplus_ore))) for row in rows
        )
    now = datetime.now(UTC)
    out: list[RecordedReceipt] = []
    rows_in: list[dict[str, Any]] = []
    for x in receipts:
        state = current.get(x.expected_id)
        if state is None:
            raise LedgerError(f"no expected payment {x.expected_id}", "expected_payment_id")
        if x.amount.currency != state.currency:
            raise LedgerError(
                f"the payment is in {x.amount.currency}, the expected payment in {state.currency}",
                "currency",
            )
        if x.source_key in earlier:
            first_id, first_surplus = earlier[x.source_key]
            if first_id != x.expected_id:
                raise ReceiptConflict(
                    f"payment {x.source_key} is already recorded against expected payment "
                    f"{first_id}",
                    "source_key",
                )
            out.append(with_receipt(state, first_surplus, new=False))
            continue
        surplus, status = after_receipt(state, x.amount.ore)
        earlier[x.source_key] = (x.expected_id, surplus)  # twice in one batch: once
        state = replace(
            state, paid_ore=state.paid_ore + x.amount.ore - surplus, status=status, updated_at=now
        )
        current[x.expected_id] = state
        out.append(with_receipt(state, surplus, new=True))
        rows_in.append(
            {
                "expected_payment_id": x.expected_id,
                "entry_id": x.entry_id,
                "amount_ore": x.amount.ore,
                "surplus_ore": surplus,
                "currency": x.amount.currency,
                "source_key": x.source_key,
                "received_on": x.received_on,
                "created_at": now,
            }
        )
    if not rows_in:
        return out
    try:
        with conn.begin_nested():
            _insert_receipts(conn, rows_in)
    except IntegrityError:
        # A source key recorded by a concurrent transaction since we looked: let the
        # one-at-a-time path sort out which are new (it raises for a real fault).
        return [
            record_receipt(
                conn,
                x.expected_id,
                entry_id=x.entry_id,
                amount=x.amount,
                source_key=x.source_key,
                received_on=x.received_on,
            )
            for x in receipts
        ]
    touched = sorted({row["expected_payment_id"] for row in rows_in})
    if dialect.is_postgresql(conn):
        # one statement for the batch; executemany would send one UPDATE per payment
        conn.execute(
            text(
                "UPDATE expected_payments AS e SET paid_ore = v.paid, status = v.status, "
                "updated_at = :now FROM unnest(CAST(:ids AS integer[]), "
                "CAST(:paid AS bigint[]), CAST(:status AS varchar[])) AS v(id, paid, status) "
                "WHERE e.id = v.id"
            ),
            {
                "now": now,
                "ids": touched,
                "paid": [current[i].paid_ore for i in touched],
                "status": [current[i].status for i in touched],
            },
        )
        return out
    conn.execute(
        t.expected_payments.update()
        .where(e.id == bindparam("b_id"))
        .values(paid_ore=bindparam("b_paid"), status=bindparam("b_status"), updated_at=now),
        [
            {"b_id": i, "b_paid": current[i].paid_ore, "b_status": current[i].status}
            for i in touched
        ],
    )
    return out
