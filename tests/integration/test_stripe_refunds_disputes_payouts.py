"""After the gift: refunds (partial, whole, from Stripe's dashboard), disputes won and lost, and
payouts to the bank reconciled against their balance transactions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    add_gift,
    add_refund,
    book_inline_fixture,
    card_payment,
    dispute_of,
    event,
    fake_stripe_fixture,
    network_id_fixture,
    new_id,
    refunded_charge,
    resource,
    world_fixture,
)

EMAIL = "kim@example.se"
GIFT = 50_000
FEE = 930


@pytest.fixture
def paid(world, network_id):
    public_id = add_gift(world.engine, network_id=network_id, amount_ore=GIFT, email=EMAIL)
    payment = card_payment(
        world.fake, gift=public_id, network="palestina", amount_ore=GIFT, fee_ore=FEE, email=EMAIL
    )
    return public_id, payment


def test_each_refund_is_booked_once_partial_then_the_rest_from_the_dashboard(
    world, paid, network_id
):
    public_id, payment = paid
    world.deliver(event("checkout.session.completed", payment.session))
    contributor = world.gift(public_id).contributor_id

    first = add_refund(world.fake, payment, 10_000)
    world.deliver(event("charge.refunded", refunded_charge(payment, 10_000)))
    assert world.gift(public_id).status == "paid"
    rest = add_refund(world.fake, payment, 40_000)  # made in Stripe's dashboard
    world.deliver(event("charge.refunded", refunded_charge(payment, GIFT)))
    world.deliver(event("charge.refunded", refunded_charge(payment, GIFT)))

    entries = world.entries()
    assert entries[f"stripe:refund:{first['id']}"] == [
        ("3993", 10_000, 0, network_id, contributor),
        ("1580", 0, 10_000, None, None),
    ]
    assert entries[f"stripe:refund:{rest['id']}"][0] == ("3993", 40_000, 0, network_id, contributor)
    assert len([k for k in entries if k.startswith("stripe:refund:")]) == 2
    assert world.balance("3993") == 0
    assert world.gift(public_id).status == "refunded"


def test_a_refund_arriving_before_its_checkout_event_books_the_gift_first(world, paid):
    public_id, payment = paid
    refund = add_refund(world.fake, payment, GIFT)

    world.deliver(event("charge.refunded", refunded_charge(payment, GIFT)))
    world.deliver(event("checkout.session.completed", payment.session))

    assert sorted(world.entries()) == sorted(
        [
            f"stripe:charge:{payment.charge['id']}",
            f"stripe:fee:{payment.txn['id']}",
            f"stripe:refund:{refund['id']}",
        ]
    )
    assert world.balance("1580") == -FEE
    assert world.gift(public_id).status == "refunded"  # a late "paid" does not undo it


def test_a_dispute_books_the_amount_and_its_fee_and_a_won_one_books_it_back(
    world, paid, network_id
):
    public_id, payment = paid
    world.deliver(event("checkout.session.completed", payment.session))
    contributor = world.gift(public_id).contributor_id
    opened = dispute_of(payment, "needs_response")

    world.deliver(event("charge.dispute.created", opened))
    assert world.entries()[f"stripe:dispute:{opened['id']}"] == [
        ("3993", GIFT, 0, network_id, contributor),
        ("6570", 15_000, 0, None, None),
        ("1580", 0, GIFT + 15_000, None, None),
    ]
    assert world.gift(public_id).status == "disputed"

    won = dispute_of(payment, "won", won=True) | {"id": opened["id"]}
    world.deliver(event("charge.dispute.closed", won))
    world.deliver(event("charge.dispute.closed", won))

    assert world.entries()[f"stripe:dispute_won:{opened['id']}"] == [
        ("1580", GIFT, 0, None, None),
        ("3993", 0, GIFT, network_id, contributor),
    ]
    assert world.balance("3993") == -GIFT
    assert world.balance("6570") == FEE + 15_000
    assert world.gift(public_id).status == "paid"


def test_a_lost_dispute_books_nothing_more_than_its_opening(world, paid):
    _, payment = paid
    world.deliver(event("checkout.session.completed", payment.session))
    opened = dispute_of(payment, "needs_response")
    world.deliver(event("charge.dispute.created", opened))

    world.deliver(event("charge.dispute.closed", opened | {"status": "lost"}))

    keys = sorted(world.entries())
    assert [k for k in keys if "dispute" in k] == [f"stripe:dispute:{opened['id']}"]
    assert world.balance("3993") == 0


def add_payout(world, payment, amount):
    payout = resource(
        "payout",
        id=new_id("po"),
        amount=amount,
        arrival_date=payment.charge["created"] + 3 * 86_400,
        balance_transaction=new_id("txn"),
        currency="sek",
        status="paid",
    )
    world.fake.add(payout)  # Kassan reads the payout back for its status now
    world.fake.add(payment.txn, payout=payout["id"])
    world.fake.add(
        resource(
            "balance_transaction",
            id=payout["balance_transaction"],
            amount=-amount,
            currency="sek",
            fee=0,
            fee_details=[],
            net=-amount,
            reporting_category="payout",
            source=payout["id"],
            type="payout",
        ),
        payout=payout["id"],
    )
    return payout


def test_a_payout_is_booked_to_the_bank_and_reconciled_against_its_transactions(world, paid):
    _, payment = paid
    world.deliver(event("checkout.session.completed", payment.session))
    payout = add_payout(world, payment, GIFT - FEE)

    world.deliver(event("payout.paid", payout))
    world.deliver(event("payout.paid", payout))

    assert world.entries()[f"stripe:payout:{payout['id']}"] == [
        ("1930", GIFT - FEE, 0, None, None),
        ("1580", 0, GIFT - FEE, None, None),
    ]
    assert world.balance("1580") == 0
    with world.engine.connect() as conn:
        check = conn.execute(text("SELECT * FROM stripe_payout_checks")).one()
    assert (check.payout_ore, check.transactions_ore, check.difference_ore) == (
        GIFT - FEE,
        GIFT - FEE,
        0,
    )
    assert check.transaction_count == 1
    listed = [r for r in world.fake.requests if r.path == "/v1/balance_transactions"]
    assert listed[0].params["payout"] == payout["id"]


def test_a_payout_that_does_not_add_up_is_flagged_for_finance(world, paid, caplog):
    _, payment = paid
    world.deliver(event("checkout.session.completed", payment.session))
    payout = add_payout(world, payment, GIFT - FEE - 100)

    with caplog.at_level(logging.WARNING, logger="webhooks.stripe.payouts"):
        world.deliver(event("payout.paid", payout))

    from webhooks.stripe import payouts

    with world.engine.connect() as conn:
        flagged = payouts.differences(conn)
    assert flagged == [
        payouts.PayoutCheck(
            payout_id=payout["id"],
            currency="SEK",
            payout_ore=GIFT - FEE - 100,
            transactions_ore=GIFT - FEE,
            transaction_count=1,
        )
    ]
    assert flagged[0].difference_ore == -100
    assert caplog.messages == [
        f"Stripe payout {payout['id']} of {GIFT - FEE - 100} öre SEK differs by -100 öre "
        "from its 1 balance transactions"
    ]
    assert world.balance("1930") == GIFT - FEE - 100  # the bank got what Stripe paid out


def _dated(world, source_key: str) -> tuple[str, str]:
    with world.engine.connect() as conn:
        row = conn.execute(
            text("SELECT date, text FROM journal_entries WHERE source_key = :k"), {"k": source_key}
        ).one()
    return str(row[0]), str(row[1])


def test_a_refund_is_booked_on_the_swedish_day_stripe_made_it_with_charge_and_refund_named(
    world, paid
):
    _public_id, payment = paid
    world.deliver(event("checkout.session.completed", payment.session))
    refund = add_refund(world.fake, payment, 10_000)
    late = int(datetime(2026, 11, 22, 23, 30, tzinfo=UTC).timestamp())  # 00:30 in Sweden
    refund["created"] = late
    world.fake.add(refund)
    world.deliver(event("charge.refunded", refunded_charge(payment, 10_000)))
    charge_id = payment.charge["id"]
    assert _dated(world, f"stripe:refund:{refund['id']}") == (
        "2026-11-23",
        f"Återbetald kortgåva ({charge_id}, {refund['id']})",
    )
