"""Undoing an allocation: its entry reversed, the amount given back to the line's ``open_ore``, and
the expected payment no longer counting it; undoing twice changes nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.errors import AlreadyReversed, DeskRefused
from ledger.services import expected, journal, posting
from ledger.services.reconcile.booking import lock_line
from ledger.services.reconcile.records import Allocation, from_row


def undo(
    conn: Connection, allocation_id: int, *, user_id: int | None = None, on: date | None = None
) -> Allocation:
    """Reverse an allocation's entry and give its amount back to the line's ``open_ore``.

    Undoing twice changes nothing the second time.
    """
    a = t.bank_line_allocations.c
    found = conn.execute(select(t.bank_line_allocations).where(a.id == allocation_id)).first()
    if found is None:
        raise DeskRefused(f"Kopplingen {allocation_id} finns inte.", "allocation_id")
    lock_line(conn, found.line_id)
    current = conn.execute(select(t.bank_line_allocations).where(a.id == allocation_id)).one()
    if current.reversal_entry_id is not None or current.entry_id is None:
        return from_row(current)
    try:
        reversal = posting.reverse(conn, current.entry_id, on=on, created_by=user_id)
    except AlreadyReversed:
        # reversed outside the desk (through the journal): record it, then give the money back
        original = journal.get_entry(conn, current.entry_id)
        if original is None or original.reversed_by_id is None:
            raise
        reversal_id = original.reversed_by_id
    else:
        reversal_id = reversal.id
    marked = conn.execute(
        t.bank_line_allocations.update()
        .where(a.id == allocation_id, a.reversal_entry_id.is_(None))
        .values(reversal_entry_id=reversal_id)
    )
    if marked.rowcount == 1:
        conn.execute(
            t.bank_lines.update()
            .where(t.bank_lines.c.id == current.line_id)
            .values(open_ore=t.bank_lines.c.open_ore + current.amount_ore)
        )
        # the expected payment no longer counts what the undone entry paid (a reversal through
        # the journal took it back already; taking back twice changes nothing)
        expected.reverse_receipts_of(conn, current.entry_id, reversal_entry_id=reversal_id)
    after = conn.execute(select(t.bank_line_allocations).where(a.id == allocation_id)).one()
    return from_row(after)
