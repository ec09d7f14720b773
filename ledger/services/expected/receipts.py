"""Recording one payment against an expected payment, idempotent on the payment's source key;
what it brought beyond what was due is its surplus, for the caller to move to suspense."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.errors import LedgerError, ReceiptConflict
from ledger.money import Money
from ledger.services.expected.lookup import by_id
from ledger.services.expected.records import ExpectedPayment, Receipt, RecordedReceipt, with_receipt
from ledger.services.expected.status import after_receipt


def check_receipt(receipt: Receipt) -> None:
    """Refuse a receipt that could never be recorded, before anything is locked."""
    if receipt.amount.ore <= 0:
        raise LedgerError("a received amount must be above zero", "amount")
    if not receipt.source_key or len(receipt.source_key) > 200:
        raise LedgerError("a receipt needs a source key of at most 200 characters", "source_key")


def lock(conn: Connection, expected_id: int) -> ExpectedPayment:
    """The expected payment, read under its row lock until commit."""
    # FOR UPDATE on PostgreSQL; SQLite's write transaction (BEGIN IMMEDIATE) already serialises.
    e = t.expected_payments.c
    locked = conn.execute(select(e.id).where(e.id == expected_id).with_for_update()).first()
    current = by_id(conn, expected_id) if locked is not None else None
    if current is None:
        raise LedgerError(f"no expected payment {expected_id}", "expected_payment_id")
    return current


def record_receipt(
    conn: Connection,
    expected_id: int,
    *,
    entry_id: int,
    amount: Money,
    source_key: str,
    received_on: date,
) -> RecordedReceipt:
    """Record a payment booked as ``entry_id`` against the expected payment; idempotent on
    ``source_key`` (the payment in the world: bank reference, Swish payment reference).

    The result's ``surplus`` is what the payment brought beyond what was due (an overpayment,
    or money for a cancelled or already paid one): the caller moves it to suspense.
    """
    check_receipt(Receipt(expected_id, entry_id, amount, source_key, received_on))
    current = lock(conn, expected_id)
    if amount.currency != current.currency:
        raise LedgerError(
            f"the payment is in {amount.currency}, the expected payment in {current.currency}",
            "currency",
        )
    surplus, status = after_receipt(current, amount.ore)
    r = t.expected_payment_receipts
    try:
        with conn.begin_nested():
            conn.execute(
                r.insert().values(
                    expected_payment_id=expected_id,
                    entry_id=entry_id,
                    amount_ore=amount.ore,
                    surplus_ore=surplus,
                    currency=amount.currency,
                    source_key=source_key,
                    received_on=received_on,
                    created_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        first = conn.execute(
            select(r.c.expected_payment_id, r.c.surplus_ore).where(r.c.source_key == source_key)
        ).first()
        if first is None:
            raise  # not the source key: a bad entry_id or amount, which is a caller's bug
        if first.expected_payment_id != expected_id:
            raise ReceiptConflict(
                f"payment {source_key} is already recorded against expected payment "
                f"{first.expected_payment_id}",
                "source_key",
            ) from None
        return with_receipt(current, int(first.surplus_ore), new=False)
    conn.execute(
        t.expected_payments.update()
        .where(t.expected_payments.c.id == expected_id)
        .values(
            paid_ore=t.expected_payments.c.paid_ore + (amount.ore - surplus),
            status=status,
            updated_at=datetime.now(UTC),
        )
    )
    after = by_id(conn, expected_id)
    if after is None:  # pragma: no cover - locked above
        raise LedgerError(f"no expected payment {expected_id}", "expected_payment_id")
    return with_receipt(after, surplus, new=True)
