"""The leadership dashboard's figures beside the funding gap, data first: plain frozen records.

* Cumulative income per month, this year and last, against the straight-line pace to the need:
  from the kept balances (``account_balances``, account 3993), never from journal lines.
* Who gives and how: 3993 on the year's entries, grouped once by voucher series (the channel:
  K card, S Swish, B bankgiro/bank, F invoice, A matched at the finance desk, M manual), by the
  line's contributor kind (person, organisation, unknown) and by the size of the gift (a credit
  line's amount, in bands). Allocation entries (source kind ``allocation``) move money between
  networks and are no gifts, so they are left out. Refunds and disputes (3993 debits) lower the
  channel and kind sums; the size bands count credit lines only.
* Monthly givers: paying now as the funding gap counts them; started and stopped in the year
  from the gifts table.
* Organisations that gave last year and not yet this year, with contact details.
* Workplace collections per network and the clubs that ran them (``reports.collections_report``).

Who gives and the follow-up list are sums over journal lines, so they are kept tallies
(``reports.tally``: tables filled at migration and caught up by the dashboard view); a read
goes through the kept sums and only the lines booked since the tallies' mark. Every figure
keeps what ``/ledger`` needs to list the entries behind it (``drill``: its filters). HTML,
the board PDF and the charts render one ``Dashboard``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, and_, case, func, or_, select

from ledger.chart import GIFT_INCOME
from ledger.db import tables as t
from ledger.statuses import GiftStatus, MandateStatus
from reports.collections_report import CollectionsReport, collections_report
from reports.funding import FundingGap, funding_gaps, today_in_stockholm
from reports.funding.kept import kept
from reports.funding.model import months_left
from reports.funding.sources import AUTOGIRO, CURRENCY, ever_active_mandates, window
from reports.tally import BANDS, giving_sums, organisation_sums

__all__ = [
    "BANDS",
    "CHANNELS",
    "Dashboard",
    "GiftBand",
    "Lapsed",
    "MonthPoint",
    "MonthlyGivers",
    "Share",
    "build",
    "cumulative_income",
    "giving",
    "lapsed_organisations",
]

# Voucher series -> the channel the money came through (ledger.chart.SERIES).
CHANNELS: dict[str, str] = {
    "K": "Kort",
    "S": "Swish",
    "B": "Bankgiro och bank",
    "F": "Faktura",
    "A": "Matchat i avstämningen",
    "M": "Manuellt bokfört",
}
KINDS: dict[str, str] = {"person": "Privatpersoner", "organisation": "Organisationer"}
UNKNOWN_KIND = "okand"


@dataclass(frozen=True, slots=True)
class MonthPoint:
    month: int  # 1-12
    this_year_ore: int  # cumulative through the month
    last_year_ore: int
    pace_ore: int  # the need × month / 12, rounded down


@dataclass(frozen=True, slots=True)
class Share:
    """One slice of the year's income: a channel or a kind of giver."""

    key: str
    label: str
    net_ore: int  # 3993 credits minus debits
    gifts: int  # credit lines
    drill: dict[str, str]


@dataclass(frozen=True, slots=True)
class GiftBand:
    label: str
    gifts: int
    total_ore: int


@dataclass(frozen=True, slots=True)
class Lapsed:
    """An organisation that gave last year and has given nothing yet this year."""

    contributor_id: int
    name: str
    organisation_number: str | None
    contact_person: str | None
    email: str | None
    city: str | None
    last_year_ore: int


@dataclass(frozen=True, slots=True)
class MonthlyGivers:
    paying: int
    started: int  # monthly gifts created in the year (Stockholm days)
    stopped: int  # stopped in the year


@dataclass(frozen=True, slots=True)
class Dashboard:
    gap: FundingGap
    network: str | None
    months: tuple[MonthPoint, ...]
    channels: tuple[Share, ...]
    kinds: tuple[Share, ...]
    bands: tuple[GiftBand, ...]
    givers: MonthlyGivers
    lapsed: tuple[Lapsed, ...]
    collections: CollectionsReport
    # In the year's last month (no whole month left to close the gap): next year's need and
    # what is already committed for it, so the board plans ahead instead of reading a dash.
    next_year: FundingGap | None = None


