"""Property: for random ledgers the funding gap adds up (received + committed + projected + gap
= need + surplus, per network and in total, with at most one of gap and surplus above zero),
each part equals a plain model of the same events, and an allocation is refused exactly when it
asks for more than the unrestricted money left.

Each example is booked in a transaction that is rolled back, on the test's one database.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import AllocationRefused
from ledger.money import Money
from ledger.services import allocations, expected, posting
from reports.funding import funding_gap

NETS = ("alfa", "beta", "gamma")
net = st.sampled_from((None, 0, 1, 2))
day_2026 = st.dates(date(2026, 1, 1), date(2026, 12, 31))

gifts = st.lists(
    st.tuples(net, st.integers(1, 500_000), st.dates(date(2025, 6, 1), date(2026, 12, 31))),
    max_size=12,
)
refunds = st.lists(
    st.tuples(st.sampled_from((0, 1, 2)), st.integers(1, 100_000), day_2026), max_size=4
)
allocs = st.lists(st.tuples(st.sampled_from((0, 1, 2)), st.integers(1, 600_000)), max_size=4)
payments = st.lists(
    st.tuples(
        net,
        st.integers(1, 300_000),  # amount
        st.integers(0, 100),  # percent paid
        st.sampled_from(("pledge", "invoice", "gift")),
        st.sampled_from(("open", "partly_paid", "overdue", "paid", "cancelled", "written_off")),
        st.sampled_from((2025, 2026, 2027)),
    ),
    max_size=8,
)
monthly = st.lists(
    st.tuples(
        net,
        st.integers(2_000, 100_000),
        st.sampled_from(("active", "cancelled", "failed")),
        st.dates(date(2025, 1, 1), date(2026, 12, 31)),  # when a cancelled one stopped
    ),
    max_size=10,
)
needs = st.lists(st.integers(0, 3_000_000), min_size=3, max_size=3)


def _post(conn, key, day, debit, credit):
    posting.post(
        conn,
        Draft(
            date=day,
            text=key,
            series="M",
            source_kind="test",
            source_key=key,
            lines=(debit, credit),
        ),
    )


def _geometric(rate: Fraction, months: int) -> Fraction:
    q = 1 - rate
    return Fraction(months) if q == 1 else q * (1 - q**months) / (1 - q)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    needs=needs,
    gifts=gifts,
    refunds=refunds,
    allocs=allocs,
    payments=payments,
    monthly=monthly,
    as_of=day_2026,
)
def test_the_funding_gap_adds_up_for_random_ledgers(
    engine, needs, gifts, refunds, allocs, payments, monthly, as_of
):
    with engine.connect() as conn, conn.begin() as trans:
        ids = []
        for i, slug in enumerate(NETS):
            nid = conn.execute(
                t.networks.insert().values(slug=slug, name=slug.title()).returning(t.networks.c.id)
            ).scalar_one()
            ids.append(nid)
            conn.execute(
                t.network_budgets.insert().values(
                    network_id=nid, year=2026, need_ore=needs[i], sida_ore=needs[i] // 2
                )
            )
        received = {k: 0 for k in (None, 0, 1, 2)}
        for n, (k, ore, day) in enumerate(gifts):
            slug = None if k is None else NETS[k]
            _post(
                conn, f"g{n}", day, LineDraft("1930", ore), LineDraft("3993", 0, ore, network=slug)
            )
            if day.year == 2026:
                received[k] += ore
        for n, (k, ore, day) in enumerate(refunds):
            _post(
                conn,
                f"r{n}",
                day,
                LineDraft("3993", ore, network=NETS[k]),
                LineDraft("1580", 0, ore),
            )
            received[k] -= ore
        for n, (k, ore) in enumerate(allocs):
            free = received[None]
            try:
                allocations.allocate(
                    conn,
                    year=2026,
                    network_id=ids[k],
                    amount=Money(ore),
                    note="beslut",
                    user=None,
                    token=f"property-{n:04d}",
                    on=date(2026, 6, 1),
                )
                refused = False
            except AllocationRefused:
                refused = True
            assert refused == (ore > free)
            if not refused:
                received[None] -= ore
                received[k] += ore
        committed = {k: 0 for k in (None, 0, 1, 2)}
        for k, amount, percent, kind, status, year in payments:
            ep = expected.create(
                conn,
                kind=kind,
                amount=Money(amount),
                network_id=None if k is None else ids[k],
                contributor_id=None,
                due_date=date(year, 6, 30),
            )
            paid = amount * percent // 100
            conn.execute(
                t.expected_payments.update()
                .where(t.expected_payments.c.id == ep.id)
                .values(paid_ore=paid, status=status)
            )
            if status in ("open", "partly_paid", "overdue") and kind != "invoice" and year == 2026:
                committed[k] += amount - paid
        paying = {k: 0 for k in (None, 0, 1, 2)}
        amounts, stopped = [], 0
        start = as_of.replace(year=2025)
        for k, amount, status, stop in monthly:
            noon = datetime.combine(stop, datetime.min.time(), UTC) + timedelta(hours=12)
            conn.execute(
                t.gifts.insert().values(
                    public_id=secrets.token_hex(16),
                    network_id=None if k is None else ids[k],
                    amount_ore=amount,
                    currency="SEK",
                    frequency="monthly",
                    channel="card",
                    status=status,
                    donor_kind="person",
                    donor_name="Givare",
                    donor_email="givare@example.org",
                    consent_contact=False,
                    locale="sv",
                    stripe_subscription_id=f"sub_{secrets.token_hex(8)}",
                    created_at=noon,
                    updated_at=noon,
                )
            )
            if status == "active":
                paying[k] += amount
                amounts.append(amount)
            elif status == "cancelled" and start < stop <= as_of:
                stopped += 1

        report = funding_gap(conn, 2026, as_of=as_of, fallback_gift_ore=12_300)
        trans.rollback()

    months = 12 - as_of.month
    exposed = len(amounts) + stopped
    rate = Fraction(stopped, 12 * exposed) if exposed else Fraction(0)
    factor = _geometric(rate, months)
    assert (report.churn.stopped, report.churn.exposed) == (stopped, exposed)
    rows = [(g.figures, k) for k, g in enumerate(report.networks)]
    assert [g.slug for g in report.networks] == list(NETS)
    assert report.unrestricted is not None
    rows.append((report.unrestricted, None))
    for f, k in rows:
        assert f.received_ore == received[k]
        assert f.committed_ore == committed[k]
        assert f.projected_ore == int(paying[k] * factor)  # floor: both are non-negative
    for f in [f for f, _ in rows] + [report.total]:
        assert f.received_ore + f.committed_ore + f.projected_ore + f.gap_ore == (
            f.need_ore + f.surplus_ore
        )
        assert f.gap_ore >= 0 and f.surplus_ore >= 0 and min(f.gap_ore, f.surplus_ore) == 0
    total = report.total
    assert total.need_ore == sum(needs)
    assert total.received_ore == sum(received.values())
    assert total.committed_ore == sum(committed.values())
    assert total.projected_ore == sum(f.projected_ore for f, _ in rows)
    if not amounts:
        assert report.median_is_fallback and report.median_gift_ore == 12_300
