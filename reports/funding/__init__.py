"""The funding gap, computed once: per network and year, the unrestricted money, and the total.

``funding_gap(conn, year)`` returns a ``FundingGap`` of plain frozen records; the JSON API, the
CSV, the CLI, the dashboard and its PDF all render that one record (``reports.funding.render``
for JSON and CSV). The formula is in ``reports.funding.model``; the reads in
``reports.funding.sources``.

The total is the networks' rows plus the unrestricted row (income not given to a network and
not yet allocated, unrestricted pledges, monthly gifts "where it is needed most"); its gap is
worked out from its own sums, so one network's surplus and unallocated money lower it.
Gift statuses are as they stand now; the reference date ``as_of`` sets the months left and the
12-month window of cancellations and of failed Autogiro and recurring-Swish debits, so a test
(or last month's board report) can pin it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from ledger.errors import DimensionNotFound
from reports.funding import sources
from reports.funding.kept import kept
from reports.funding.model import (
    NO_FAILURES,
    Churn,
    FailureShare,
    Figures,
    Sources,
    figures,
    median_ore,
    months_left,
    projection_factor,
)

__all__ = [
    "DEFAULT_MONTHLY_GIFT_ORE",
    "Churn",
    "FailureShare",
    "Figures",
    "FundingGap",
    "NetworkGap",
    "funding_gap",
    "funding_gaps",
    "monthly_gift_fallback",
    "today_in_stockholm",
]

# The median monthly gift to count donors in when no monthly gift is active yet
# (setting KASSAN_FUNDING_GAP_MONTHLY_GIFT, in kronor).
DEFAULT_MONTHLY_GIFT_ORE = 200_00


def monthly_gift_fallback(config: Mapping[str, Any]) -> int:
    """The monthly gift (öre) to count donors in when no monthly gift is active yet, from the
    app's settings (``FUNDING_GAP_MONTHLY_GIFT_ORE``, see ``ledger.config``): the one reading
    the donor page, the dashboard, the API and the CLI share, so all say the same figures."""
    return int(config.get("FUNDING_GAP_MONTHLY_GIFT_ORE", DEFAULT_MONTHLY_GIFT_ORE))


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NetworkGap:
    network_id: int
    slug: str
    name: str
    status: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class FundingGap:
    year: int
    as_of: date
    months_left: int
    currency: str
    churn: Churn
    median_gift_ore: int
    median_is_fallback: bool  # no active monthly gift: the setting's amount stands in
    network: str | None  # the one network asked for, or None for all
    networks: tuple[NetworkGap, ...]
    unrestricted: Figures | None  # None when one network was asked for
    total: Figures
    autogiro_failures: FailureShare = NO_FAILURES  # debits of the last 12 months
    swish_failures: FailureShare = NO_FAILURES

    @property
    def failures(self) -> FailureShare:
        """Both channels' debits together, for the sentence leadership reads."""
        a, s = self.autogiro_failures, self.swish_failures
        return FailureShare(failed=a.failed + s.failed, decided=a.decided + s.decided)


def today_in_stockholm() -> date:
    return datetime.now(sources.STOCKHOLM).date()


def _afresh(conn: Connection, key: Hashable, read: Callable[[], T]) -> T:
    """``kept``'s stand-in when nothing is to be kept: read now."""
    return read()


def _sum(rows: list[Sources]) -> Sources:
    return Sources(**{f.name: sum(getattr(r, f.name) for r in rows) for f in fields(Sources)})


def funding_gap(
    conn: Connection,
    year: int,
    *,
    network: str | None = None,
    as_of: date | None = None,
    fallback_gift_ore: int = DEFAULT_MONTHLY_GIFT_ORE,
    keep: bool = False,
) -> FundingGap:
    """The funding gap for ``year`` as of ``as_of`` (default: today in Stockholm).

    ``network`` (a slug) narrows it to one network, whose figures are then also the total;
    an unknown slug raises ``DimensionNotFound``. ``keep``: see ``funding_gaps``.
    """
    (gap,) = funding_gaps(
        conn,
        (year,),
        network=network,
        as_of=as_of,
        fallback_gift_ore=fallback_gift_ore,
        keep=keep,
    )
    return gap


def funding_gaps(
    conn: Connection,
    years: tuple[int, ...],
    *,
    network: str | None = None,
    as_of: date | None = None,
    fallback_gift_ore: int = DEFAULT_MONTHLY_GIFT_ORE,
    keep: bool = False,
) -> tuple[FundingGap, ...]:
    """``funding_gap`` for each of ``years`` as of one day: what depends on the day and not on
    the year (the networks, the monthly gifts paying now, the failed debits) is read once (the
    dashboard in December shows this year and the next).

    ``keep=True``: the answer is kept per process (``reports.funding.kept``) while the ledger
    head and the change mark of migrations 0031 and 0032 stand, and within it the monthly
    gifts and the commitments, which change without a posting, while the mark stands. Only for a
    connection that has written nothing in its transaction (a page's or the API's read): a
    change of one's own, not yet committed, would be kept under a version others can reach
    (SQLite) or would not raise the version before the commit (PostgreSQL)."""
    as_of = as_of or today_in_stockholm()
    if keep:
        key = ("funding_gaps", years, network, as_of, fallback_gift_ore)
        return kept(
            conn,
            key,
            lambda: _funding_gaps(conn, years, network, as_of, fallback_gift_ore, kept),
            head=True,
        )
    return _funding_gaps(conn, years, network, as_of, fallback_gift_ore, _afresh)


