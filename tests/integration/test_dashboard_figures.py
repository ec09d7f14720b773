"""The dashboard's figures against a real database, checked against the small ledger in
``tests.support.dashboard`` worked out by hand (amounts in öre)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.entries import Draft, LineDraft
from ledger.errors import DimensionNotFound
from ledger.money import Money
from ledger.services import posting
from reports import tally
from reports.charts import charts
from reports.dashboard import build
from reports.display import format_money
from tests.support.dashboard import AS_OF, build_world


@pytest.fixture
def ids(engine):
    with engine.begin() as conn:
        return build_world(conn)


def test_cumulative_income_runs_month_by_month_against_the_straight_line_pace(engine, ids):
    with engine.connect() as conn:
        dash = build(conn, 2026, as_of=AS_OF)
    this = [p.this_year_ore for p in dash.months]
    # Jan card 50 kr; Feb Swish 250 + unknown 800; Mar invoice 15 000 + Handels 3 000;
    # Apr refund −20; May the allocation moves money between networks: the total stays.
    assert this[:5] == [5_000, 110_000, 1_910_000, 1_908_000, 1_908_000]
    assert this[-1] == 1_908_000
    last = [p.last_year_ore for p in dash.months]
    assert last[3:6] == [0, 500_000, 700_000] and last[-1] == 700_000
    assert [p.pace_ore for p in dash.months][:3] == [150_000, 300_000, 450_000]
    assert dash.months[-1].pace_ore == 1_800_000


def test_one_network_counts_its_own_income_and_the_money_allocated_to_it(engine, ids):
    with engine.connect() as conn:
        dash = build(conn, 2026, network="fred", as_of=AS_OF)
    this = [p.this_year_ore for p in dash.months]
    assert this[:5] == [5_000, 5_000, 1_805_000, 1_803_000, 1_853_000]
    assert dash.months[0].pace_ore == 100_000
    assert [(s.key, s.net_ore, s.gifts) for s in dash.channels] == [
        ("K", 3_000, 1),
        ("B", 300_000, 1),
        ("F", 1_500_000, 1),
    ]
    assert [(s.key, s.net_ore, s.gifts) for s in dash.kinds] == [
        ("person", 3_000, 1),
        ("organisation", 1_800_000, 2),
    ]
    assert dash.channels[0].drill == {
        "account": "3993",
        "year": "2026",
        "network": "fred",
        "series": "K",
    }


def test_channels_and_kinds_net_refunds_and_leave_allocations_out(engine, ids):
    with engine.connect() as conn:
        dash = build(conn, 2026, as_of=AS_OF)
    assert [(s.key, s.label, s.net_ore, s.gifts) for s in dash.channels] == [
        ("K", "Kort", 3_000, 1),
        ("S", "Swish", 25_000, 1),
        ("B", "Bankgiro och bank", 300_000, 1),
        ("F", "Faktura", 1_500_000, 1),
        ("M", "Manuellt bokfört", 80_000, 1),
    ]
    assert [(s.key, s.net_ore, s.gifts) for s in dash.kinds] == [
        ("person", 28_000, 2),
        ("organisation", 1_800_000, 2),
        ("okand", 80_000, 1),
    ]
    assert dash.kinds[1].drill == {"account": "3993", "year": "2026", "kind": "organisation"}


def test_gift_sizes_fall_in_their_bands_and_a_refund_is_no_gift(engine, ids):
    with engine.connect() as conn:
        dash = build(conn, 2026, as_of=AS_OF)
    assert [(b.label, b.gifts, b.total_ore) for b in dash.bands] == [
        ("under 100 kr", 1, 5_000),
        ("100–499 kr", 1, 25_000),
        ("500–1 999 kr", 1, 80_000),
        ("2 000–9 999 kr", 1, 300_000),
        ("10 000–49 999 kr", 1, 1_500_000),
        ("50 000 kr och mer", 0, 0),
    ]


def test_monthly_givers_paying_started_and_stopped_in_the_year(engine, ids):
    with engine.connect() as conn:
        everyone = build(conn, 2026, as_of=AS_OF).givers
        fred = build(conn, 2026, network="fred", as_of=AS_OF).givers
    assert (everyone.paying, everyone.started, everyone.stopped) == (2, 1, 1)
    assert (fred.paying, fred.started, fred.stopped) == (1, 1, 1)


def test_organisations_that_gave_last_year_but_not_this_year_come_with_contact_details(engine, ids):
    with engine.connect() as conn:
        lapsed = build(conn, 2026, as_of=AS_OF).lapsed
        klimat = build(conn, 2026, network="klimat", as_of=AS_OF).lapsed
    # Handels gave both years; Byggnads only last year
    assert [(o.contributor_id, o.name, o.last_year_ore) for o in lapsed] == [
        (ids["byggnads"], "Byggnads avd 1", 500_000)
    ]
    assert (lapsed[0].contact_person, lapsed[0].email, lapsed[0].city) == (
        "Kim Kassör",
        "kassor@bygg1.se",
        "Göteborg",
    )
    assert klimat == ()


def test_the_same_figures_give_the_same_accessible_svg(engine, ids):
    with engine.connect() as conn:
        first = charts(build(conn, 2026, as_of=AS_OF))
        again = charts(build(conn, 2026, as_of=AS_OF))
    assert {n: c.svg for n, c in first.items()} == {n: c.svg for n, c in again.items()}
    gap = first["gap"].svg
    assert 'id="chart-gap"' in gap and 'role="img"' in gap
    assert '<title id="chart-gap-title">' in gap and "<desc" in gap
    assert "<script" not in gap
    # klimat: 6 000 kr − 250 kr − 200 kr a month × (35/36 + (35/36)² + (35/36)³) = 5 182,73 kr
    assert first["gap"].desc == (
        "Staplade staplar per nätverk. "
        f"Fred och demokrati: gap {format_money(Money(0))}; "
        f"Rättvis klimatomställning: gap {format_money(Money(518_273))}"
    )
    assert "Rättvis klimatomställning" in gap


def test_an_unknown_network_is_refused(engine, ids):
    with engine.connect() as conn, pytest.raises(DimensionNotFound):
        build(conn, 2026, network="finns-inte", as_of=AS_OF)


def test_the_figures_follow_new_entries_before_and_after_they_are_folded_in(engine, ids):
    with engine.connect() as conn:
        before = build(conn, 2026, as_of=AS_OF)
    assert [s.net_ore for s in before.channels if s.key == "S"] == [25_000]
    with engine.begin() as conn:
        posting.post(
            conn,
            Draft(
                date=date(2026, 6, 1),
                text="Test swish 2",
                series="S",
                source_kind="test",
                source_key="swish-2",
                lines=(
                    LineDraft("1930", 60_000, 0),
                    LineDraft("3993", 0, 60_000, network="klimat", contributor_id=ids["byggnads"]),
                ),
            ),
        )
    with engine.connect() as conn:
        after = build(conn, 2026, as_of=AS_OF)
    assert [(s.net_ore, s.gifts) for s in after.channels if s.key == "S"] == [(85_000, 2)]
    assert after.lapsed == ()  # Byggnads gave again
    # Folded into the kept tallies, the figures stay what they were read as before.
    with engine.begin() as conn:
        assert tally.catch_up(conn) > 0
    with engine.connect() as conn:
        again = build(conn, 2026, as_of=AS_OF)
    assert again.channels == after.channels and again.bands == after.bands
    assert again.kinds == after.kinds and again.lapsed == after.lapsed
