"""Writing a gift row: a pending gift from the donor form (the personnummer encrypted), the donor's
details changed while it is pending, its checkout session, and a monthly gift stopped."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.fernet import MultiFernet
from sqlalchemy import Connection

from ledger.db import tables as t
from ledger.services import pii
from ledger.services.gifts.donor_form import GiftDraft
from ledger.services.gifts.records import Gift, is_public_id, new_public_id
from ledger.statuses import GiftStatus


def _donor_values(draft: GiftDraft, crypt: MultiFernet) -> dict[str, object]:
    return {
        "donor_kind": draft.donor_kind,
        "donor_name": draft.donor_name,
        "donor_email": draft.donor_email,
        "organisation_number": draft.organisation_number,
        "personnummer_enc": pii.encrypt(crypt, draft.personnummer) if draft.personnummer else None,
        "consent_contact": draft.consent_contact,
    }


def create_gift(
    conn: Connection,
    draft: GiftDraft,
    *,
    network_id: int | None,
    crypt: MultiFernet,
    public_id: str | None = None,
    channel: str | None = None,
) -> str:
    """Write a pending gift and return its public id. The personnummer is stored encrypted.

    A duplicate ``public_id`` raises SQLAlchemy's ``IntegrityError`` from the UNIQUE constraint.
    """
    pid = public_id or new_public_id()
    if not is_public_id(pid):
        raise ValueError("a gift's public id is 32 lowercase hex digits")
    now = datetime.now(UTC)
    conn.execute(
        t.gifts.insert().values(
            public_id=pid,
            network_id=network_id,
            amount_ore=draft.amount_ore,
            currency="SEK",
            frequency=draft.frequency,
            channel=channel or draft.channel,
            status=GiftStatus.PENDING,
            locale=draft.locale,
            created_at=now,
            updated_at=now,
            **_donor_values(draft, crypt),
        )
    )
    return pid


def same_checkout(gift: Gift, draft: GiftDraft, network_id: int | None) -> bool:
    """Whether ``draft`` would make the same checkout (Stripe session, reference) as ``gift``."""
    return (
        gift.status == GiftStatus.PENDING
        and gift.channel == draft.channel
        and gift.network_id == network_id
        and gift.amount_ore == draft.amount_ore
        and gift.frequency == draft.frequency
        and gift.donor_email == draft.donor_email
        and gift.locale == draft.locale
    )


def update_donor(conn: Connection, public_id: str, draft: GiftDraft, crypt: MultiFernet) -> None:
    """Details that Stripe never sees (name, numbers, consent) may change on a pending gift."""
    values = _donor_values(draft, crypt)
    if values["personnummer_enc"] is None:
        del values["personnummer_enc"]  # left blank on a returning form: keep what was given
    conn.execute(
        t.gifts.update()
        .where(t.gifts.c.public_id == public_id, t.gifts.c.status == GiftStatus.PENDING)
        .values(updated_at=datetime.now(UTC), **values)
    )


def set_checkout_session(conn: Connection, public_id: str, session_id: str) -> None:
    """Remember the Stripe Checkout session the donor was sent to."""
    conn.execute(
        t.gifts.update()
        .where(t.gifts.c.public_id == public_id)
        .values(stripe_checkout_session_id=session_id, updated_at=datetime.now(UTC))
    )


def mark_cancelled(conn: Connection, public_id: str) -> bool:
    """A monthly gift stopped by its donor; its past payments stay in the ledger untouched."""
    result = conn.execute(
        t.gifts.update()
        .where(
            t.gifts.c.public_id == public_id,
            t.gifts.c.frequency == "monthly",
            t.gifts.c.status.in_(
                (GiftStatus.PENDING, GiftStatus.PAID, GiftStatus.ACTIVE, GiftStatus.FAILED)
            ),
        )
        .values(status=GiftStatus.CANCELLED, updated_at=datetime.now(UTC))
    )
    return result.rowcount == 1
