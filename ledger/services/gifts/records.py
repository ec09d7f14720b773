"""What a gift is as read from its row (with its network), its public id, and finding it by that
id or by whichever Stripe id a webhook carries."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, select

from ledger.db import tables as t

_PUBLIC_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class Gift:
    id: int
    public_id: str
    network_id: int | None
    network_slug: str | None
    network_name: str | None
    contributor_id: int | None
    amount_ore: int
    currency: str
    frequency: str
    channel: str
    status: str
    donor_kind: str
    donor_name: str
    donor_email: str
    organisation_number: str | None
    personnummer_enc: str | None
    consent_contact: bool
    locale: str
    stripe_checkout_session_id: str | None
    stripe_subscription_id: str | None
    created_at: datetime


def new_public_id() -> str:
    """A fresh public id: 32 hex digits, for the donor's links."""
    return secrets.token_hex(16)


def is_public_id(value: object) -> bool:
    """Whether ``value`` has the shape of a public id (checked before any look-up)."""
    return isinstance(value, str) and bool(_PUBLIC_ID.match(value))


def select_gifts() -> Select[Any]:
    """Gifts with their network's slug and name."""
    g, n = t.gifts.c, t.networks.c
    return select(t.gifts, n.slug.label("network_slug"), n.name.label("network_name")).select_from(
        t.gifts.outerjoin(t.networks, g.network_id == n.id)
    )


def from_row(row: Any) -> Gift:
    """The record of a row read with ``select_gifts``."""
    return Gift(
        id=row.id,
        public_id=row.public_id,
        network_id=row.network_id,
        network_slug=row.network_slug,
        network_name=row.network_name,
        contributor_id=row.contributor_id,
        amount_ore=int(row.amount_ore),
        currency=row.currency,
        frequency=row.frequency,
        channel=row.channel,
        status=row.status,
        donor_kind=row.donor_kind,
        donor_name=row.donor_name,
        donor_email=row.donor_email,
        organisation_number=row.organisation_number,
        personnummer_enc=row.personnummer_enc,
        consent_contact=bool(row.consent_contact),
        locale=row.locale,
        stripe_checkout_session_id=row.stripe_checkout_session_id,
        stripe_subscription_id=row.stripe_subscription_id,
        created_at=row.created_at,
    )


def get_gift(conn: Connection, public_id: str) -> Gift | None:
    """The gift with this public id (from a donor's link), or None."""
    if not is_public_id(public_id):
        return None
    return find_gift(conn, public_id=public_id)


def find_gift(
    conn: Connection,
    *,
    public_id: str | None = None,
    session_id: str | None = None,
    payment_intent_id: str | None = None,
    subscription_id: str | None = None,
    lock: bool = False,
) -> Gift | None:
    """The gift matching the first of the given ids that is set and known, or None.

    The card processor's webhooks name a gift by whichever id they carry; ``lock`` holds the
    row (``FOR UPDATE`` on PostgreSQL) while its status is moved on.
    """
    g = t.gifts.c
    for column, value in (
        (g.public_id, public_id),
        (g.stripe_checkout_session_id, session_id),
        (g.stripe_payment_intent_id, payment_intent_id),
        (g.stripe_subscription_id, subscription_id),
    ):
        if not value:
            continue
        query = select_gifts().where(column == value)
        if lock:
            query = query.with_for_update(of=t.gifts)
        row = conn.execute(query).first()
        if row is not None:
            return from_row(row)
    return None
