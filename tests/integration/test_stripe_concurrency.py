"""The same signed event delivered 20 times at once books one entry (on PostgreSQL through row
locks and the unique source key; on SQLite through its single writer)."""

from __future__ import annotations

import threading

from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    add_gift,
    card_payment,
    event,
    fake_stripe_fixture,
    network_id_fixture,
    signed,
    world_fixture,
)

DELIVERIES = 20


def test_the_same_event_delivered_twenty_times_at_once_books_one_gift(world, network_id):
    public_id = add_gift(world.engine, network_id=network_id, amount_ore=20_000, email="a@b.se")
    payment = card_payment(
        world.fake,
        gift=public_id,
        network="palestina",
        amount_ore=20_000,
        fee_ore=480,
        email="a@b.se",
    )
    body, header = signed(event("checkout.session.completed", payment.session))
    start = threading.Barrier(DELIVERIES)
    statuses: list[int] = []

    def deliver() -> None:
        client = world.app.test_client()
        start.wait()
        response = client.post(
            "/webhooks/stripe",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200] * DELIVERIES
    assert sorted(world.entries()) == sorted(
        [f"stripe:charge:{payment.charge['id']}", f"stripe:fee:{payment.txn['id']}"]
    )
    assert world.balance("3993") == -20_000
    assert world.gift(public_id).status == "paid"
