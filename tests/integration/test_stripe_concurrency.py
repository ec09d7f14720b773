"""The same signed event delivered 20 times at once books one entry (on PostgreSQL through row
locks and the unique source key; on SQLite through its single writer), on the production path:
the inbox's primary key takes it once, the applier books it after the answers."""

from __future__ import annotations

import threading

from kassan.web import appliers
from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    event,
    fake_stripe_fixture,
    network_id_fixture,
    signed_checkout,
    wait_until,
    world_fixture,
)

DELIVERIES = 20
GIFTS = 30


def test_the_same_event_delivered_twenty_times_at_once_books_one_gift(world, network_id):
    checkout = signed_checkout(world, network_id, amount_ore=20_000, fee_ore=480, email="a@b.se")
    public_id, payment = checkout.public_id, checkout.payment
    body, header = checkout.body, checkout.header
    start = threading.Barrier(DELIVERIES)
    statuses: list[int] = []
    outcomes: list[str] = []

    def deliver() -> None:
        client = world.app.test_client()
        start.wait()
        response = client.post(
            "/webhooks/stripe",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )
        statuses.append(response.status_code)
        outcomes.append(response.get_json()["outcome"])

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    wait_until(lambda: len(world.entries()) >= 2, 15)
    appliers.stop(world.app)

    assert statuses == [200] * DELIVERIES
    assert sorted(outcomes) == ["duplicate"] * (DELIVERIES - 1) + ["queued"]
    assert sorted(world.entries()) == sorted(
        [f"stripe:charge:{payment.charge['id']}", f"stripe:fee:{payment.txn['id']}"]
    )
    assert world.balance("3993") == -20_000
    assert world.gift(public_id).status == "paid"


def test_many_gifts_delivered_at_once_are_each_booked_once_by_the_appliers(world, network_id):
    payments = []
    for i in range(GIFTS):
        checkout = signed_checkout(
            world, network_id, amount_ore=10_000 + i, fee_ore=300, email=f"g{i}@b.se"
        )
        payments.append((checkout.public_id, (checkout.body, checkout.header)))
    start = threading.Barrier(GIFTS)

    def deliver(body: bytes, header: str) -> None:
        client = world.app.test_client()
        start.wait()
        client.post(
            "/webhooks/stripe",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )

    threads = [threading.Thread(target=deliver, args=signed_body) for _, signed_body in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    wait_until(lambda: len(world.entries()) >= 2 * GIFTS, 30, step=0.05)
    appliers.stop(world.app)

    assert len(world.entries()) == 2 * GIFTS  # each gift's charge and fee, once
    assert world.balance("3993") == -sum(10_000 + i for i in range(GIFTS))
    assert all(world.gift(public_id).status == "paid" for public_id, _ in payments)
