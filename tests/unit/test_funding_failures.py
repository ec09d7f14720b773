"""The failed share of Autogiro and recurring-Swish debits in the funding-gap projection, and
the sentence that names it, without a database."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from reports.funding import FundingGap
from reports.funding.model import (
    Churn,
    FailureShare,
    Sources,
    expected_monthly,
    figures,
)
from reports.funding.render import failure_text, guidance_text, to_json
from reports.funding.sources import months_back


def test_the_failed_share_is_failed_over_decided_and_never_above_everyone():
    assert FailureShare(failed=1, decided=4).share == Fraction(1, 4)
    assert FailureShare(failed=0, decided=0).share == 0
    assert FailureShare(failed=3, decided=0).share == 0  # nothing decided: nothing known
    assert FailureShare(failed=5, decided=2).share == 1


def test_only_the_autogiro_and_swish_parts_are_reduced_by_their_own_channel_share():
    # 100 kr by card, 200 kr by Autogiro (1 in 4 failed), 150 kr by Swish (1 in 3 failed)
    src = Sources(monthly_ore=45_000, autogiro_monthly_ore=20_000, swish_monthly_ore=15_000)
    paying = expected_monthly(src, FailureShare(1, 4), FailureShare(1, 3))
    assert paying == 45_000 - 5_000 - 5_000 == 35_000
    f = figures(
        src,
        months=3,
        factor=Fraction(3),
        median_gift_ore=10_000,
        projected_ore=None,
        autogiro_failures=FailureShare(1, 4),
        swish_failures=FailureShare(1, 3),
    )
    assert f.projected_ore == 105_000
    assert f.monthly_ore == 45_000  # the active gifts as they are; only the projection expects less


def test_card_and_bankgiro_gifts_count_whole_whatever_the_channels_fail():
    f = figures(
        Sources(monthly_ore=10_000),
        months=3,
        factor=Fraction(3),
        median_gift_ore=10_000,
        projected_ore=None,
        autogiro_failures=FailureShare(9, 10),
        swish_failures=FailureShare(1, 1),
    )
    assert f.projected_ore == 30_000


def test_the_reduced_projection_is_exact_until_it_is_rounded_down_once_to_ore():
    # 100,01 kr by Autogiro, 1 in 3 failed, factor 2: 10 001 × 2/3 × 2 = 13 334,67 öre
    f = figures(
        Sources(monthly_ore=10_001, autogiro_monthly_ore=10_001),
        months=2,
        factor=Fraction(2),
        median_gift_ore=10_000,
        projected_ore=None,
        autogiro_failures=FailureShare(1, 3),
    )
    assert f.projected_ore == 13_334


def test_without_failures_the_projection_is_the_one_before():
    src = Sources(monthly_ore=10_000, autogiro_monthly_ore=4_000, swish_monthly_ore=6_000)
    f = figures(src, months=3, factor=Fraction(5, 2), median_gift_ore=1, projected_ore=None)
    assert f.projected_ore == 25_000


@pytest.mark.parametrize(
    ("as_of", "bounds"),
    [
        (date(2026, 12, 3), ("2026-01", "2026-12")),
        (date(2027, 3, 15), ("2026-04", "2027-03")),
        (date(2027, 1, 1), ("2026-02", "2027-01")),
    ],
)
def test_the_window_is_the_twelve_months_ending_with_the_reference_month(as_of, bounds):
    assert months_back(as_of) == bounds


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (FailureShare(1, 8), "12,5 %"),
        (FailureShare(1, 3), "33,3 %"),
        (FailureShare(2, 3), "66,7 %"),
        (FailureShare(1, 16), "6,3 %"),  # 6,25 rounded half up
        (FailureShare(1, 2000), "0,1 %"),  # 0,05 rounded half up
        (FailureShare(1, 3000), "under 0,1 %"),
        (FailureShare(4, 4), "100,0 %"),
    ],
)
def test_the_failure_sentence_names_the_share_to_a_tenth_in_swedish(share, text):
    assert failure_text(share) == (
        f"{text} av dragningarna via Autogiro och Swish misslyckades det senaste året; "
        "prognosen räknar med det."
    )


def test_no_failure_sentence_when_nothing_failed():
    assert failure_text(FailureShare(0, 12)) is None
    assert failure_text(FailureShare(0, 0)) is None


def _report(autogiro: FailureShare, swish: FailureShare, gap_ore: int) -> FundingGap:
    src = Sources(need_ore=1_000_000, booked_ore=1_000_000 - gap_ore)
    total = figures(src, months=3, factor=Fraction(3), median_gift_ore=10_000, projected_ore=None)
    return FundingGap(
        year=2026,
        as_of=date(2026, 9, 15),
        months_left=3,
        currency="SEK",
        churn=Churn(0, 0),
        median_gift_ore=10_000,
        median_is_fallback=False,
        network=None,
        networks=(),
        unrestricted=None,
        total=total,
        autogiro_failures=autogiro,
        swish_failures=swish,
    )


def test_the_guidance_ends_with_the_failed_share_of_both_channels_together():
    report = _report(FailureShare(1, 3), FailureShare(0, 5), gap_ore=30_000)
    assert guidance_text(report.total, report) == (
        "För att stänga gapet behövs 100,00\xa0kr i månaden de 3 hela månader som är kvar: "
        "ungefär 1 fler månadsgivare med mediangåvan 100,00\xa0kr i månaden. "
        "12,5 % av dragningarna via Autogiro och Swish misslyckades det senaste året; "
        "prognosen räknar med det."
    )
    covered = _report(FailureShare(0, 0), FailureShare(1, 3000), gap_ore=0)
    assert guidance_text(covered.total, covered) == (
        "Behovet är täckt. Under 0,1 % av dragningarna via Autogiro och Swish misslyckades "
        "det senaste året; prognosen räknar med det."
    )
    quiet = _report(FailureShare(0, 3), FailureShare(0, 5), gap_ore=0)
    assert guidance_text(quiet.total, quiet) == "Behovet är täckt."


def test_the_json_gives_each_channels_failed_share():
    body = to_json(_report(FailureShare(1, 3), FailureShare(0, 5), gap_ore=0))
    assert body["failures"] == {
        "autogiro": {"failed": 1, "decided": 3, "share": "0.333333"},
        "swish": {"failed": 0, "decided": 5, "share": "0.000000"},
    }
