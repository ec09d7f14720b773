"""The webhook's front door and its inbox: signatures, unknown events, failures that wait, and
replays after a crash between storing an event and booking it. Deliveries take the production
path (``STRIPE_WEBHOOK_APPLY=background``): the answer comes once the event is stored and the
process's applier books it, so the tests poll the database for a bounded time."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from sqlalchemy import text

from kassan.cli.main import main as kassan
from kassan.cli.stripe import webhooks_cli
from kassan.web import appliers
from ledger.config import from_environment
from ledger.errors import ConfigError
from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    SECRET,
    add_gift,
    card_payment,
    event,
    fake_stripe_fixture,
    network_id_fixture,
    resource,
    signed,
    world_fixture,
)
from webhooks.stripe import inbox, worker

EMAIL = "ali@example.se"
WAIT = 15.0  # seconds: the applier books within milliseconds; this only bounds a failure


@pytest.fixture(autouse=True)
def _applier_stops(world):
    yield
    appliers.stop(world.app)


def _eventually(check, what):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    pytest.fail(f"after {WAIT:g} s still not: {what}")


def _age(world, event_id, seconds):
    """Make a stored event look ``seconds`` old (its process died before applying it)."""
    ago = (
        f"now() - interval '{seconds} seconds'"
        if world.engine.dialect.name == "postgresql"
        else f"datetime('now', '-{seconds} seconds')"
    )
    with world.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE stripe_events SET received_at = {ago} WHERE id = :i"), {"i": event_id}
        )


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


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"created": 2**64}, "created time is out of range"),
        ({"created": -1}, "created time is out of range"),
        ({"id": "evt_" + "x" * 400}, "id is longer than 255"),
        ({"type": "charge." + "x" * 200}, "type is longer than 100"),
        ({"created": "igår"}, "no valid 'created'"),
        ({"object": "charge"}, "not a Stripe event"),
        ({"type": "charge.refunded\ud800"}, "NUL or a lone surrogate"),
        ({"request": {"id": "req\x00"}}, "NUL or a lone surrogate"),
    ],
)
def test_a_signed_but_malformed_event_is_kept_as_failed_with_its_reason_and_answered_400(
    world, network_id, change, reason
):
    _, payment = _payment(world, network_id)
    evt = {**event("checkout.session.completed", payment.session), **change}
    payload = json.dumps(evt)  # \u escapes, as JSON may carry a lone surrogate
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)

    def deliver():  # type: ignore[no-untyped-def]
        return world.client.post(
            "/webhooks/stripe",
            data=payload.encode(),
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )

    response = deliver()
    again = deliver()  # Stripe retries a 400: kept once

    assert response.status_code == again.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "InvalidEvent" and reason in error["message"]
    with world.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, type, processed_at, last_error FROM stripe_events"))
        (kept,) = rows.all()
    assert kept.id.startswith("invalid:") and kept.processed_at is None
    assert reason in kept.last_error
    assert world.entries() == {}
    assert inbox.pending(world.engine) == []  # no applier or retry takes it up


def test_a_webhook_without_a_configured_secret_stores_nothing(world):
    world.app.config["STRIPE_WEBHOOK_SECRET"] = None

    response = world.deliver(event("payout.paid", resource("payout")))

    assert response.status_code == 503 and _inbox_count(world) == 0


def test_an_unknown_event_is_answered_200_and_marked_processed(world):
    unknown = event("plan.created", resource("plan"))

    response = world.deliver(unknown)

    assert response.status_code == 200
    row = _eventually(lambda: world.inbox(unknown["id"]).processed_at, "processed")
    assert row is not None and world.inbox(unknown["id"]).type == "plan.created"
    assert world.entries() == {}


def test_a_delivery_is_answered_once_stored_and_booked_after_the_answer(world, network_id):
    public_id, payment = _payment(world, network_id)
    completed = event("checkout.session.completed", payment.session)

    response = world.deliver(completed)
    again = world.deliver(completed)

    assert response.status_code == 200
    assert response.get_json() == {"received": True, "id": completed["id"], "outcome": "queued"}
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    _eventually(lambda: len(world.entries()) == 2, "the gift and its fee booked")
    assert world.balance("3993") == -30_000 and world.balance("6570") == 630
    assert world.inbox(completed["id"]).attempts == 1
    assert _inbox_count(world) == 1
    assert world.gift(public_id).status == "paid"


def test_a_failing_handler_keeps_the_event_with_its_error_and_answers_200(world, network_id):
    _, payment = _payment(world, network_id, register=False)  # Stripe answers 404 for now
    completed = event("checkout.session.completed", payment.session)

    response = world.deliver(completed)

    assert response.status_code == 200 and response.get_json()["outcome"] == "queued"
    row = _eventually(lambda: world.inbox(completed["id"]).last_error, "the failure recorded")
    assert "No such payment_intent" in row
    row = world.inbox(completed["id"])
    assert row.processed_at is None and row.attempts >= 1
    assert world.entries() == {}


def test_inline_apply_answers_how_the_booking_went(world, network_id):
    world.app.config["STRIPE_WEBHOOK_APPLY"] = "inline"
    _, payment = _payment(world, network_id, register=False)
    failing = event("checkout.session.completed", payment.session)
    _, paid = _payment(world, network_id)
    booked = event("checkout.session.completed", paid.session)

    first = world.deliver(failing).get_json()["outcome"]
    second = world.deliver(booked).get_json()["outcome"]
    third = world.deliver(booked).get_json()["outcome"]

    assert (first, second, third) == ("failed", "processed", "done_before")
    assert world.inbox(failing["id"]).attempts == 2  # tried again after the next booking
    assert len(world.entries()) == 2


def test_a_failed_event_is_booked_once_a_later_delivery_brings_what_it_waited_for(
    world, network_id
):
    _, payment = _payment(world, network_id, register=False)
    completed = event("checkout.session.completed", payment.session)
    world.deliver(completed)
    _eventually(lambda: world.inbox(completed["id"]).attempts, "the first attempt")
    for obj in (payment.intent, payment.charge, payment.txn):
        world.fake.add(obj)

    world.deliver(event("plan.created", resource("plan")))

    _eventually(lambda: world.inbox(completed["id"]).processed_at, "the retry booked")
    assert world.inbox(completed["id"]).last_error is None
    assert len(world.entries()) == 2


def test_kassan_webhooks_retry_books_what_failed_once_stripe_answers(world, network_id, cli):
    _, payment = _payment(world, network_id, register=False)
    completed = event("checkout.session.completed", payment.session)
    world.deliver(completed)
    _eventually(lambda: world.inbox(completed["id"]).attempts >= 1, "the first attempt")
    appliers.stop(world.app)  # from here on only the command applies
    # the applier may have retried it after its back-off before it stopped
    tried = world.inbox(completed["id"]).attempts

    failing = cli.invoke(webhooks_cli, ["retry"])
    assert failing.exit_code == 1 and "0 bokförda, 1 misslyckade" in failing.output
    for obj in (payment.intent, payment.charge, payment.txn):
        world.fake.add(obj)
    result = cli.invoke(webhooks_cli, ["retry"])

    assert result.exit_code == 0 and "1 bokförda, 0 misslyckade" in result.output
    row = world.inbox(completed["id"])
    assert row.processed_at is not None and row.attempts == tried + 2 and row.last_error is None
    assert len(world.entries()) == 2


def test_an_event_dated_in_a_year_not_open_waits_with_the_error_until_the_year_is_opened(
    world, network_id, cli
):
    _, payment = _payment(world, network_id)
    for obj in (payment.charge, payment.txn):
        world.fake.objects[obj["id"]]["created"] = 930_000_000  # 1999-06-21
    completed = event("checkout.session.completed", payment.session)
    world.deliver(completed)
    error = _eventually(lambda: world.inbox(completed["id"]).last_error, "the failure recorded")
    assert "fiscal year 1999 is not open" in error
    assert "kassan ledger open-year 1999" in error
    appliers.stop(world.app)
    assert world.entries() == {}

    opened = cli.invoke(kassan, ["ledger", "open-year", "1999"])
    assert opened.exit_code == 0, opened.output
    result = cli.invoke(webhooks_cli, ["retry"])

    assert result.exit_code == 0 and "1 bokförda, 0 misslyckade" in result.output
    assert world.inbox(completed["id"]).last_error is None
    assert len(world.entries()) == 2


def test_a_replay_after_a_crash_between_inbox_and_booking_books_once(world, network_id, cli):
    _, payment = _payment(world, network_id)
    completed = event("checkout.session.completed", payment.session)
    body, _ = signed(completed)
    # The first transaction committed, then the process died before applying the event.
    assert inbox.store(world.engine, inbox.parse(body), body)
    assert world.entries() == {}

    again = world.deliver(completed)  # Stripe did not get its 2xx, so it delivers again
    _eventually(lambda: world.inbox(completed["id"]).processed_at, "the replay booked")
    retried = cli.invoke(webhooks_cli, ["retry"])

    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert retried.exit_code == 0 and "0 bokförda" in retried.output
    assert len(world.entries()) == 2
    assert world.inbox(completed["id"]).attempts == 1


def test_an_event_whose_process_died_is_applied_after_the_next_delivery(world, network_id):
    _, payment = _payment(world, network_id)
    waiting = event("checkout.session.completed", payment.session)
    body, _ = signed(waiting)
    inbox.store(world.engine, inbox.parse(body), body)
    _age(world, waiting["id"], worker.SETTLE_SECONDS + 5)

    world.deliver(event("plan.created", resource("plan")))

    _eventually(lambda: world.inbox(waiting["id"]).processed_at, "the orphan applied")
    assert len(world.entries()) == 2


def test_a_fresh_event_of_another_process_is_left_to_that_process(world, network_id):
    _, payment = _payment(world, network_id)
    theirs = event("checkout.session.completed", payment.session)
    body, _ = signed(theirs)
    inbox.store(world.engine, inbox.parse(body), body)  # another worker is applying it now
    mine = event("plan.created", resource("plan"))

    world.deliver(mine)
    _eventually(lambda: world.inbox(mine["id"]).processed_at, "the own event applied")
    appliers.stop(world.app)  # the scan after it has run, or will not run any more

    assert world.inbox(theirs["id"]).attempts == 0 and world.entries() == {}
    assert inbox.pending(world.engine, settled_for=worker.SETTLE_SECONDS) == []
    assert inbox.pending(world.engine) == [theirs["id"]]


def test_an_event_without_the_fields_its_handler_needs_waits_with_its_error(world):
    broken = event("charge.refunded", {"object": "charge", "amount": 100})

    response = world.deliver(broken)

    assert response.status_code == 200
    error = _eventually(lambda: world.inbox(broken["id"]).last_error, "the failure recorded")
    assert error == "KeyError: 'id'" and world.inbox(broken["id"]).processed_at is None


def test_worker_mode_only_stores_and_kassan_webhooks_work_books(world, network_id, cli):
    world.app.config["STRIPE_WEBHOOK_APPLY"] = "worker"
    _, payment = _payment(world, network_id)
    completed = event("checkout.session.completed", payment.session)

    response = world.deliver(completed)
    stored_only = world.entries()
    result = cli.invoke(webhooks_cli, ["work", "--once"])

    assert response.get_json()["outcome"] == "queued" and stored_only == {}
    assert appliers.EXTENSION_KEY not in world.app.extensions  # no applier thread was started
    assert result.exit_code == 0 and "1 bokförda, 0 misslyckade" in result.output
    assert len(world.entries()) == 2


def test_an_unknown_apply_mode_stops_the_app_from_starting(tmp_path):
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_APPLY"):
        from_environment(tmp_path, {"STRIPE_WEBHOOK_APPLY": "later"})
