"""Making expected payments: each gets a fresh reference from a serial drawn from a counter row
(never ``max() + 1``), and a gift gets at most one."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.references import make_reference
from ledger.services.expected.lookup import by_gift, by_id
from ledger.services.expected.records import ExpectedPayment
from ledger.statuses import PaymentStatus

_COUNTER = "ocr"


def _next_serial(conn: Connection) -> int:
    # The UPDATE takes the counter row's lock until commit, so concurrent callers queue here.
    serial = conn.execute(
        text(
            "UPDATE reference_counters SET last_value = last_value + 1 "
            "WHERE name = :name RETURNING last_value"
        ),
        {"name": _COUNTER},
    ).scalar_one()
    return int(serial)


def create(
    conn: Connection,
    *,
    kind: str,
    amount: Money | None,
    network_id: int | None,
    contributor_id: int | None,
    gift_id: int | None = None,
    due_date: date | None = None,
    repeating: bool = False,
) -> ExpectedPayment:
    """A new expected payment with a fresh reference, in the caller's transaction.

    A second one of a ``GIFT_KINDS`` kind for the same gift raises SQLAlchemy's
    ``IntegrityError`` (use ``by_gift`` to find the first).
    """
    if not kind or len(kind) > 20:
        raise LedgerError("an expected payment needs a kind of at most 20 characters", "kind")
    if amount is not None and amount.ore <= 0:
        raise LedgerError("an expected amount must be above zero", "amount")
    now = datetime.now(UTC)
    reference = make_reference(_next_serial(conn))
    new_id = conn.execute(
        t.expected_payments.insert()
        .values(
            reference=reference,
            kind=kind,
            gift_id=gift_id,
            network_id=network_id,
            contributor_id=contributor_id,
            amount_ore=None if amount is None else amount.ore,
            currency="SEK" if amount is None else amount.currency,
            due_date=due_date,
            repeating=repeating,
            status=PaymentStatus.OPEN,
            paid_ore=0,
            created_at=now,
            updated_at=now,
        )
        .returning(t.expected_payments.c.id)
    ).scalar_one()
    found = by_id(conn, int(new_id))
    if found is None:  # pragma: no cover - just inserted in this transaction
        raise LedgerError("the new expected payment vanished", "id")
    return found


def for_gift(
    conn: Connection,
    *,
    gift_id: int,
    amount: Money,
    network_id: int | None,
    monthly: bool,
) -> ExpectedPayment:
    """The gift's expected payment, made on first call: a double submit of the donor form gets
    the same reference back (the partial UNIQUE index on ``gift_id`` decides a race)."""
    found = by_gift(conn, gift_id)
    if found is not None:
        return found
    try:
        with conn.begin_nested():
            return create(
                conn,
                kind="monthly_gift" if monthly else "gift",
                amount=amount,
                network_id=network_id,
                contributor_id=None,
                gift_id=gift_id,
                repeating=monthly,
            )
    except IntegrityError:
        found = by_gift(conn, gift_id)
        if found is None:
            raise
        return found
