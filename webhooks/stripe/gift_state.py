"""A card gift as the Stripe webhooks see it: found by the ids Stripe sends, its status moved on.

The donor pages create the gift rows and ``ledger.services.gifts`` holds the one gift record
and its reader; this module moves a gift's status on
(pending → paid/active/failed/refunded/disputed/cancelled) and remembers the Stripe ids that
arrive later (payment intent, customer, subscription). It also gives each gift its contributor,
found or created by the donor's e-mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func

from ledger.db import tables as t
from ledger.services import dimensions, gifts
from ledger.services.gifts import Gift
from ledger.statuses import GiftStatus


def from_metadata(
    conn: Connection, metadata: Mapping[str, Any] | None, **ids: str | None
) -> Gift | None:
    """The gift named by Stripe metadata (``gift`` = public id) or by one of the Stripe ids."""
    public_id = (metadata or {}).get("gift")
    return gifts.find_gift(conn, public_id=public_id, lock=True, **ids)


def remember(conn: Connection, gift: Gift, **stripe_ids: str | None) -> None:
    """Store Stripe ids (payment_intent, customer, subscription) the gift did not have yet."""
    values = {f"stripe_{name}_id": value for name, value in stripe_ids.items() if value}
    if not values:
        return
    g = t.gifts.c
    for column, value in values.items():
        conn.execute(
            t.gifts.update()
            .where(g.id == gift.id, getattr(g, column).is_(None))
            .values({column: value, "updated_at": func.current_timestamp()})
        )


# Which status may follow which: a late "paid" must not undo a refund or a cancellation.
_NEXT: dict[str, frozenset[str]] = {
    GiftStatus.PENDING: frozenset(
        {
            GiftStatus.PAID,
            GiftStatus.ACTIVE,
            GiftStatus.FAILED,
            GiftStatus.CANCELLED,
            GiftStatus.REFUNDED,
            GiftStatus.DISPUTED,
        }
    ),
    GiftStatus.FAILED: frozenset({GiftStatus.PAID, GiftStatus.ACTIVE, GiftStatus.CANCELLED}),
    GiftStatus.PAID: frozenset({GiftStatus.REFUNDED, GiftStatus.DISPUTED}),
    GiftStatus.ACTIVE: frozenset(
        {GiftStatus.CANCELLED, GiftStatus.REFUNDED, GiftStatus.DISPUTED, GiftStatus.FAILED}
    ),
    GiftStatus.DISPUTED: frozenset({GiftStatus.PAID, GiftStatus.ACTIVE, GiftStatus.REFUNDED}),
    GiftStatus.REFUNDED: frozenset(),
    GiftStatus.CANCELLED: frozenset(),
}


def move(conn: Connection, gift: Gift, status: GiftStatus) -> bool:
    """Move the gift to ``status`` if that follows its current one; says whether it moved."""
    if status not in _NEXT:
        raise ValueError(f"unknown gift status {status!r}")
    if status == gift.status or status not in _NEXT[gift.status]:
        return False
    g = t.gifts.c
    result = conn.execute(
        t.gifts.update()
        .where(g.id == gift.id, g.status == gift.status)
        .values(status=status, updated_at=func.current_timestamp())
    )
    return result.rowcount == 1


def contributor_for(conn: Connection, gift: Gift) -> int:
    """The gift's contributor: kept on the gift, else found by e-mail, else created."""
    if gift.contributor_id is not None:
        return gift.contributor_id
    found = dimensions.find_contributor_by_email(conn, gift.donor_email)
    if found is not None:
        contributor_id = found.id
    else:
        contributor_id = dimensions.create_contributor(
            conn, gift.donor_kind, gift.donor_name, gift.donor_email
        )
    g = t.gifts.c
    conn.execute(
        t.gifts.update()
        .where(g.id == gift.id, g.contributor_id.is_(None))
        .values(contributor_id=contributor_id, updated_at=func.current_timestamp())
    )
    return contributor_id
