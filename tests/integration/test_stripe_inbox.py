"""The webhook's front door and its inbox: signatures, unknown events, failures that wait, and
replays after a crash between storing an event and booking it."""

from __future__ import annotations

import json
import time

from sqlalchemy import text

from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    add_gift,
    card_payment,
    event,
    fake_stripe_fixture,
    network_id_fixture,
    resource,
    signed,
    world_fixture,
)
from webhooks.stripe import inbox
from webhooks.stripe.cli import webhooks_cli

EMAIL = "ali@example.se"


def _payment(world, network_id, register=True):
    public_id = add_gift(world.engine, network_id=network_id, amount_ore=30_000, email=EMAIL)
    payment = card_payment(
        world.fake, gift=public_id, network="palestina", amount_ore=30_000, fee_ore=630, email=EMAIL
    )
    if not register:
        for obj in (payment.intent, payment.charge, payment.txn):
            del world.fake.objects[obj["id"]]
    return public_id, payment


def _inbox_count(world):
    with world.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM stripe_events"))


def test_a_forged_signature_is_refused_and_nothing_is_stored(world, network_id):
    _, payment = _payment(world, network_id)

    response = world.deliver(event("checkout.session.completed", payment.session), secret="whsec_x")

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "InvalidSignature"
    assert _inbox_count(world) == 0 and world.entries() == {}


def test_a_body_changed_after_signing_is_refused(world, network_id):
    _, payment = _payment(world, network_id)
    body, header = signed(event("checkout.session.completed", payment.session))

    response = world.client.post(
        "/webhooks/stripe",
        data=body.replace(b"30000", b"99999"),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )

    assert response.status_code == 400 and _inbox_count(world) == 0


def test_a_stale_timestamp_is_refused(world, network_id):
    _, payment = _payment(world, network_id)

    response = world.deliver(
        event("checkout.session.completed", payment.session), timestamp=int(time.time()) - 301
    )

    assert response.status_code == 400 and _inbox_count(world) == 0


def test_a_delivery_without_a_signature_is_refused(world):
    body = json.dumps(event("payout.paid", resource("payout"))).encode()

    response = world.client.post("/webhooks/stripe", data=body)

    assert response.status_code == 400 and _inbox_count(world) == 0


def test_a_webhook_without_a_configured_secret_stores_nothing(world):
    world.app.config["STRIPE_WEBHOOK_SECRET"] = None

    response = world.deliver(event("payout.paid", resource("payout")))

    assert response.status_code == 503 and _inbox_count(world) == 0


def test_an_unknown_event_is_answered_200_and_marked_processed(world):
    unknown = event("plan.created", resource("plan"))

    response = world.deliver(unknown)

    assert response.status_code == 200
    row = world.inbox(unknown["id"])
    assert row.processed_at is not None and row.type == "plan.created"
    assert world.entries() == {}


def test_a_failing_handler_keeps_the_event_with_its_error_and_answers_200(world, network_id):
    _, payment = _payment(world, network_id, register=False)  # Stripe answers 404 for now
    completed = event("checkout.session.completed", payment.session)

    response = world.deliver(completed)

    assert response.status_code == 200 and response.get_json()["outcome"] == "failed"
    row = world.inbox(completed["id"])
    assert row.processed_at is None and row.attempts == 1
    assert "No such payment_intent" in row.last_error
    assert world.entries() == {}


def test_kassan_webhooks_retry_books_what_failed_once_stripe_answers(world, network_id, cli):
    _, payment = _payment(world, network_id, register=False)
    completed = event("checkout.session.completed", payment.session)
    world.deliver(completed)

    failing = cli.invoke(webhooks_cli, ["retry"])
    assert failing.exit_code == 1 and "0 processed, 1 failed" in failing.output
    for obj in (payment.intent, payment.charge, payment.txn):
        world.fake.add(obj)
    result = cli.invoke(webhooks_cli, ["retry"])

    assert result.exit_code == 0 and "1 processed, 0 failed" in result.output
    row = world.inbox(completed["id"])
    assert row.processed_at is not None and row.attempts == 3 and row.last_error is None
    assert len(world.entries()) == 2


def test_a_replay_after_a_crash_between_inbox_and_booking_books_once(world, network_id, cli):
    _, payment = _payment(world, network_id)
    completed = event("checkout.session.completed", payment.session)
    body, _ = signed(completed)
    # The first transaction committed, then the process died before applying the event.
    assert inbox.store(world.engine, inbox.parse(body), body)
    assert world.entries() == {}

    again = world.deliver(completed)  # Stripe did not get its 2xx, so it delivers again
    retried = cli.invoke(webhooks_cli, ["retry"])

    assert again.status_code == 200 and again.get_json()["outcome"] == "processed"
    assert retried.exit_code == 0 and "0 processed" in retried.output
    assert len(world.entries()) == 2
    assert world.inbox(completed["id"]).attempts == 1


def test_a_stored_event_waiting_in_the_inbox_is_applied_on_the_next_delivery(world, network_id):
    _, payment = _payment(world, network_id)
    waiting = event("checkout.session.completed", payment.session)
    body, _ = signed(waiting)
    inbox.store(world.engine, inbox.parse(body), body)

    world.deliver(event("plan.created", resource("plan")))

    assert world.inbox(waiting["id"]).processed_at is not None
    assert len(world.entries()) == 2


def test_an_event_without_the_fields_its_handler_needs_waits_with_its_error(world):
    broken = event("charge.refunded", {"object": "charge", "amount": 100})

    response = world.deliver(broken)

    assert response.status_code == 200 and response.get_json()["outcome"] == "failed"
    row = world.inbox(broken["id"])
    assert row.processed_at is None and row.last_error == "KeyError: 'id'"
