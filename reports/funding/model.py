"""The funding-gap arithmetic, pure: what the ledger's figures mean for one network and year.

For a network and a year (DESIGN.md, "Funding gap")::

    gap = max(need - received - committed - projected, 0)      surplus = the rest, when negative

* ``received``: income booked to the network in the year (3993 credits minus debits: gifts net
  of refunds and disputes, invoices issued), plus unrestricted money leadership allocated to it.
* ``committed``: promised money not yet booked as income that falls due in the year (pledge
  instalments; not issued invoices, whose income is in ``received`` from the day they go out).
* ``projected``: active monthly gifts over the months left, each month discounted by the
  cancellations seen in the last twelve months::

      r         = stopped / (12 × exposed)           a monthly rate from the 12-month count
      projected = floor(monthly × Σ_{m=1..M} (1 − r)^m)

  where ``stopped`` is the monthly gifts stopped in the 12 months before the reference date,
  ``exposed`` the monthly gifts active at some point in those months (active now, or stopped
  in them), ``monthly`` the sum of the network's active monthly gifts and ``M`` the whole
  months left after the reference date's month. The sum is exact (``Fraction``); only the
  result is rounded, down, to öre.

  Autogiro and recurring-Swish debits also fail (insufficient funds, a declined charge) and
  then bring nothing, so those channels' part of ``monthly`` counts only its expected paying
  share: ``monthly = other + autogiro × (1 − f_autogiro) + swish × (1 − f_swish)``, where ``f``
  is the channel's failed share of its decided debits in the 12 months before the reference
  date (``FailureShare``). Card and bankgiro gifts are counted whole. The product with the
  factor stays exact and is rounded down to öre once.

From those: coverage = (received + committed + projected) / need (in hundredths of a percent,
rounded down), the monthly pace needed = gap / M rounded up to öre, and the gap in donors =
gap / (median monthly gift × M) rounded up. With no months left (December, or a past year)
pace and donors are ``None``: no month remains to close the gap in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

__all__ = [
    "NO_FAILURES",
    "Churn",
    "FailureShare",
    "Figures",
    "Sources",
    "expected_monthly",
    "figures",
    "median_ore",
    "months_left",
    "projection_factor",
]


@dataclass(frozen=True, slots=True)
class Churn:
    """Monthly gifts stopped in the 12 months before the reference date, of those exposed."""

    stopped: int
    exposed: int

    @property
    def monthly_rate(self) -> Fraction:
        if self.exposed <= 0:
            return Fraction(0)
        return min(Fraction(self.stopped, 12 * self.exposed), Fraction(1))


@dataclass(frozen=True, slots=True)
class FailureShare:
    """One channel's monthly debits in the 12 months before the reference date: those that
    finally failed, of those whose outcome is known."""

    failed: int = 0
    decided: int = 0

    @property
    def share(self) -> Fraction:
        if self.decided <= 0:
            return Fraction(0)
        return min(Fraction(max(self.failed, 0), self.decided), Fraction(1))


NO_FAILURES = FailureShare()


@dataclass(frozen=True, slots=True)
class Sources:
    """What the ledger says about one network (or the unrestricted money) for a year, in öre."""

    need_ore: int = 0
    sida_ore: int = 0
    booked_ore: int = 0  # 3993 net with the network, allocation entries left out
    allocated_ore: int = 0  # allocation entries' net (3993 credit minus debit) to it
    committed_ore: int = 0
    monthly_ore: int = 0  # sum of its active monthly gifts
    monthly_givers: int = 0
    autogiro_monthly_ore: int = 0  # the part of monthly_ore given by Autogiro mandates
    swish_monthly_ore: int = 0  # the part of monthly_ore given by recurring Swish


@dataclass(frozen=True, slots=True)
class Figures:
    """The funding-gap figures of one network, the unrestricted money, or the total, in öre."""

    need_ore: int
    sida_ore: int
    booked_ore: int
    allocated_ore: int
    received_ore: int  # booked + allocated
    committed_ore: int
    projected_ore: int
    gap_ore: int  # never negative
    surplus_ore: int  # never negative; at most one of gap and surplus is above zero
    coverage_bp: int | None  # hundredths of a percent; None without a need
    pace_ore: int | None  # a month, to close the gap; None with no month left
    donors_needed: int | None  # more monthly givers at the median gift; None with no month left
    monthly_ore: int
    monthly_givers: int

    @property
    def covered_ore(self) -> int:
        return self.received_ore + self.committed_ore + self.projected_ore


def months_left(year: int, as_of: date) -> int:
    """Whole calendar months of ``year`` after the month of ``as_of`` (12 before it, 0 after)."""
    if as_of.year < year:
        return 12
    if as_of.year > year:
        return 0
    return 12 - as_of.month


def projection_factor(churn: Churn, months: int) -> Fraction:
    """Σ_{m=1..months} (1 − r)^m: how many of a monthly gift's payments to expect."""
    keep = 1 - churn.monthly_rate
    total, term = Fraction(0), Fraction(1)
    for _ in range(months):
        term *= keep
        total += term
    return total


