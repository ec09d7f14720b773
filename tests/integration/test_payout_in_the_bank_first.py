"""A Stripe payout the bank statement shows before Stripe's ``payout.paid`` arrives.

The statement's line finds nothing to match and goes to suspense (1930 / 2890). When the payout
is booked it takes that line over (2890 / 1580) instead of putting the money on 1930 again; the
line leaves the desk's queue; a payout that fails afterwards gives the line back to suspense.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ledger.db import tables as t
from ledger.services import suspense
from tests.integration.test_stripe_refunds_disputes_payouts import add_payout
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Statement, Tx, camt_bytes
from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    add_gift,
    book_inline_fixture,
    card_payment,
    event,
    fake_stripe_fixture,
    network_id_fixture,
    world_fixture,
)

GIFT, FEE = 50_000, 930
NET = GIFT - FEE


@pytest.fixture(name="paid")
def paid_fixture(world, network_id):
    """A card gift Stripe has paid, its fee on 6570: 499,07 kr on 1580 to pay out."""
    public_id = add_gift(world.engine, network_id=network_id, amount_ore=GIFT, email="kim@ex.se")
    payment = card_payment(
        world.fake,
        gift=public_id,
        network="palestina",
        amount_ore=GIFT,
        fee_ore=FEE,
        email="kim@ex.se",
    )
    world.deliver(event("checkout.session.completed", payment.session))
    return public_id, payment


def _statement(world, payout, lines: list[tuple[int, str, str]]) -> None:
    """A camt.053 with lines (amount, bank reference, message) on the payout's arrival day."""
    day = datetime.fromtimestamp(payout["arrival_date"], UTC).date()
    entries = [
        Entry((Tx(ore, ref, message=message),), day, f"E{ref}") for ore, ref, message in lines
    ]
    data = camt_bytes(entries, kind="053", statement=Statement(entries))
    result = import_ours(world.engine, data, f"kontoutdrag-{lines[0][1]}.xml")
    assert result.counts.unmatched_count == len(lines)


def _allocations(world) -> list[tuple[str, int, int]]:
    a, b = t.bank_line_allocations.c, t.bank_lines.c
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(b.key, a.kind, a.amount_ore, b.open_ore)
            .select_from(t.bank_line_allocations.join(t.bank_lines, b.id == a.line_id))
            .where(a.reversal_entry_id.is_(None))
        )
        return [tuple(r) for r in rows]


def _lines_of(world, key: str) -> list[tuple[str, str, int, int]]:
    e, jl = t.journal_entries.c, t.journal_lines.c
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(e.series, jl.account, jl.debit_ore, jl.credit_ore)
            .select_from(t.journal_entries.join(t.journal_lines, jl.entry_id == e.id))
            .where(e.source_key == key)
            .order_by(jl.line_no)
        )
        return [tuple(r) for r in rows]


def _queue(world) -> list[str]:
    with world.engine.connect() as conn:
        lines, _count, _total = suspense.queue(conn)
    return [str(line.id) for line in lines]


def test_a_payout_the_statement_showed_first_takes_its_line_over_and_is_on_the_bank_once(
    world, paid
):
    _, payment = paid
    payout = add_payout(world, payment, NET)
    _statement(world, payout, [(NET, "P1", f"STRIPE {payout['id']}")])
    assert (world.balance("1930"), world.balance("2890")) == (NET, -NET)
    assert len(_queue(world)) == 1

    world.deliver(event("payout.paid", payout))
    world.deliver(event("payout.paid", payout))  # Stripe delivers again

    assert world.balance("1930") == NET
    assert world.balance("2890") == 0
    assert world.balance("1580") == 0
    assert _allocations(world) == [("bank:P1", "payout", NET, 0)]
    assert _queue(world) == []
    assert _lines_of(world, f"stripe:payout:{payout['id']}") == [
        ("K", "2890", NET, 0),
        ("K", "1580", 0, NET),
    ]


def test_of_two_waiting_lines_of_the_payouts_amount_the_one_naming_it_is_taken(world, paid):
    _, payment = paid
    payout = add_payout(world, payment, NET)
    _statement(
        world,
        payout,
        [(NET, "X1", "Gåva från Kommunal avd 12"), (NET, "P2", f"STRIPE PAYOUT {payout['id']}")],
    )
    world.deliver(event("payout.paid", payout))
    assert _allocations(world) == [("bank:P2", "payout", NET, 0)]
    assert world.balance("1930") == 2 * NET
    assert world.balance("2890") == -NET  # the club's gift waits for the desk


def test_a_line_of_another_amount_is_not_taken_over(world, paid):
    _, payment = paid
    payout = add_payout(world, payment, NET)
    _statement(world, payout, [(NET + 1, "P3", f"STRIPE {payout['id']}")])
    world.deliver(event("payout.paid", payout))
    assert _allocations(world) == []
    assert world.balance("1580") == 0
    assert world.balance("1930") == 2 * NET + 1  # a payment of its own, left for the desk


def test_a_payout_that_fails_after_taking_a_line_over_gives_the_line_back_to_suspense(world, paid):
    _, payment = paid
    payout = add_payout(world, payment, NET)
    _statement(world, payout, [(NET, "P4", f"STRIPE {payout['id']}")])
    world.deliver(event("payout.paid", payout))
    assert _queue(world) == []

    failed = payout | {"status": "failed", "failure_code": "account_closed"}
    world.fake.add(failed)
    world.deliver(event("payout.failed", failed))
    world.deliver(event("payout.failed", failed))

    assert world.balance("1580") == NET  # back at Stripe
    assert world.balance("2890") == -NET  # and the statement's line open for the desk again
    assert world.balance("1930") == NET
    assert len(_queue(world)) == 1
    assert _allocations(world) == []
