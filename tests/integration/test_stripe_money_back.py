"""Stripe as Stripe moves money (issue 11, rule 9): a dispute inquiry moves nothing; a dispute
books what its balance transactions withdrew and reinstated, each once; a payout that fails
after it was paid and a refund that fails after it was pending are reversed. Every case is
also delivered twice and out of order."""

from __future__ import annotations

import logging

import pytest

from tests.integration.test_stripe_refunds_disputes_payouts import add_payout
from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    add_gift,
    add_refund,
    book_inline_fixture,
    card_payment,
    dispute_of,
    event,
    fake_stripe_fixture,
    network_id_fixture,
    refunded_charge,
    world_fixture,
)

EMAIL = "kim@example.se"
GIFT = 50_000
FEE = 930
DISPUTE_FEE = 15_000


@pytest.fixture
def paid(world, network_id):
    public_id = add_gift(world.engine, network_id=network_id, amount_ore=GIFT, email=EMAIL)
    payment = card_payment(
        world.fake, gift=public_id, network="palestina", amount_ore=GIFT, fee_ore=FEE, email=EMAIL
    )
    world.deliver(event("checkout.session.completed", payment.session))
    return public_id, payment


def _follow_ups(world):
    return sorted(k for k in world.entries() if not k.startswith(("stripe:charge:", "stripe:fee:")))


@pytest.mark.parametrize(
    "status", ["warning_needs_response", "warning_under_review", "warning_closed"]
)
def test_a_dispute_inquiry_moves_no_money(world, paid, status):
    public_id, payment = paid
    inquiry = dispute_of(payment, status) | {"balance_transactions": []}
    for kind in ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"):
        world.deliver(event(kind, inquiry))
    # even an inquiry that carried a withdrawal (it never does) books nothing
    world.deliver(event("charge.dispute.updated", dispute_of(payment, status)))

    assert _follow_ups(world) == []
    assert world.balance("1580") == GIFT - FEE
    assert world.gift(public_id).status == "paid"


def test_a_dispute_booked_at_created_is_not_booked_again_when_the_funds_are_withdrawn(
    world, paid, network_id
):
    public_id, payment = paid
    contributor = world.gift(public_id).contributor_id
    opened = dispute_of(payment, "needs_response")

    world.deliver(event("charge.dispute.created", opened))
    world.deliver(event("charge.dispute.funds_withdrawn", opened))
    world.deliver(event("charge.dispute.funds_withdrawn", opened))
    world.deliver(event("charge.dispute.updated", opened | {"status": "under_review"}))

    assert _follow_ups(world) == [f"stripe:dispute:{opened['id']}"]
    assert world.entries()[f"stripe:dispute:{opened['id']}"] == [
        ("3993", GIFT, 0, network_id, contributor),
        ("6570", DISPUTE_FEE, 0, None, None),
        ("1580", 0, GIFT + DISPUTE_FEE, None, None),
    ]
    assert world.balance("1580") == -FEE - DISPUTE_FEE
    assert world.gift(public_id).status == "disputed"


def test_a_dispute_without_withdrawn_funds_yet_books_them_when_stripe_withdraws(world, paid):
    public_id, payment = paid
    opened = dispute_of(payment, "needs_response")
    world.deliver(event("charge.dispute.created", opened | {"balance_transactions": []}))
    assert _follow_ups(world) == []
    assert world.gift(public_id).status == "disputed"

    world.deliver(event("charge.dispute.funds_withdrawn", opened))

    assert _follow_ups(world) == [f"stripe:dispute:{opened['id']}"]
    assert world.balance("3993") == -GIFT + GIFT
    assert world.balance("6570") == FEE + DISPUTE_FEE


def test_reinstated_funds_are_booked_once_whatever_event_brings_them(world, paid, network_id):
    public_id, payment = paid
    contributor = world.gift(public_id).contributor_id
    opened = dispute_of(payment, "needs_response")
    won = dispute_of(payment, "won", won=True) | {"id": opened["id"]}
    reinstated = won | {"status": "under_review"}

    world.deliver(event("charge.dispute.created", opened))
    world.deliver(event("charge.dispute.funds_reinstated", reinstated))
    world.deliver(event("charge.dispute.funds_reinstated", reinstated))
    world.deliver(event("charge.dispute.closed", won))

    assert _follow_ups(world) == sorted(
        [f"stripe:dispute:{opened['id']}", f"stripe:dispute_won:{opened['id']}"]
    )
    assert world.entries()[f"stripe:dispute_won:{opened['id']}"] == [
        ("1580", GIFT, 0, None, None),
        ("3993", 0, GIFT, network_id, contributor),
    ]
    assert world.balance("3993") == -GIFT
    assert world.balance("1580") == GIFT - FEE - DISPUTE_FEE
    assert world.gift(public_id).status == "paid"