def _funding_gaps(
    conn: Connection,
    years: tuple[int, ...],
    network: str | None,
    as_of: date,
    fallback_gift_ore: int,
    read: Callable[[Connection, Hashable, Callable[[], Any]], Any],
) -> tuple[FundingGap, ...]:
    every = sources.networks(conn)
    if network is not None and not any(n.slug == network for n in every):
        raise DimensionNotFound(f"no network {network!r}", "network")
    gifts = read(conn, ("monthly_gifts", as_of), lambda: sources.monthly_gifts(conn, as_of))
    autogiro_failures = sources.autogiro_failures(conn, as_of)
    swish_failures = sources.swish_failures(conn, as_of)
    return tuple(
        _gap(
            conn,
            year,
            network,
            as_of,
            fallback_gift_ore,
            every,
            gifts,
            autogiro_failures,
            swish_failures,
            read,
        )
        for year in years
    )


def _gap(
    conn: Connection,
    year: int,
    network: str | None,
    as_of: date,
    fallback_gift_ore: int,
    every: list[sources.NetworkRow],
    gifts: sources.MonthlyGifts,
    autogiro_failures: FailureShare,
    swish_failures: FailureShare,
    read: Callable[[Connection, Hashable, Callable[[], Any]], Any],
) -> FundingGap:
    budgets = sources.budgets(conn, year)
    income = sources.income(conn, year)
    allocated = sources.allocations(conn, year)
    committed = dict(read(conn, ("committed", year), lambda: sources.committed(conn, year)))
    by_channel: dict[tuple[int | None, str], int] = defaultdict(int)
    for net_id, channel, total in gifts.channels:
        by_channel[net_id, channel] += total
    monthly: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])  # [sum, givers]
    for net_id, amount, count in gifts.paying:
        monthly[net_id][0] += amount * count
        monthly[net_id][1] += count
    givers = sum(count for _, _, count in gifts.paying)
    churn = Churn(stopped=gifts.stopped, exposed=givers + gifts.stopped)
    months = months_left(year, as_of)
    factor = projection_factor(churn, months)
    median = median_ore([(amount, count) for _, amount, count in gifts.paying])
    median_gift = median if median is not None else fallback_gift_ore

    def source(key: int | None) -> Sources:
        need, sida = budgets.get(key, (0, 0)) if key is not None else (0, 0)
        alloc = allocated.get(key, 0)
        return Sources(
            need_ore=need,
            sida_ore=sida,
            booked_ore=income.get(key, 0) - alloc,
            allocated_ore=alloc,
            committed_ore=committed.get(key, 0),
            monthly_ore=monthly[key][0] if key in monthly else 0,
            monthly_givers=monthly[key][1] if key in monthly else 0,
            autogiro_monthly_ore=by_channel.get((key, sources.AUTOGIRO), 0),
            swish_monthly_ore=by_channel.get((key, sources.SWISH), 0),
        )

    def fig(src: Sources, projected: int | None = None) -> Figures:
        return figures(
            src,
            months=months,
            factor=factor,
            median_gift_ore=median_gift,
            projected_ore=projected,
            autogiro_failures=autogiro_failures,
            swish_failures=swish_failures,
        )

    rows: list[tuple[sources.NetworkRow, Sources]] = []
    for n in every:
        src = source(n.id)
        shown = n.id in budgets or any(
            (src.booked_ore, src.allocated_ore, src.committed_ore, src.monthly_ore)
        )
        if (network is None and shown) or n.slug == network:
            rows.append((n, src))
    gaps = tuple(NetworkGap(n.id, n.slug, n.name, n.status, fig(src)) for n, src in rows)
    unrestricted = None
    parts = [src for _, src in rows]
    projected = sum(g.figures.projected_ore for g in gaps)
    if network is None:
        # The unrestricted side's allocated figure is negative (what allocations took from it);
        # its booked figure is the unrestricted income before any allocation.
        free = source(None)
        unrestricted = fig(free)
        parts.append(free)
        projected += unrestricted.projected_ore
    return FundingGap(
        year=year,
        as_of=as_of,
        months_left=months,
        currency=sources.CURRENCY,
        churn=churn,
        median_gift_ore=median_gift,
        median_is_fallback=median is None,
        network=network,
        networks=gaps,
        unrestricted=unrestricted,
        total=fig(_sum(parts), projected),
        autogiro_failures=autogiro_failures,
        swish_failures=swish_failures,
    )
