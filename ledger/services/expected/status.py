"""How an expected payment's status follows its money: the rules after a receipt and after a
reversal (pure), and ``mark_overdue`` for due dates that passed unpaid."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection

from ledger.db import tables as t
from ledger.services.expected.records import ExpectedPayment


def after_receipt(current: ExpectedPayment, received: int) -> tuple[int, str]:
    """How much of ``received`` is surplus, and the status after it."""
    if current.status in ("cancelled", "written_off"):
        return received, current.status  # nothing is expected any more: all of it is surplus
    if current.repeating:
        return 0, current.status
    if current.amount_ore is None:
        return (received, current.status) if current.status == "paid" else (0, "paid")
    due = max(0, current.amount_ore - current.paid_ore)
    surplus = max(0, received - due)
    if current.paid_ore + received - surplus >= current.amount_ore:
        return surplus, "paid"
    return surplus, "overdue" if current.status == "overdue" else "partly_paid"


def after_reversal(current: ExpectedPayment, paid_ore: int, today: date) -> str:
    """The status once a reversal has brought what was paid back to ``paid_ore``."""
    if current.status in ("cancelled", "written_off") or current.repeating:
        return current.status
    if current.amount_ore is None:
        return "paid" if paid_ore > 0 else "open"
    if paid_ore >= current.amount_ore:
        return "paid"
    if current.due_date is not None and current.due_date < today:
        return "overdue"
    return "partly_paid" if paid_ore > 0 else "open"


def mark_overdue(conn: Connection, today: date) -> int:
    """Mark unpaid, non-repeating payments whose due date has passed; returns how many."""
    e = t.expected_payments.c
    result = conn.execute(
        t.expected_payments.update()
        .where(
            e.status.in_(("open", "partly_paid")),
            e.repeating.is_(False),
            e.due_date.is_not(None),
            e.due_date < today,
        )
        .values(status="overdue", updated_at=datetime.now(UTC))
    )
    return int(result.rowcount)
