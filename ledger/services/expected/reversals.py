"""Taking a receipt back when its booking is reversed: the receipt row stays and names the
reversing entry, and the expected payment's ``paid_ore`` and status go back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.services.expected.receipts import lock
from ledger.services.expected.records import ExpectedPayment
from ledger.services.expected.status import after_reversal


def reverse_receipt(
    conn: Connection, source_key: str, *, reversal_entry_id: int
) -> ExpectedPayment | None:
    """Undo the receipt recorded for ``source_key`` because its entry was reversed as
    ``reversal_entry_id``: its expected payment no longer counts it (``paid_ore`` and status go
    back). Receipts are never deleted: the row stays and names the reversal. Undoing twice
    changes nothing the second time. None when no receipt has this source key.
    """
    r = t.expected_payment_receipts
    found = conn.execute(
        select(r.c.expected_payment_id).where(r.c.source_key == source_key)
    ).first()
    if found is None:
        return None
    current = lock(conn, int(found.expected_payment_id))
    marked = conn.execute(
        r.update()
        .where(r.c.source_key == source_key, r.c.reversal_entry_id.is_(None))
        .values(reversal_entry_id=reversal_entry_id)
        .returning(r.c.amount_ore, r.c.surplus_ore)
    ).first()
    if marked is None:
        return current  # undone before
    # only what counted when it was recorded comes off: the surplus went to suspense
    paid = max(0, current.paid_ore - (int(marked.amount_ore) - int(marked.surplus_ore)))
    now = datetime.now(UTC)
    status = after_reversal(current, paid, now.date())
    conn.execute(
        t.expected_payments.update()
        .where(t.expected_payments.c.id == current.id)
        .values(paid_ore=paid, status=status, updated_at=now)
    )
    return replace(current, paid_ore=paid, status=status, updated_at=now)


def reverse_receipts_of(
    conn: Connection, entry_id: int, *, reversal_entry_id: int
) -> list[ExpectedPayment]:
    """Take back every receipt the entry ``entry_id`` recorded, because it was reversed as
    ``reversal_entry_id`` (whoever reversed it: the desk's undo, a correction through the
    journal). Taking back twice changes nothing the second time."""
    r = t.expected_payment_receipts.c
    keys = (
        conn.execute(select(r.source_key).where(r.entry_id == entry_id).order_by(r.id))
        .scalars()
        .all()
    )
    taken = [reverse_receipt(conn, key, reversal_entry_id=reversal_entry_id) for key in keys]
    return [p for p in taken if p is not None]
