"""A bankgiro or Swish-QR gift paid through its expected payment: once the money is recorded
there (by a bank line at import, or at the finance desk), the gift moves from ``pending`` to
``paid`` (a one-off gift paid in full) or ``active`` (a monthly giver's first payment), and its
receipt e-mail is queued in the same transaction, as the Stripe handlers do for card gifts.

The e-mail outbox is keyed on the gift and the payment (``receipt:<gift>:<source key>``), so
recording the same payment again queues nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import dialect
from ledger.db import tables as t
from ledger.services import mail
from ledger.services.expected import RecordedReceipt
from ledger.statuses import GiftStatus

__all__ = ["CHANNELS", "settle"]

CHANNELS = ("bankgiro", "swish")
_FROM = (GiftStatus.PENDING, GiftStatus.FAILED)  # waiting, or the card attempt failed


def _gifts(conn: Connection, ids: list[int]) -> dict[int, Any]:
    g = t.gifts.c
    found: dict[int, Any] = {}
    for part in dialect.chunks(ids):
        rows = conn.execute(
            select(g.id, g.public_id, g.status, g.frequency).where(
                g.id.in_(part), g.channel.in_(CHANNELS)
            )
        )
        found.update((row.id, row) for row in rows)
    return found


def settle(
    conn: Connection,
    paid: Sequence[tuple[RecordedReceipt, str, int, date]],
    *,
    config: Mapping[str, object] | None = None,
) -> int:
    """Move and thank the gifts behind these receipts: ``(receipt, source key, amount in öre,
    received on)``, the receipt as ``expected.record_receipt(s)`` returned it. Returns how many
    receipt e-mails were queued.

    ``config`` is the app's (``mail.enqueue_receipt``), needed when a gift is paid.
    """
    fresh = [
        (r, key, ore - r.surplus_ore, day)
        for r, key, ore, day in paid
        if r.new and r.gift_id is not None and r.kind in ("gift", "monthly_gift")
    ]
    gifts = _gifts(conn, sorted({r.gift_id for r, *_ in fresh if r.gift_id is not None}))
    queued = 0
    g = t.gifts.c
    for r, key, counted, day in fresh:
        gift = gifts.get(r.gift_id or 0)
        if gift is None:
            continue
        monthly = r.kind == "monthly_gift"
        if not monthly and r.status != GiftStatus.PAID:
            continue  # partly paid: the gift waits for the rest
        # a one-off gift is thanked for all it has received, a monthly giver for each payment
        amount_ore = counted if monthly else r.paid_ore
        if amount_ore > 0:
            queued += mail.enqueue_receipt(
                conn, gift.public_id, key, amount_ore, day, config=config
            )
        conn.execute(
            t.gifts.update()
            .where(g.id == gift.id, g.status.in_(_FROM))
            .values(
                status=GiftStatus.ACTIVE if monthly else GiftStatus.PAID,
                updated_at=datetime.now(UTC),
            )
        )
    return queued
