"""The link from a card refund or dispute to its charge: written with the entry that books it,
once however often Stripe tells us, and made by migration 0011 for entries booked before it."""

from __future__ import annotations

from datetime import date

from alembic import command
from sqlalchemy import select

from ledger import migrate
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import posting
from tests.support.invoicing import add_network
from webhooks.stripe import bookings


def _card(conn, key, text, ore, *, refund=False):
    """An entry as ``webhooks.stripe.bookings`` has always written it: key, text, 1580 and 3993."""
    income = LineDraft("3993", ore if refund else 0, 0 if refund else ore, network="fred")
    stripe = LineDraft("1580", 0 if refund else ore, ore if refund else 0)
    return posting.post(
        conn,
        Draft(
            date=date(2026, 1, 5),
            text=text,
            series="K",
            source_kind="stripe",
            source_key=key,
            lines=(income, stripe) if refund else (stripe, income),
        ),
    )


def _links(conn):
    c = t.stripe_charge_links.c
    return dict(conn.execute(select(c.entry_id, c.charge_entry_id)).all())


def test_a_refund_is_linked_to_its_charge_once_however_often_it_is_booked(engine):
    refund = {
        "id": "re_1",
        "charge": "ch_1",
        "status": "succeeded",
        "amount": 100_00,
        "currency": "sek",
        "created": 1767610800,
    }
    with engine.begin() as conn:
        add_network(conn)
        charge = _card(conn, "stripe:charge:ch_1", "Kortgåva abc (ch_1)", 300_00)
        assert bookings.book_refund(conn, refund) is True
        assert bookings.book_refund(conn, refund) is False
        booked = conn.scalar(
            select(t.journal_entries.c.id).where(
                t.journal_entries.c.source_key == "stripe:refund:re_1"
            )
        )
        assert _links(conn) == {booked: charge.id}


def test_the_migration_links_refunds_and_disputes_booked_before_it(engine):
    # Booked by today's code, then the schema taken back to before the links (the entries
    # stay as they are): today's code writes the hash chain as 0029 stores it.
    with engine.begin() as conn:
        add_network(conn)
        charge = _card(conn, "stripe:charge:ch_OLD", "Kortgåva abc (ch_OLD)", 500_00)
        refund = _card(
            conn,
            "stripe:refund:re_OLD",
            "Återbetald kortgåva (ch_OLD, re_OLD)",
            100_00,
            refund=True,
        )
        dispute = _card(
            conn,
            "stripe:dispute:dp_OLD",
            "Bestriden kortgåva (ch_OLD, dp_OLD)",
            50_00,
            refund=True,
        )
        # a refund whose charge was never booked here has nothing to be linked to
        _card(
            conn,
            "stripe:refund:re_GONE",
            "Återbetald kortgåva (ch_GONE, re_GONE)",
            10_00,
            refund=True,
        )
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert _links(conn) == {refund.id: charge.id, dispute.id: charge.id}
