"""How an expected payment's status follows its money: the rules after a receipt and after a
reversal (pure), and ``mark_overdue`` for due dates that passed unpaid."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection

from ledger.db import tables as t
from ledger.services.expected.records import ExpectedPayment
from ledger.statuses import PaymentStatus


def after_receipt(current: ExpectedPayment, received: int) -> tuple[int, str]:
    """How much of ``received`` is surplus, and the status after it."""
    if current.status in (PaymentStatus.CANCELLED, PaymentStatus.WRITTEN_OFF):
        return received, current.status  # nothing is expected any more: all of it is surplus
    if current.repeating:
        return 0, current.status
    if current.amount_ore is None:
        return (
            (received, current.status)
            if current.status == PaymentStatus.PAID
            else (0, PaymentStatus.PAID)
        )
    due = max(0, current.amount_ore - current.paid_ore)
    surplus = max(0, received - due)
    if current.paid_ore + received - surplus >= current.amount_ore:
        return surplus, PaymentStatus.PAID
    if current.status == PaymentStatus.OVERDUE:
        return surplus, PaymentStatus.OVERDUE
    return surplus, PaymentStatus.PARTLY_PAID


def after_reversal(current: ExpectedPayment, paid_ore: int, today: date) -> str:
    """The status once a reversal has brought what was paid back to ``paid_ore``."""
    if current.status in (PaymentStatus.CANCELLED, PaymentStatus.WRITTEN_OFF) or current.repeating:
        return current.status
    if current.amount_ore is None:
        return PaymentStatus.PAID if paid_ore > 0 else PaymentStatus.OPEN
    if paid_ore >= current.amount_ore:
        return PaymentStatus.PAID
    if current.due_date is not None and current.due_date < today:
        return PaymentStatus.OVERDUE
    return PaymentStatus.PARTLY_PAID if paid_ore > 0 else PaymentStatus.OPEN


def mark_overdue(conn: Connection, today: date) -> int:
    """Mark unpaid, non-repeating payments whose due date has passed; returns how many."""
    e = t.expected_payments.c
    result = conn.execute(
        t.expected_payments.update()
        .where(
            e.status.in_((PaymentStatus.OPEN, PaymentStatus.PARTLY_PAID)),
            e.repeating.is_(False),
            e.due_date.is_not(None),
            e.due_date < today,
        )
        .values(status=PaymentStatus.OVERDUE, updated_at=datetime.now(UTC))
    )
    return int(result.rowcount)