def _network_id(conn: Connection, slug: str | None) -> int | None:
    if slug is None:
        return None
    return conn.scalar(select(t.networks.c.id).where(t.networks.c.slug == slug))


def cumulative_income(
    conn: Connection, year: int, need_ore: int, network_id: int | None
) -> tuple[MonthPoint, ...]:
    """3993 net per month of ``year`` and the year before, summed up month by month."""
    b = t.account_balances.c
    query = (
        select(b.fiscal_year, b.period, func.sum(b.credit_ore) - func.sum(b.debit_ore))
        .where(
            b.account == GIFT_INCOME,
            b.fiscal_year.in_((year - 1, year)),
            b.currency == CURRENCY,
        )
        .group_by(b.fiscal_year, b.period)
    )
    if network_id is not None:
        query = query.where(b.network_id == network_id)
    per: dict[tuple[int, int], int] = {(r[0], r[1]): int(r[2]) for r in conn.execute(query)}
    points: list[MonthPoint] = []
    this = last = 0
    for month in range(1, 13):
        this += per.get((year, month), 0)
        last += per.get((year - 1, month), 0)
        points.append(MonthPoint(month, this, last, need_ore * month // 12))
    return tuple(points)


def giving(
    conn: Connection, year: int, network_id: int | None, drill: dict[str, str]
) -> tuple[tuple[Share, ...], tuple[Share, ...], tuple[GiftBand, ...]]:
    """Channel mix, persons vs organisations and gift sizes: the kept tally of the year's
    income lines (``reports.tally.giving_sums``)."""
    sums = giving_sums(conn, year, network_id)
    by_series: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_band: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (series, kind, band_no), (net, gifts, credit) in sums.items():
        for bucket, key in ((by_series, series), (by_kind, kind or UNKNOWN_KIND)):
            bucket[key][0] += net
            bucket[key][1] += gifts
        by_band[band_no][0] += gifts
        by_band[band_no][1] += credit
    channels = tuple(
        Share(s, CHANNELS.get(s, f"Serie {s}"), v[0], v[1], {**drill, "series": s})
        for s, v in sorted(by_series.items(), key=lambda kv: _order(CHANNELS, kv[0]))
    )
    kinds = tuple(
        Share(k, KINDS.get(k, "Okänd givare"), v[0], v[1], {**drill, "kind": k})
        for k, v in sorted(by_kind.items(), key=lambda kv: _order(KINDS, kv[0]))
    )
    bands = tuple(
        GiftBand(label, by_band[i][0], by_band[i][1]) for i, (_, label) in enumerate(BANDS)
    )
    return channels, kinds, bands


def _order(known: dict[str, str], key: str) -> tuple[int, str]:
    keys = list(known)
    return (keys.index(key) if key in keys else len(keys), key)


def monthly_givers(
    conn: Connection, year: int, paying: int, network_id: int | None, *, keep: bool = False
) -> MonthlyGivers:
    """``paying`` is the funding gap's count; the monthly gifts started and stopped in the year
    are counted here, both in one read of the gifts (``keep``: kept while the gifts and mandates
    stand, ``reports.funding.kept``)."""
    if keep:
        started, stopped = kept(
            conn,
            ("monthly_givers", year, network_id),
            lambda: started_and_stopped(conn, year, network_id),
        )
    else:
        started, stopped = started_and_stopped(conn, year, network_id)
    return MonthlyGivers(paying=paying, started=started, stopped=stopped)


def started_and_stopped(conn: Connection, year: int, network_id: int | None) -> tuple[int, int]:
    """Monthly gifts and Autogiro mandates started and stopped in ``year``, read afresh."""
    g = t.gifts.c
    # The year's first and last Stockholm day as UTC instants: each window ends after its day.
    start = window(date(year - 1, 12, 31))[1]
    end = window(date(year, 12, 31))[1]
    # a gift given by an Autogiro mandate is counted once, as its mandate, below
    conds = [g.frequency == "monthly", g.currency == CURRENCY, g.channel != AUTOGIRO]
    if network_id is not None:
        conds.append(g.network_id == network_id)
    started = and_(g.created_at >= start, g.created_at < end)
    stopped = and_(g.status == GiftStatus.CANCELLED, g.updated_at >= start, g.updated_at < end)
    row = conn.execute(
        select(func.sum(case((started, 1), else_=0)), func.sum(case((stopped, 1), else_=0))).where(
            *conds, or_(started, stopped)
        )
    ).one()
    # Autogiro: a mandate started when it was taken in and became active, and stopped when it
    # was cancelled after that (a refused mandate never gave).
    m = t.autogiro_mandates.c
    gave = m.payer_number.in_(ever_active_mandates())
    m_conds = [m.currency == CURRENCY, gave]
    if network_id is not None:
        m_conds.append(m.network_id == network_id)
    m_started = and_(m.created_at >= start, m.created_at < end)
    m_stopped = and_(m.status == MandateStatus.CANCELLED, m.updated_at >= start, m.updated_at < end)
    m_row = conn.execute(
        select(
            func.sum(case((m_started, 1), else_=0)), func.sum(case((m_stopped, 1), else_=0))
        ).where(*m_conds, or_(m_started, m_stopped))
    ).one()
    return (
        int(row[0] or 0) + int(m_row[0] or 0),
        int(row[1] or 0) + int(m_row[1] or 0),
    )


def lapsed_organisations(conn: Connection, year: int, network_id: int | None) -> tuple[Lapsed, ...]:
    """Organisations with gifts (3993 credits) last year and none yet this year."""
    c = t.contributors.c
    last: dict[int, int] = {}
    this: set[int] = set()
    for (cid, fy), total in organisation_sums(conn, (year - 1, year), network_id).items():
        if fy == year:
            this.add(cid)
        else:
            last[cid] = total
    wanted = sorted(set(last) - this)
    if not wanted:
        return ()
    people = conn.execute(
        select(
            c.id,
            c.name,
            c.organisation_number,
            c.contact_person,
            func.coalesce(c.invoice_email, c.email),
            c.city,
        ).where(c.id.in_(wanted))
    )
    out = [Lapsed(r[0], r[1], r[2], r[3], r[4], r[5], last[r[0]]) for r in people]
    return tuple(sorted(out, key=lambda x: (-x.last_year_ore, x.name)))


def build(
    conn: Connection,
    year: int,
    *,
    network: str | None = None,
    as_of: date | None = None,
    fallback_gift_ore: int | None = None,
    keep: bool = False,
) -> Dashboard:
    """Every figure of the dashboard for ``year`` (one network's, or all). ``keep=True`` (only
    on a connection that has written nothing in its transaction): the figures from the gifts,
    mandates and commitments come from ``reports.funding.kept`` (``funding_gaps``)."""
    extra = {} if fallback_gift_ore is None else {"fallback_gift_ore": fallback_gift_ore}
    as_of = as_of or today_in_stockholm()
    # In the year's last month the board also sees next year's gap, read in the same pass.
    last_month = as_of.year == year and months_left(year, as_of) == 0
    years = (year, year + 1) if last_month else (year,)
    gap, *later = funding_gaps(conn, years, network=network, as_of=as_of, keep=keep, **extra)
    network_id = _network_id(conn, network)
    drill = {"account": GIFT_INCOME, "year": str(year)}
    if network is not None:
        drill["network"] = network
    channels, kinds, bands = giving(conn, year, network_id, drill)
    next_year = later[0] if later else None
    return Dashboard(
        gap=gap,
        network=network,
        months=cumulative_income(conn, year, gap.total.need_ore, network_id),
        channels=channels,
        kinds=kinds,
        bands=bands,
        givers=monthly_givers(conn, year, gap.total.monthly_givers, network_id, keep=keep),
        lapsed=lapsed_organisations(conn, year, network_id),
        collections=collections_report(conn, year, network_id=network_id),
        next_year=next_year,
    )
