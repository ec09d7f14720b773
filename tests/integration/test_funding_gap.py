"""The funding gap against a real database, checked against figures worked out by hand: gifts
net of a refund and a dispute, a partly paid pledge, an invoice (income from its issue), an
allocation from unrestricted money, and monthly gifts with a cancellation.

The year is 2026 and the reference date 15 September 2026: three whole months left.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import AllocationConflict, AllocationRefused, DimensionNotFound, PeriodClosed
from ledger.money import Money
from ledger.services import allocations, expected, posting
from ledger.services.periods import close_through
from reports.display import format_money
from reports.funding import funding_gap
from tests.support.invoicing import add_network

AS_OF = date(2026, 9, 15)


def book(conn, key, day, *lines):
    """Post an entry of ``(account, debit, credit, network)`` lines."""
    posting.post(
        conn,
        Draft(
            date=day,
            text=f"test {key}",
            series="M",
            source_kind="test",
            source_key=key,
            lines=tuple(LineDraft(a, d, c, network=n) for a, d, c, n in lines),
        ),
    )


def gift_in(conn, key, ore, network=None, day=date(2026, 2, 1)):
    book(conn, key, day, ("1930", ore, 0, None), ("3993", 0, ore, network))


def monthly_gift(conn, network_id, ore, *, status, channel="card", sub=True, stopped_at=None):
    now = datetime.now(UTC)
    return conn.execute(
        t.gifts.insert()
        .values(
            public_id=secrets.token_hex(16),
            network_id=network_id,
            amount_ore=ore,
            currency="SEK",
            frequency="monthly",
            channel=channel,
            status=status,
            donor_kind="person",
            donor_name="Givare",
            donor_email=f"{secrets.token_hex(4)}@example.org",
            consent_contact=False,
            locale="sv",
            stripe_subscription_id=f"sub_{secrets.token_hex(6)}" if sub else None,
            created_at=now,
            updated_at=stopped_at or now,
        )
        .returning(t.gifts.c.id)
    ).scalar_one()


@pytest.fixture
def world(engine):
    """Two networks with budgets, a year of income, commitments and monthly gifts."""
    with engine.begin() as conn:
        fred = add_network(conn, "fred", "Fred och demokrati")
        klimat = add_network(conn, "klimat", "Rättvis klimatomställning")
        add_network(conn, "tyst", "Ett nätverk utan något i år")
        conn.execute(
            t.network_budgets.insert(),
            [
                {"network_id": fred, "year": 2026, "need_ore": 10_000_000, "sida_ore": 6_000_000},
                {"network_id": klimat, "year": 2026, "need_ore": 5_000_000, "sida_ore": 0},
                {"network_id": fred, "year": 2027, "need_ore": 99_999_900, "sida_ore": 0},
            ],
        )
        gift_in(conn, "bg-1", 1_000_000, "fred")
        gift_in(conn, "old", 99_900, "fred", day=date(2025, 12, 30))  # another year
        # a card gift, part refunded, part disputed (with the dispute fee)
        book(
            conn, "card", date(2026, 3, 1), ("1580", 200_000, 0, None), ("3993", 0, 200_000, "fred")
        )
        book(
            conn, "refund", date(2026, 3, 5), ("3993", 50_000, 0, "fred"), ("1580", 0, 50_000, None)
        )
        book(
            conn,
            "dispute",
            date(2026, 4, 1),
            ("3993", 30_000, 0, "fred"),
            ("6570", 15_000, 0, None),
            ("1580", 0, 45_000, None),
        )
        # an invoice: its income is booked on issue, so it is received, never committed
        inv = expected.create(
            conn,
            kind="invoice",
            amount=Money(1_000_000),
            network_id=fred,
            contributor_id=None,
            due_date=date(2026, 10, 31),
        )
        book(
            conn,
            "invoice",
            date(2026, 9, 1),
            ("1510", 1_000_000, 0, None),
            ("3993", 0, 1_000_000, "fred"),
        )
        # a pledge of 12 000 kr due in October, 4 000 kr paid
        pledge = expected.create(
            conn,
            kind="pledge",
            amount=Money(1_200_000),
            network_id=fred,
            contributor_id=None,
            due_date=date(2026, 10, 31),
        )
        gift_in(conn, "pledge-pay", 400_000, "fred", day=date(2026, 6, 1))
        entry_id = conn.scalar(
            select(t.journal_entries.c.id).where(t.journal_entries.c.source_key == "pledge-pay")
        )
        expected.record_receipt(
            conn,
            pledge.id,
            entry_id=entry_id,
            amount=Money(400_000),
            source_key="bank:pledge-pay",
            received_on=date(2026, 6, 1),
        )
        # pledges that do not count: due next year, and one paid in full
        for due in (date(2027, 1, 31), date(2026, 11, 30)):
            expected.create(
                conn,
                kind="pledge",
                amount=Money(777_700),
                network_id=klimat,
                contributor_id=None,
                due_date=due,
            )
        conn.execute(
            t.expected_payments.update()
            .where(t.expected_payments.c.due_date == date(2026, 11, 30))
            .values(status="paid", paid_ore=777_700)
        )
        gift_in(conn, "unrestricted", 2_000_000, None)
        allocations.allocate(
            conn,
            year=2026,
            network_id=klimat,
            amount=Money(500_000),
            note="Styrelsebeslut 2026-05-20 §4",
            user=None,
            token="form-token-1",
            on=date(2026, 5, 21),
        )
        # monthly gifts: three paying to fred, one unrestricted
        monthly_gift(conn, fred, 30_000, status="active")
        monthly_gift(conn, fred, 10_000, status="active")
        standing = monthly_gift(conn, fred, 20_000, status="pending", channel="bankgiro", sub=False)
        ref = expected.for_gift(
            conn, gift_id=standing, amount=Money(20_000), network_id=fred, monthly=True
        )
        gift_in(conn, "standing-1", 20_000, "fred", day=date(2026, 8, 27))
        expected.record_receipt(
            conn,
            ref.id,
            entry_id=conn.scalar(select(func.max(t.journal_entries.c.id))),
            amount=Money(20_000),
            source_key="bank:standing-1",
            received_on=date(2026, 8, 27),
        )
        monthly_gift(conn, None, 40_000, status="active")
        # not paying: a standing order never paid, a failed card, stops
        monthly_gift(conn, fred, 50_000, status="pending", channel="bankgiro", sub=False)
        monthly_gift(conn, fred, 50_000, status="failed")
        monthly_gift(
            conn, fred, 50_000, status="cancelled", stopped_at=datetime(2026, 5, 1, tzinfo=UTC)
        )
        monthly_gift(
            conn, fred, 50_000, status="cancelled", stopped_at=datetime(2025, 1, 1, tzinfo=UTC)
        )
        # abandoned at the checkout, never paid: not a cancellation
        monthly_gift(
            conn,
            fred,
            50_000,
            status="cancelled",
            sub=False,
            stopped_at=datetime(2026, 6, 1, tzinfo=UTC),
        )
        assert inv.id != pledge.id
        return {"fred": fred, "klimat": klimat}


def report(engine, **kw):
    with engine.connect() as conn:
        return funding_gap(conn, 2026, as_of=AS_OF, **kw)


# Worked by hand. Monthly gifts paying: 300, 100, 200 kr (fred) and 400 kr (unrestricted);
# stopped in the 12 months: 1 of 4 + 1 = 5 exposed, so r = 1 / (12 × 5) = 1/60, and with 3
# months left the factor is 59/60 + (59/60)² + (59/60)³ = 626 639 / 216 000.
FRED_RECEIVED = 1_000_000 + 200_000 - 50_000 - 30_000 + 1_000_000 + 400_000 + 20_000
FRED_PROJECTED = 60_000 * 626_639 // 216_000  # 174 066,39 öre, rounded down
UNRESTRICTED_PROJECTED = 40_000 * 626_639 // 216_000  # 116 044,26 öre


def test_received_is_income_net_of_refund_and_dispute_plus_the_invoice(engine, world):
    fred = report(engine).networks[0].figures
    assert fred.received_ore == FRED_RECEIVED == 2_540_000
    assert fred.booked_ore == FRED_RECEIVED and fred.allocated_ore == 0


def test_a_desk_match_in_series_a_is_income_booked_to_the_network_not_an_allocation(engine, world):
    with engine.begin() as conn:
        posting.post(
            conn,
            Draft(
                date=date(2026, 3, 2),
                text="Matchad från 2890",
                series="A",
                source_kind="desk",
                source_key="desk:t1:1",
                lines=(
                    LineDraft("2890", 70_000, 0),
                    LineDraft("3993", 0, 70_000, network="fred"),
                ),
            ),
        )
    fred = report(engine).networks[0].figures
    assert fred.booked_ore == FRED_RECEIVED + 70_000
    assert fred.allocated_ore == 0


def test_a_partly_paid_pledge_commits_what_is_still_due_and_an_invoice_commits_nothing(
    engine, world
):
    gap = report(engine)
    assert gap.networks[0].figures.committed_ore == 1_200_000 - 400_000
    assert gap.networks[1].figures.committed_ore == 0  # next year's and a paid one


def test_an_allocation_moves_unrestricted_money_to_the_network(engine, world):
    gap = report(engine)
    klimat = gap.networks[1].figures
    assert (klimat.booked_ore, klimat.allocated_ore, klimat.received_ore) == (0, 500_000, 500_000)
    assert gap.unrestricted is not None
    assert gap.unrestricted.booked_ore == 2_000_000
    assert gap.unrestricted.received_ore == 2_000_000 - 500_000


def test_a_cancelled_monthly_gift_leaves_the_projection_and_sets_the_cancellation_rate(
    engine, world
):
    gap = report(engine)
    assert (gap.churn.stopped, gap.churn.exposed) == (1, 5)
    assert gap.months_left == 3
    fred = gap.networks[0].figures
    assert (fred.monthly_ore, fred.monthly_givers) == (60_000, 3)
    assert fred.projected_ore == FRED_PROJECTED == 174_066
    assert gap.unrestricted is not None
    assert gap.unrestricted.projected_ore == UNRESTRICTED_PROJECTED == 116_044
    assert (gap.median_gift_ore, gap.median_is_fallback) == ((20_000 + 30_000) // 2, False)


def test_gap_coverage_pace_and_donors_per_network_and_in_total(engine, world):
    gap = report(engine)
    assert [n.slug for n in gap.networks] == ["fred", "klimat"]  # "tyst" has nothing this year
    fred = gap.networks[0].figures
    covered = FRED_RECEIVED + 800_000 + FRED_PROJECTED
    assert fred.need_ore == 10_000_000 and fred.sida_ore == 6_000_000
    assert fred.gap_ore == 10_000_000 - covered == 6_485_934
    assert fred.surplus_ore == 0
    assert fred.coverage_bp == 3514  # 35,14 %
    assert fred.pace_ore == 2_161_978  # 6 485 934 / 3, rounded up
    assert fred.donors_needed == 87  # 6 485 934 / (250 kr × 3) = 86,48, rounded up
    klimat = gap.networks[1].figures
    assert (klimat.gap_ore, klimat.coverage_bp, klimat.donors_needed) == (4_500_000, 1000, 60)
    total = gap.total
    assert total.need_ore == 15_000_000
    assert total.received_ore == FRED_RECEIVED + 500_000 + 1_500_000
    assert total.committed_ore == 800_000
    assert total.projected_ore == FRED_PROJECTED + UNRESTRICTED_PROJECTED
    assert total.gap_ore == 15_000_000 - 4_540_000 - 800_000 - 290_110 == 9_369_890
    assert total.allocated_ore == 0  # to the networks and from the unrestricted money


def test_one_network_asked_for_is_also_the_total(engine, world):
    gap = report(engine, network="klimat")
    assert [n.slug for n in gap.networks] == ["klimat"] and gap.unrestricted is None
    assert gap.total == gap.networks[0].figures


def test_an_unknown_network_is_refused(engine, world):
    with pytest.raises(DimensionNotFound):
        report(engine, network="finns-inte")


def test_a_surplus_is_shown_and_the_gap_is_zero(engine, world):
    with engine.begin() as conn:
        gift_in(conn, "big", 5_000_000, "klimat", day=date(2026, 9, 1))
    klimat = report(engine).networks[1].figures
    assert klimat.gap_ore == 0 and klimat.surplus_ore == 500_000
    assert (klimat.pace_ore, klimat.donors_needed, klimat.coverage_bp) == (0, 0, 11_000)


def test_in_december_and_after_the_year_no_months_are_left_to_close_the_gap(engine, world):
    for day in (date(2026, 12, 1), date(2027, 3, 1)):
        with engine.connect() as conn:
            gap = funding_gap(conn, 2026, as_of=day)
        fred = gap.networks[0].figures
        assert gap.months_left == 0 and fred.projected_ore == 0
        assert fred.pace_ore is None and fred.donors_needed is None and fred.gap_ore > 0


def test_without_monthly_gifts_the_median_falls_back_to_the_setting(engine):
    with engine.begin() as conn:
        add_network(conn)
    with engine.connect() as conn:
        gap = funding_gap(conn, 2026, as_of=AS_OF, fallback_gift_ore=15_000)
    assert (gap.median_gift_ore, gap.median_is_fallback) == (15_000, True)
    assert gap.networks == () and gap.total.need_ore == 0 and gap.total.coverage_bp is None


# --- the allocation action ---------------------------------------------------------------


def _allocate(engine, world, ore, token, network="fred"):
    with engine.begin() as conn:
        return allocations.allocate(
            conn,
            year=2026,
            network_id=world[network],
            amount=Money(ore),
            note="Styrelsebeslut",
            user=None,
            token=token,
            on=date(2026, 9, 10),
        )


def test_an_allocation_is_an_entry_in_series_a_moving_3993_to_the_network(engine, world):
    made = _allocate(engine, world, 100_000, "form-token-2")
    assert made.new and made.voucher == "A2" and made.network == "fred"
    with engine.connect() as conn:
        lines = conn.execute(
            select(t.journal_lines).where(t.journal_lines.c.entry_id == made.entry_id)
        ).all()
    assert [(ln.account, ln.debit_ore, ln.credit_ore, ln.network_id) for ln in lines] == [
        ("3993", 100_000, 0, None),
        ("3993", 0, 100_000, world["fred"]),
    ]
    assert report(engine).networks[0].figures.allocated_ore == 100_000


def test_the_same_form_token_books_one_allocation(engine, world):
    first = _allocate(engine, world, 100_000, "form-token-2")
    again = _allocate(engine, world, 100_000, "form-token-2")
    assert (again.entry_id, again.new) == (first.entry_id, False)
    with pytest.raises(AllocationConflict):
        _allocate(engine, world, 200_000, "form-token-2")


def test_more_than_the_unallocated_money_is_refused_and_nothing_is_booked(engine, world):
    with engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(t.journal_entries))
        assert allocations.unallocated(conn, 2026) == Money(1_500_000)
    with pytest.raises(AllocationRefused) as refused:
        _allocate(engine, world, 1_500_001, "form-token-3")
    assert refused.value.field == "amount_ore"
    assert format_money(Money(1_500_000)) in refused.value.message
    _allocate(engine, world, 1_500_000, "form-token-4")  # all of it is allowed
    with pytest.raises(AllocationRefused):
        _allocate(engine, world, 1, "form-token-5")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.journal_entries)) == before + 1


@pytest.mark.parametrize(
    ("field", "kw"),
    [
        ("amount_ore", {"amount": Money(0)}),
        ("note", {"note": "   "}),
        ("token", {"token": "kort"}),
        ("date", {"on": date(2025, 12, 31)}),
        ("network", {"network_id": 999}),
    ],
)
def test_a_bad_allocation_is_refused_naming_the_field(engine, world, field, kw):
    args = {
        "year": 2026,
        "network_id": world["fred"],
        "amount": Money(100),
        "note": "Beslut",
        "user": None,
        "token": "form-token-6",
        "on": date(2026, 9, 1),
        **kw,
    }
    with engine.begin() as conn, pytest.raises((AllocationRefused, DimensionNotFound)) as bad:
        allocations.allocate(conn, **args)
    assert bad.value.field == field


def test_an_allocation_in_a_closed_period_is_refused(engine, world):
    with engine.begin() as conn:
        close_through(conn, date(2026, 9, 30))
    with pytest.raises(PeriodClosed):
        _allocate(engine, world, 100, "form-token-7")


def test_a_reversed_allocation_gives_the_money_back_to_the_unrestricted_side(engine, world):
    made = _allocate(engine, world, 300_000, "form-token-8")
    with engine.begin() as conn:
        posting.reverse(conn, made.entry_id, on=date(2026, 9, 11))
        assert allocations.unallocated(conn, 2026) == Money(1_500_000)
    gap = report(engine)
    assert gap.networks[0].figures.allocated_ore == 0
    assert gap.unrestricted is not None and gap.unrestricted.received_ore == 1_500_000