def median_ore(counted: list[tuple[int, int]]) -> int | None:
    """The median of amounts given as (amount, how many), in whole öre (the lower öre when
    the two middle amounts differ by an odd öre)."""
    n = sum(count for _, count in counted)
    if n == 0:
        return None
    wanted = ((n - 1) // 2, n // 2)  # the middle one, or the middle two
    found: list[int] = []
    seen = 0
    for amount, count in sorted(counted):
        while len(found) < 2 and wanted[len(found)] < seen + count:
            found.append(amount)
        seen += count
    return (found[0] + found[1]) // 2


def expected_monthly(
    src: Sources, autogiro: FailureShare = NO_FAILURES, swish: FailureShare = NO_FAILURES
) -> Fraction:
    """What a month of the active monthly gifts is expected to bring, exactly: Autogiro's and
    recurring Swish's parts reduced by their channel's failed share, the rest whole."""
    return (
        Fraction(src.monthly_ore)
        - src.autogiro_monthly_ore * autogiro.share
        - src.swish_monthly_ore * swish.share
    )


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def figures(
    src: Sources,
    *,
    months: int,
    factor: Fraction,
    median_gift_ore: int,
    projected_ore: int | None,
    autogiro_failures: FailureShare = NO_FAILURES,
    swish_failures: FailureShare = NO_FAILURES,
) -> Figures:
    """The figures from the sources. ``projected_ore`` given (a total summed from its rows)
    wins over the projection from ``src.monthly_ore`` (less the channels' failed shares)."""
    if projected_ore is None:
        paying = expected_monthly(src, autogiro_failures, swish_failures) * factor
        projected_ore = paying.numerator // paying.denominator
    received = src.booked_ore + src.allocated_ore
    covered = received + src.committed_ore + projected_ore
    rest = src.need_ore - covered
    gap, surplus = max(rest, 0), max(-rest, 0)
    coverage = (covered * 10_000) // src.need_ore if src.need_ore > 0 else None
    pace: int | None
    donors: int | None
    if gap == 0:
        pace, donors = 0, 0
    elif months == 0:
        pace = donors = None
    else:
        pace = _ceil_div(gap, months)
        donors = _ceil_div(gap, max(median_gift_ore, 1) * months)
    return Figures(
        need_ore=src.need_ore,
        sida_ore=src.sida_ore,
        booked_ore=src.booked_ore,
        allocated_ore=src.allocated_ore,
        received_ore=received,
        committed_ore=src.committed_ore,
        projected_ore=projected_ore,
        gap_ore=gap,
        surplus_ore=surplus,
        coverage_bp=coverage,
        pace_ore=pace,
        donors_needed=donors,
        monthly_ore=src.monthly_ore,
        monthly_givers=src.monthly_givers,
    )
