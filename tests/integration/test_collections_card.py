"""Card gifts given on a collection's page count from the ledger: each charge booked for the
gift links its entry to the collection in the same transaction, a duplicate event links
nothing twice, refunds and disputes take the money back out, and a monthly gift counts every
paid month. Driven by Stripe-signed events against a fake Stripe."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.services import collections
from tests.support.collection_world import approved_collection
from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    add_gift,
    add_refund,
    book_inline_fixture,
    card_payment,
    dispute_of,
    event,
    fake_stripe_fixture,
    monthly_gift,
    network_id_fixture,
    refunded_charge,
    world_fixture,
)

EMAIL = "sara@example.se"
GIFT = 50_000
MONTHLY = 15_000


@pytest.fixture
def collection(engine, network_id):
    return approved_collection(engine, network_id)


def _on_collection(engine, public_id, collection, name="Sara Lind"):
    with engine.begin() as conn:
        gift_id = conn.scalar(select(t.gifts.c.id).where(t.gifts.c.public_id == public_id))
        collections.attach_gift(conn, gift_id, collection.id, name)


def _progress(engine, collection):
    with engine.connect() as conn:
        return collections.progress(conn, collection)


def _links(engine):
    ce = t.collection_entries.c
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(t.collection_entries)), list(
            conn.execute(select(ce.kind, ce.amount_ore).order_by(ce.id))
        )


@pytest.fixture
def paid(world, collection):
    public_id = add_gift(
        world.engine, network_id=collection.network_id, amount_ore=GIFT, email=EMAIL
    )
    _on_collection(world.engine, public_id, collection)
    payment = card_payment(
        world.fake, gift=public_id, network="palestina", amount_ore=GIFT, fee_ore=930, email=EMAIL
    )
    return payment


def test_a_paid_card_gift_counts_once_even_when_its_events_come_twice(world, collection, paid):
    payment = paid
    completed = event("checkout.session.completed", payment.session)
    world.deliver(completed)
    world.deliver(completed)  # the same event again
    world.deliver(event("payment_intent.succeeded", payment.intent))  # another event, same charge

    progress = _progress(world.engine, collection)
    assert progress.raised.ore == GIFT
    assert progress.gift_count == 1
    assert [(name, amount.ore) for name, amount, _ in progress.latest] == [("Sara", GIFT)]
    assert _links(world.engine) == (1, [("gift", GIFT)])
    assert world.balance("3993") == -GIFT  # the ledger says the same


def test_refunds_take_the_money_back_out_of_the_collection(world, collection, paid):
    payment = paid
    world.deliver(event("checkout.session.completed", payment.session))
    add_refund(world.fake, payment, 10_000)
    world.deliver(event("charge.refunded", refunded_charge(payment, 10_000)))
    world.deliver(event("charge.refunded", refunded_charge(payment, 10_000)))  # resent

    progress = _progress(world.engine, collection)
    assert (progress.raised.ore, progress.gift_count) == (GIFT - 10_000, 1)

    add_refund(world.fake, payment, GIFT - 10_000)  # the rest, from Stripe's dashboard
    world.deliver(event("charge.refunded", refunded_charge(payment, GIFT)))
    progress = _progress(world.engine, collection)
    assert (progress.raised.ore, progress.gift_count, progress.latest) == (0, 0, [])
    assert _links(world.engine) == (3, [("gift", GIFT), ("refund", 10_000), ("refund", 40_000)])
    assert world.balance("3993") == 0


def test_a_refund_overtaking_its_payment_books_and_links_both(world, collection, paid):
    payment = paid
    add_refund(world.fake, payment, GIFT)
    world.deliver(event("charge.refunded", refunded_charge(payment, GIFT)))
    assert _links(world.engine) == (2, [("gift", GIFT), ("refund", GIFT)])
    assert _progress(world.engine, collection).raised.ore == 0


def test_a_dispute_takes_the_gift_out_and_a_won_one_brings_it_back(world, collection, paid):
    payment = paid
    world.deliver(event("checkout.session.completed", payment.session))
    opened = dispute_of(payment, "needs_response")
    world.deliver(event("charge.dispute.created", opened))
    assert _progress(world.engine, collection).raised.ore == 0

    won = dispute_of(payment, "won", won=True) | {"id": opened["id"]}
    world.deliver(event("charge.dispute.closed", won))
    world.deliver(event("charge.dispute.closed", won))
    progress = _progress(world.engine, collection)
    assert (progress.raised.ore, progress.gift_count) == (GIFT, 1)
    assert _links(world.engine) == (3, [("gift", GIFT), ("refund", GIFT), ("gift", GIFT)])


def test_a_monthly_card_gift_counts_every_paid_month(world, collection):
    gift = monthly_gift(
        world, collection.network_id, amount_ore=MONTHLY, fee_ore=405, email=EMAIL, months=2
    )
    _on_collection(world.engine, gift.public_id, collection, name=None)
    session, months = gift.session, gift.months
    world.deliver(event("checkout.session.completed", session))
    world.deliver(event("invoice.paid", months[0].invoice))  # the first month again
    world.deliver(event("invoice.paid", months[1].invoice))

    progress = _progress(world.engine, collection)
    assert (progress.raised.ore, progress.gift_count) == (2 * MONTHLY, 2)
    assert {name for name, _, _ in progress.latest} == {"anonym"}
    assert world.balance("3993") == -2 * MONTHLY


def test_a_card_gift_not_given_on_a_collection_links_nothing(world, collection):
    public_id = add_gift(
        world.engine, network_id=collection.network_id, amount_ore=GIFT, email=EMAIL
    )
    payment = card_payment(
        world.fake, gift=public_id, network="palestina", amount_ore=GIFT, fee_ore=930, email=EMAIL
    )
    world.deliver(event("checkout.session.completed", payment.session))
    assert world.balance("3993") == -GIFT
    assert _links(world.engine) == (0, [])
    assert _progress(world.engine, collection).raised.ore == 0
