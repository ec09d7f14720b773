"""Monthly card gifts: the first invoice through Checkout, later ones through ``invoice.paid``,
each invoice's charge booked once; failures and cancellations move the gift, not the ledger."""

from __future__ import annotations

import pytest

from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    book_inline_fixture,
    event,
    fake_stripe_fixture,
    monthly_gift,
    monthly_payment,
    network_id_fixture,
    new_id,
    resource,
    world_fixture,
)

EMAIL = "facklubben@example.se"
MONTHLY = 15_000


@pytest.fixture
def monthly(world, network_id):
    gift = monthly_gift(world, network_id, amount_ore=MONTHLY, fee_ore=405, email=EMAIL)
    return gift.public_id, gift.subscription, gift.months[0], gift.session


def _next_month(world, public_id, subscription):
    return monthly_payment(
        world.fake,
        gift=public_id,
        network="palestina",
        subscription=subscription,
        amount_ore=MONTHLY,
        fee_ore=405,
        email=EMAIL,
        first=False,
    )


def _charges(world):
    return sorted(k for k in world.entries() if k.startswith("stripe:charge:"))


def test_a_monthly_gift_books_its_first_month_from_checkout(world, network_id, monthly):
    public_id, subscription, first, session = monthly

    world.deliver(event("checkout.session.completed", session))

    gift = world.gift(public_id)
    assert gift.status == "active"
    assert gift.stripe_subscription_id == subscription
    assert gift.stripe_customer_id == session["customer"]
    assert world.entries()[f"stripe:charge:{first.charge['id']}"] == [
        ("1580", MONTHLY, 0, None, None),
        ("3993", 0, MONTHLY, network_id, gift.contributor_id),
    ]
    assert f"stripe:fee:{first.txn['id']}" in world.entries()


def test_each_invoice_is_booked_once_even_when_invoice_paid_comes_twice(world, monthly):
    public_id, subscription, first, session = monthly
    world.deliver(event("checkout.session.completed", session))
    world.deliver(event("invoice.paid", first.invoice))  # the first month again: nothing new

    second = _next_month(world, public_id, subscription)
    world.deliver(event("invoice.paid", second.invoice))
    world.deliver(event("invoice.paid", second.invoice))  # Stripe resends with a new event id

    assert _charges(world) == sorted(
        [f"stripe:charge:{first.charge['id']}", f"stripe:charge:{second.charge['id']}"]
    )
    assert world.balance("3993") == -2 * MONTHLY
    assert world.balance("6570") == 2 * 405


def test_invoice_paid_before_checkout_completed_books_the_month_once(world, monthly):
    public_id, _, first, session = monthly

    world.deliver(event("invoice.paid", first.invoice))
    world.deliver(event("checkout.session.completed", session))

    assert _charges(world) == [f"stripe:charge:{first.charge['id']}"]
    assert world.gift(public_id).status == "active"


def test_payment_intent_succeeded_of_a_month_waits_for_its_invoice_then_converges(world, monthly):
    public_id, subscription, _, session = monthly
    world.deliver(event("checkout.session.completed", session))
    second = _next_month(world, public_id, subscription)
    early = event("payment_intent.succeeded", second.intent)

    response = world.deliver(early)
    assert response.status_code == 200 and response.get_json()["outcome"] == "failed"
    assert world.inbox(early["id"]).last_error.startswith("NotYetBookable")

    world.deliver(event("invoice.paid", second.invoice))  # retries the waiting event after it

    assert len(_charges(world)) == 2
    waited = world.inbox(early["id"])
    assert waited.processed_at is not None and waited.last_error is None and waited.attempts == 2


def test_a_failed_invoice_payment_books_nothing(world, monthly):
    public_id, _, first, session = monthly
    world.deliver(event("checkout.session.completed", session))
    failed = {**first.invoice, "id": new_id("in"), "status": "open", "amount_paid": 0}

    response = world.deliver(event("invoice.payment_failed", failed))

    assert response.status_code == 200
    assert len(_charges(world)) == 1
    assert world.gift(public_id).status == "active"


def test_a_cancelled_subscription_ends_the_gift_and_keeps_its_past_months(world, monthly):
    public_id, subscription, _, session = monthly
    world.deliver(event("checkout.session.completed", session))
    ended = resource(
        "subscription",
        id=subscription,
        status="canceled",
        currency="sek",
        customer=session["customer"],
        metadata={"gift": public_id, "network": "palestina"},
    )

    response = world.deliver(event("customer.subscription.deleted", ended))

    assert response.status_code == 200
    assert world.gift(public_id).status == "cancelled"
    assert len(_charges(world)) == 1
    assert world.balance("3993") == -MONTHLY
