"""The funding-gap arithmetic and its renderings, without a database."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.funding import FundingGap, NetworkGap
from reports.funding.model import (
    Churn,
    Sources,
    figures,
    median_ore,
    months_left,
    projection_factor,
)
from reports.funding.render import coverage_text, donors_text, to_csv, to_json
from reports.spreadsheet import neutralise


@pytest.mark.parametrize(
    ("as_of", "left"),
    [
        (date(2026, 1, 1), 11),
        (date(2026, 9, 15), 3),
        (date(2026, 11, 30), 1),
        (date(2026, 12, 31), 0),
        (date(2025, 12, 31), 12),
        (date(2027, 1, 1), 0),
    ],
)
def test_months_left_are_the_whole_months_after_the_reference_month(as_of, left):
    assert months_left(2026, as_of) == left


def test_without_cancellations_every_month_left_counts_in_full():
    assert projection_factor(Churn(stopped=0, exposed=10), 4) == 4
    assert projection_factor(Churn(stopped=0, exposed=0), 12) == 12


def test_the_cancellation_rate_is_stopped_over_twelve_times_exposed():
    assert Churn(stopped=3, exposed=10).monthly_rate == Fraction(3, 120)
    assert Churn(stopped=50, exposed=2).monthly_rate == 1  # never above everyone


@given(
    stopped=st.integers(0, 500),
    extra=st.integers(0, 500),
    months=st.integers(0, 12),
)
def test_the_projection_factor_is_the_geometric_sum(stopped, extra, months):
    churn = Churn(stopped=stopped, exposed=stopped + extra)
    q = 1 - churn.monthly_rate
    closed = Fraction(months) if q == 1 else q * (1 - q**months) / (1 - q)
    assert projection_factor(churn, months) == closed
    assert 0 <= projection_factor(churn, months) <= months


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two_rounded_down():
    assert median_ore([]) is None
    assert median_ore([(300, 1)]) == 300
    assert median_ore([(100, 1), (400, 1), (200, 1)]) == 200
    assert median_ore([(100, 1), (201, 1), (400, 1), (50, 1)]) == 150  # (100 + 201) // 2
    assert median_ore([(500, 2), (100, 3)]) == 100  # 100 100 100 500 500
    assert median_ore([(500, 2), (100, 2)]) == 300


@given(st.lists(st.tuples(st.integers(1, 10_000), st.integers(1, 5)), max_size=30))
def test_the_median_of_counted_amounts_is_the_median_of_the_amounts_spelled_out(counted):
    spelled = sorted(a for a, c in counted for _ in range(c))
    n = len(spelled)
    expected = None if n == 0 else (spelled[(n - 1) // 2] + spelled[n // 2]) // 2
    assert median_ore(counted) == expected


def _fig(**kw):
    src = Sources(**{k: v for k, v in kw.items() if k in Sources.__dataclass_fields__})
    return figures(
        src,
        months=kw.get("months", 3),
        factor=kw.get("factor", Fraction(3)),
        median_gift_ore=kw.get("median", 10_000),
        projected_ore=kw.get("projected"),
    )


def test_gap_coverage_pace_and_donors_by_hand():
    f = _fig(
        need_ore=1_000_000,
        booked_ore=200_000,
        allocated_ore=50_000,
        committed_ore=100_000,
        monthly_ore=10_000,
    )
    assert f.received_ore == 250_000 and f.projected_ore == 30_000
    assert f.gap_ore == 1_000_000 - 250_000 - 100_000 - 30_000 == 620_000
    assert f.coverage_bp == 3800 and f.surplus_ore == 0
    assert f.pace_ore == 206_667  # 620 000 / 3, rounded up
    assert f.donors_needed == 21  # 620 000 / (100 kr × 3) = 20,67


def test_a_surplus_makes_the_gap_zero_and_nothing_is_needed():
    f = _fig(need_ore=100, booked_ore=150)
    assert (f.gap_ore, f.surplus_ore, f.pace_ore, f.donors_needed) == (0, 50, 0, 0)
    assert f.coverage_bp == 15_000


def test_without_a_need_there_is_no_coverage_and_without_months_no_pace():
    assert _fig(booked_ore=5).coverage_bp is None
    f = _fig(need_ore=100, months=0, factor=Fraction(0), monthly_ore=10_000)
    assert f.projected_ore == 0 and f.gap_ore == 100
    assert f.pace_ore is None and f.donors_needed is None


def test_the_projection_is_rounded_down_to_ore():
    assert _fig(monthly_ore=10, factor=Fraction(2, 3)).projected_ore == 6  # 6,67 öre


def test_coverage_is_shown_in_swedish_to_a_tenth_rounded_down():
    assert coverage_text(3514) == "35,1 %"
    assert coverage_text(123_456) == "1\xa0234,5 %"
    assert coverage_text(None) == "–"


def _report() -> FundingGap:
    fred = _fig(need_ore=1_000_000, sida_ore=400_000, booked_ore=250_050)
    free = _fig(booked_ore=100_000, allocated_ore=-20_000)
    total = _fig(need_ore=1_000_000, sida_ore=400_000, booked_ore=350_050, allocated_ore=-20_000)
    return FundingGap(
        year=2026,
        as_of=date(2026, 9, 15),
        months_left=3,
        currency="SEK",
        churn=Churn(1, 60),
        median_gift_ore=10_000,
        median_is_fallback=False,
        network=None,
        networks=(NetworkGap(1, "fred", "Fred; och demokrati", "active", fred),),
        unrestricted=free,
        total=total,
    )


def test_the_json_gives_ore_and_swedish_text_side_by_side():
    body = to_json(_report())
    fred = body["networks"][0]
    assert (fred["received_ore"], fred["received"]) == (250_050, "2\xa0500,50\xa0kr")
    assert (fred["pace_ore"], fred["pace"]) == (249_984, "2\xa0499,84\xa0kr")  # 7 499,50 / 3
    assert body["cancellations"] == {"stopped": 1, "exposed": 60, "monthly_rate": "0.001389"}
    assert body["unrestricted"]["allocated_ore"] == -20_000


def test_the_csv_quotes_a_name_with_a_semicolon_and_uses_decimal_commas():
    text = to_csv(_report()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1][0] == "Fred; och demokrati"
    assert rows[1][3] == "2500,50"
    assert rows[1][rows[0].index("Täckning (%)")] == "25,00"
    assert rows[-1][0] == "Totalt" and len({len(r) for r in rows}) == 1


def test_the_donors_sentence_says_what_the_gap_means():
    f = _fig(need_ore=1_000_000)
    assert donors_text(f, 10_000, 3) == (
        "ungefär 34 fler månadsgivare med mediangåvan 100,00\xa0kr i månaden"
    )
    assert donors_text(_fig(), 10_000, 3) == "Behovet är täckt."


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("https://evil.example","klicka")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+9)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_network_name_that_a_spreadsheet_would_run_is_written_as_text(name):
    report = _report()
    first = replace(report.networks[0], name=name)
    text = to_csv(replace(report, networks=(first, *report.networks[1:]))).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[1][0] == "'" + name


def test_negative_amounts_stay_numbers_in_the_csv():
    assert neutralise("-1234,50") == "-1234,50"
    assert neutralise("-1234,50 kr") == "'-1234,50 kr"
    assert neutralise("Fred") == "Fred"


def test_every_figure_from_the_sources_is_carried_through_unchanged():
    f = _fig(
        need_ore=1_000_000,
        sida_ore=400_000,
        booked_ore=200_000,
        allocated_ore=50_000,
        committed_ore=100_000,
        monthly_ore=10_000,
        monthly_givers=7,
    )
    assert (f.need_ore, f.sida_ore, f.booked_ore, f.allocated_ore, f.committed_ore) == (
        1_000_000,
        400_000,
        200_000,
        50_000,
        100_000,
    )
    assert (f.monthly_ore, f.monthly_givers) == (10_000, 7)


def test_coverage_is_whole_hundredths_of_a_percent_rounded_down_even_for_a_one_ore_need():
    f = _fig(need_ore=3, booked_ore=1)
    assert f.coverage_bp == 3333 and isinstance(f.coverage_bp, int)
    assert _fig(need_ore=1, booked_ore=1).coverage_bp == 10_000


def test_a_gap_of_one_ore_still_needs_a_pace_and_a_giver():
    f = _fig(need_ore=10_001, booked_ore=10_000, months=3, median=1)
    assert (f.gap_ore, f.pace_ore, f.donors_needed) == (1, 1, 1)
    f = _fig(need_ore=10_000 + 5, booked_ore=10_000, months=1, median=1)
    assert f.donors_needed == 5  # five givers of one öre for one month


def test_the_median_of_an_odd_and_an_even_count_picks_whole_positions():
    assert median_ore([(100, 1), (200, 1), (300, 1), (400, 1), (500, 1)]) == 300
    assert median_ore([(100, 2), (200, 1), (300, 3)]) == 250
