"""One-off card gifts through Stripe's webhooks: signed events in Stripe's shapes, the charge and
its fee read back from a fake Stripe over HTTP, booked once in series K."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from ledger.services import dimensions, users
from tests.support.stripe_events import add_gift as new_gift
from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    card_payment,
    event,
    fake_stripe_fixture,
    link_session,
    network_id_fixture,
    world_fixture,
)
from webhooks.stripe.client import STRIPE_API_VERSION

EMAIL = "sara.lind@example.se"


@pytest.fixture(autouse=True)
def _book_inline(world):
    """These tests read the ledger right after each delivery: book inside the request."""
    world.app.config["STRIPE_WEBHOOK_APPLY"] = "inline"


def _paid_gift(world, network_id, amount=25_000, fee=555, email=EMAIL):
    public_id = new_gift(world.engine, network_id=network_id, amount_ore=amount, email=email)
    payment = card_payment(
        world.fake,
        gift=public_id,
        network="palestina",
        amount_ore=amount,
        fee_ore=fee,
        email=email,
    )
    link_session(world.engine, public_id, payment.session["id"])
    return public_id, payment


def test_a_paid_checkout_books_the_gift_and_stripes_real_fee(world, network_id):
    public_id, payment = _paid_gift(world, network_id)

    response = world.deliver(event("checkout.session.completed", payment.session))

    assert response.status_code == 200
    assert response.get_json()["outcome"] == "processed"
    gift = world.gift(public_id)
    assert gift.status == "paid"
    assert gift.stripe_payment_intent_id == payment.intent["id"]
    entries = world.entries()
    assert entries == {
        f"stripe:charge:{payment.charge['id']}": [
            ("1580", 25_000, 0, None, None),
            ("3993", 0, 25_000, network_id, gift.contributor_id),
        ],
        f"stripe:fee:{payment.txn['id']}": [
            ("6570", 555, 0, None, None),
            ("1580", 0, 555, None, None),
        ],
    }
    with world.engine.connect() as conn:
        donor = dimensions.find_contributor_by_email(conn, EMAIL)
    assert donor is not None and donor.id == gift.contributor_id and donor.name == "Sara Lind"
    read = [r for r in world.fake.requests if r.path.startswith("/v1/payment_intents/")]
    assert read[0].params["expand[0]"] == "latest_charge.balance_transaction"
    assert read[0].stripe_version == STRIPE_API_VERSION


def test_a_card_gifts_entries_name_the_gift_never_the_donor(world, network_id):
    public_id, payment = _paid_gift(world, network_id)
    world.deliver(event("checkout.session.completed", payment.session))
    with world.engine.connect() as conn:
        texts = conn.execute(text("SELECT text FROM journal_entries ORDER BY id")).scalars().all()
    assert texts == [
        f"Kortgåva {public_id} ({payment.charge['id']})",
        f"Stripe-avgift {public_id} ({payment.txn['id']})",
    ]
    assert not any("Sara" in x or "Lind" in x or EMAIL in x for x in texts)


def test_a_duplicate_stripe_event_books_nothing_twice(world, network_id):
    _, payment = _paid_gift(world, network_id)
    completed = event("checkout.session.completed", payment.session)

    first, second = world.deliver(completed), world.deliver(completed)

    assert first.status_code == second.status_code == 200
    assert second.get_json()["outcome"] == "done_before"
    assert len(world.entries()) == 2
    row = world.inbox(completed["id"])
    assert row.attempts == 1 and row.processed_at is not None and row.last_error is None


def test_the_several_events_of_one_payment_book_it_once_in_any_order(world, network_id):
    public_id, payment = _paid_gift(world, network_id)

    world.deliver(event("payment_intent.succeeded", payment.intent))
    world.deliver(event("checkout.session.completed", payment.session))
    world.deliver(event("payment_intent.succeeded", payment.intent))

    assert sorted(world.entries()) == sorted(
        [f"stripe:charge:{payment.charge['id']}", f"stripe:fee:{payment.txn['id']}"]
    )
    assert world.balance("1580") == 25_000 - 555
    assert world.balance("3993") == -25_000
    assert world.gift(public_id).status == "paid"


def test_an_unpaid_checkout_waits_for_the_async_payment_and_then_books_it(world, network_id):
    public_id, payment = _paid_gift(world, network_id)
    unpaid = {**payment.session, "payment_status": "unpaid"}

    world.deliver(event("checkout.session.completed", unpaid))
    assert world.entries() == {}
    assert world.gift(public_id).status == "pending"

    world.deliver(event("checkout.session.async_payment_succeeded", payment.session))
    assert len(world.entries()) == 2
    assert world.gift(public_id).status == "paid"


def test_a_failed_async_payment_fails_the_gift_and_books_nothing(world, network_id):
    public_id, payment = _paid_gift(world, network_id)
    unpaid = {**payment.session, "payment_status": "unpaid"}

    world.deliver(event("checkout.session.completed", unpaid))
    response = world.deliver(event("checkout.session.async_payment_failed", unpaid))

    assert response.status_code == 200
    assert world.entries() == {}
    assert world.gift(public_id).status == "failed"


def test_a_known_donor_is_found_by_email_whatever_its_case(world, network_id):
    with world.engine.begin() as conn:
        known = dimensions.create_contributor(conn, "person", "Sara Lind", EMAIL)
    public_id, payment = _paid_gift(world, network_id, email="Sara.Lind@Example.SE")

    world.deliver(event("checkout.session.completed", payment.session))

    assert world.gift(public_id).contributor_id == known
    income = world.entries()[f"stripe:charge:{payment.charge['id']}"][1]
    assert income[4] == known
    with world.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM contributors")) == 1


def test_a_gift_where_it_is_needed_most_is_booked_without_a_network(world):
    public_id = new_gift(world.engine, network_id=None, amount_ore=10_000, email=EMAIL)
    payment = card_payment(
        world.fake, gift=public_id, network=None, amount_ore=10_000, fee_ore=330, email=EMAIL
    )

    world.deliver(event("checkout.session.completed", payment.session))

    income = world.entries()[f"stripe:charge:{payment.charge['id']}"][1]
    assert income[:4] == ("3993", 0, 10_000, None)


def test_a_booked_card_gift_queues_one_swedish_receipt_whatever_the_duplicates(world, network_id):
    _, payment = _paid_gift(world, network_id, amount=123_450)
    completed = event("checkout.session.completed", payment.session)
    world.deliver(completed)
    world.deliver(event("payment_intent.succeeded", payment.intent))
    world.deliver(completed)

    with world.engine.connect() as conn:
        rows = conn.execute(text("SELECT to_addr, subject, body_text FROM email_outbox")).all()
    assert len(rows) == 1
    to_addr, _subject, body = rows[0]
    assert to_addr == EMAIL
    assert "1\u00a0234,50\u00a0kr" in body


def test_the_thank_you_page_and_the_ledger_page_show_the_gift_after_its_webhook(world, network_id):
    public_id, payment = _paid_gift(world, network_id, amount=123_450)
    before = world.client.get(f"/tack/{public_id}").get_data(as_text=True)
    assert "Betalningen behandlas" in before

    world.deliver(event("checkout.session.completed", payment.session))

    after = world.client.get(f"/tack/{public_id}").get_data(as_text=True)
    assert "Tack! Vi har tagit emot din gåva" in after
    with world.engine.begin() as conn:
        users.create_user(conn, "ekonomi@example.org", "ett långt lösenord", "finance")
    staff = world.app.test_client()
    login = staff.get("/login").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    staff.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "ekonomi@example.org",
            "password": "ett långt lösenord",
        },
    )
    ledger_page = staff.get("/ledger").get_data(as_text=True)
    assert f"Kortgåva {public_id}" in ledger_page
    assert "1\u00a0234,50\u00a0kr" in ledger_page


def test_a_card_gift_and_its_fee_are_booked_on_the_days_stripe_gives_not_today(world, network_id):
    _, payment = _paid_gift(world, network_id)
    world.deliver(event("checkout.session.completed", payment.session))
    sweden = ZoneInfo("Europe/Stockholm")
    charged = datetime.fromtimestamp(payment.charge["created"], sweden).date()
    settled = datetime.fromtimestamp(payment.txn["created"], sweden).date()
    assert date.today() not in (charged, settled)  # the fixtures' days are in the past
    with world.engine.connect() as conn:
        days = dict(
            conn.execute(
                text("SELECT source_key, date FROM journal_entries WHERE source_kind = 'stripe'")
            ).all()
        )
    assert {key.split(":")[1]: str(day) for key, day in days.items()} == {
        "charge": charged.isoformat(),
        "fee": settled.isoformat(),
    }
