"""The pure parts of the Stripe webhooks: event parsing, signatures as Stripe makes them, the
Swedish booking day, and payout reconciliation."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import stripe

from kassan.web.stripe_webhook import TOLERANCE
from tests.support.stripe_events import SECRET, event, resource, signed
from webhooks.errors import StripeEventInvalid
from webhooks.stripe import inbox, payouts
from webhooks.stripe.bookings import booking_date
from webhooks.stripe.handlers import ROUTES


def test_a_body_signed_as_stripe_signs_it_verifies_and_parses():
    evt = event("payout.paid", resource("payout"))
    body, header = signed(evt)

    assert stripe.WebhookSignature.verify_header(body, header, SECRET, tolerance=TOLERANCE)
    assert inbox.parse(body)["id"] == evt["id"]


def test_a_signature_older_than_the_tolerance_does_not_verify():
    body, header = signed(
        event("payout.paid", resource("payout")), timestamp=int(time.time()) - 301
    )

    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.WebhookSignature.verify_header(body, header, SECRET, tolerance=TOLERANCE)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"object": "charge", "id": "ch_1"}', b'{"object": "event", "id": 5}'],
)
def test_a_verified_body_that_is_not_an_event_is_refused(body):
    with pytest.raises(StripeEventInvalid):
        inbox.parse(body)


def test_a_charge_just_before_midnight_utc_on_new_years_eve_is_booked_on_new_years_day():
    moment = int(datetime(2026, 12, 31, 23, 30, tzinfo=UTC).timestamp())

    assert booking_date(moment) == date(2027, 1, 1)


def test_every_event_the_issue_names_has_a_route():
    assert set(ROUTES) == {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_failed",
        "customer.subscription.deleted",
        "charge.refunded",
        "charge.refund.updated",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
        "charge.dispute.closed",
        "payout.paid",
        "payout.failed",
    }


def test_the_events_to_enable_in_the_configuration_guide_are_the_routes():
    guide = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = guide.split("## Events to enable on the Stripe endpoint", 1)[1].split("\n\n")[2]
    listed = {
        name
        for row in section.splitlines()[2:]
        for name in re.findall(r"`([a-z_.]+)`", row.split("|")[1])
    }
    assert listed == set(ROUTES)


def _txn(kind, net, source="ch_1"):
    return resource("balance_transaction", type=kind, net=net, source=source)


def test_a_payout_equal_to_its_transactions_net_has_no_difference():
    payout = resource("payout", id="po_1", amount=9_070, currency="sek")
    txns = [_txn("charge", 9_500), _txn("refund", -430), _txn("payout", -9_070, "po_1")]

    check = payouts.reconcile(payout, txns)

    assert (check.transactions_ore, check.transaction_count, check.difference_ore) == (9_070, 2, 0)
    assert check.currency == "SEK"


def test_a_payout_larger_than_its_transactions_shows_the_difference():
    payout = resource("payout", id="po_2", amount=10_000, currency="sek")

    check = payouts.reconcile(payout, [_txn("charge", 9_500)])

    assert check.difference_ore == 500


def test_a_payout_leaves_out_every_payout_transaction_and_every_one_sourced_by_itself():
    payout = resource("payout", id="po_3", amount=9_500, currency="sek")
    txns = [
        _txn("charge", 9_500),
        _txn("payout", -1_000, "po_earlier"),  # another payout's own line
        _txn("payout_cancel", 1_000, "po_3"),  # a line of this payout's own
    ]
    check = payouts.reconcile(payout, txns)
    assert (check.transactions_ore, check.transaction_count, check.difference_ore) == (9_500, 1, 0)


def test_a_stripe_timestamp_is_booked_on_its_swedish_day():
    assert booking_date(1_764_543_600) == date(2025, 12, 1)  # 23:00 UTC, 00:00 in Sweden
    assert booking_date(1_764_543_599) == date(2025, 11, 30)
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    assert booking_date(None) in (today, today + timedelta(days=1))