def test_a_won_dispute_arriving_before_its_opening_books_both_and_stays_won(world, paid):
    public_id, payment = paid
    opened = dispute_of(payment, "needs_response")
    won = dispute_of(payment, "won", won=True) | {"id": opened["id"]}

    world.deliver(event("charge.dispute.closed", won))
    world.deliver(event("charge.dispute.created", opened))  # late, stale
    world.deliver(event("charge.dispute.funds_withdrawn", opened))

    assert len(_follow_ups(world)) == 2
    assert world.balance("3993") == -GIFT
    assert world.balance("6570") == FEE + DISPUTE_FEE
    assert world.gift(public_id).status == "paid"


def test_a_payout_that_fails_after_it_was_paid_is_back_on_1580_once(world, paid):
    _, payment = paid
    payout = add_payout(world, payment, GIFT - FEE)
    world.deliver(event("payout.paid", payout))
    assert world.balance("1930") == GIFT - FEE

    failed = payout | {"status": "failed", "failure_code": "account_closed"}
    world.fake.add(failed)
    world.deliver(event("payout.failed", failed))
    world.deliver(event("payout.failed", failed))
    world.deliver(event("payout.paid", payout))  # a late repeat of the first

    entries = world.entries()
    reversals = [k for k in entries if k.startswith("reversal:")]
    assert len(reversals) == 1
    assert entries[reversals[0]] == [
        ("1930", 0, GIFT - FEE, None, None),
        ("1580", GIFT - FEE, 0, None, None),
    ]
    assert world.balance("1930") == 0
    assert world.balance("1580") == GIFT - FEE


def test_a_payout_failure_delivered_before_its_paid_event_still_ends_on_1580(world, paid):
    _, payment = paid
    payout = add_payout(world, payment, GIFT - FEE)
    failed = world.fake.add(payout | {"status": "failed"})

    world.deliver(event("payout.failed", failed))
    assert [k for k in world.entries() if "payout" in k or "reversal" in k] == []
    world.deliver(event("payout.paid", payout))  # Stripe says now: failed
    world.deliver(event("payout.failed", failed))

    assert len([k for k in world.entries() if k.startswith("reversal:")]) == 1
    assert world.balance("1930") == 0
    assert world.balance("1580") == GIFT - FEE


def test_a_payout_that_failed_without_being_paid_books_nothing(world, paid, caplog):
    _, payment = paid
    payout = add_payout(world, payment, GIFT - FEE)
    failed = world.fake.add(payout | {"status": "failed"})

    with caplog.at_level(logging.INFO, logger="webhooks.stripe.handlers"):
        world.deliver(event("payout.failed", failed))

    assert _follow_ups(world) == []
    assert world.balance("1930") == 0
    assert f"payout {payout['id']} failed; no paid payout of it is booked" in caplog.messages


def test_a_late_repeat_of_the_payment_leaves_a_disputed_gift_disputed(world, paid, network_id):
    public_id, payment = paid
    opened = dispute_of(payment, "needs_response")
    world.deliver(event("charge.dispute.created", opened))
    assert world.gift(public_id).status == "disputed"
    booked = world.entries()

    # Stripe delivers the payment's own events again, late (a retry)
    world.deliver(event("payment_intent.succeeded", payment.intent))
    world.deliver(event("checkout.session.completed", payment.session))

    assert world.gift(public_id).status == "disputed"
    assert world.entries() == booked
    assert world.balance("1580") == -FEE - DISPUTE_FEE


def test_a_pending_refund_is_booked_and_reversed_when_it_fails(world, paid, network_id):
    public_id, payment = paid
    contributor = world.gift(public_id).contributor_id
    refund = add_refund(world.fake, payment, 20_000) | {"status": "pending"}
    world.fake.add(refund)
    world.deliver(event("refund.created", refund))
    world.deliver(event("charge.refund.updated", refund))
    assert world.entries()[f"stripe:refund:{refund['id']}"] == [
        ("3993", 20_000, 0, network_id, contributor),
        ("1580", 0, 20_000, None, None),
    ]

    failed = world.fake.add(
        refund | {"status": "failed", "failure_reason": "expired_or_canceled_card"}
    )
    world.deliver(event("charge.refund.updated", failed))
    world.deliver(event("refund.failed", failed))
    world.deliver(event("refund.updated", refund))  # a stale "pending", delivered late
    world.deliver(event("charge.refunded", refunded_charge(payment, 20_000)))

    entries = world.entries()
    reversals = [k for k in entries if k.startswith("reversal:")]
    assert len(reversals) == 1
    assert entries[reversals[0]] == [
        ("3993", 0, 20_000, network_id, contributor),
        ("1580", 20_000, 0, None, None),
    ]
    assert world.balance("3993") == -GIFT
    assert world.balance("1580") == GIFT - FEE


def test_a_refund_failure_heard_before_its_pending_event_books_nothing(world, paid):
    _, payment = paid
    refund = add_refund(world.fake, payment, 20_000) | {"status": "failed"}
    world.fake.add(refund)

    world.deliver(event("refund.failed", refund))
    world.deliver(event("refund.created", refund | {"status": "pending"}))  # stale

    assert _follow_ups(world) == []
    assert world.balance("3993") == -GIFT
