"""Workplace collections for leadership, data first: per network, how many collections ran in a
year, how many are open now and what they raised; and the clubs that collected this year or last
year, with what each raised per year and whom to contact.

Raised money is counted as ``ledger.services.collection_progress`` counts it, so the dashboard
and a collection's own page agree: receipts (not undone) on the collection's repeating expected
payment and on the expected payments of gifts given on its page, and card charges linked in
``collection_entries`` net of their refunds and disputes. Each gift falls in the year of its own
day (the day the bank received it, the accounting date of the card charge); a refund belongs to
the charge it undoes. It is read here in one pass over all collections, not one page at a time.

A collection *ran* in a year when it was public (``active`` or ``closed``) on some day of it:
approved on or before the year's last day and open (its end date, or the day it was closed early)
on or after the first. It also counts when money reached it in the year. ``active`` counts those
of them open now. Collections for "where it is needed most" have no network and are grouped as
"Ej öronmärkt". The money is booked to the network like any other gift, so the funding gap
already counts it in ``received``; these figures show where it came from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.db import tables as t
from ledger.services.collections import PUBLIC
from ledger.statuses import CollectionStatus
from reports.funding.sources import STOCKHOLM

__all__ = [
    "UNRESTRICTED",
    "Club",
    "CollectionLine",
    "CollectionsReport",
    "NetworkCollections",
    "collections_report",
]

UNRESTRICTED = "Ej öronmärkt"


@dataclass(frozen=True, slots=True)
class CollectionLine:
    """One collection that ran in the year or the year before, for the drill-down."""

    slug: str
    title: str
    org_name: str
    status: str
    raised_ore: int  # in the report's year
    last_year_ore: int


@dataclass(frozen=True, slots=True)
class NetworkCollections:
    network_id: int | None
    slug: str | None
    name: str
    count: int  # collections that ran in the year
    active: int  # of those, open now
    raised_ore: int  # raised in the year
    last_year_count: int
    last_year_ore: int
    collections: tuple[CollectionLine, ...]


@dataclass(frozen=True, slots=True)
class Club:
    """An organising club (soft credit: the money stays with its payers on the ledger)."""

    contributor_id: int
    name: str
    organisation_number: str
    contact_name: str  # from its latest collection: the person who ran it
    contact_email: str
    raised_ore: int  # this year
    last_year_ore: int
    collections: tuple[CollectionLine, ...]


@dataclass(frozen=True, slots=True)
class CollectionsReport:
    year: int
    networks: tuple[NetworkCollections, ...]
    total: NetworkCollections
    clubs: tuple[Club, ...]


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    slug: str
    title: str
    status: str
    network_id: int | None
    network_slug: str | None
    network_name: str | None
    contributor_id: int | None
    contributor_name: str | None
    org_name: str
    organisation_number: str
    contact_name: str
    contact_email: str
    first_day: date | None
    last_day: date


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _local_day(moment: datetime | None) -> date | None:
    """A stored instant as a Stockholm day (SQLite hands back naive UTC datetimes)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(STOCKHOLM).date()


def _collections(conn: Connection, network_id: int | None) -> list[_Row]:
    c, n, p = t.collections.c, t.networks.c, t.contributors.c
    query = (
        select(
            c.id,
            c.slug,
            c.title,
            c.status,
            c.network_id,
            n.slug.label("network_slug"),
            n.name.label("network_name"),
            c.contributor_id,
            p.name.label("contributor_name"),
            c.org_name,
            c.organisation_number,
            c.contact_name,
            c.contact_email,
            c.approved_at,
            c.closed_at,
            c.end_date,
        )
        .select_from(
            t.collections.outerjoin(t.networks, c.network_id == n.id).outerjoin(
                t.contributors, c.contributor_id == p.id
            )
        )
        .where(c.status.in_(PUBLIC))
        .order_by(c.approved_at, c.id)
    )
    if network_id is not None:
        query = query.where(c.network_id == network_id)
    out: list[_Row] = []
    for r in conn.execute(query):
        closed = _local_day(r.closed_at)
        last = min(_day(r.end_date), closed) if closed else _day(r.end_date)
        out.append(
            _Row(
                r.id,
                r.slug,
                r.title,
                r.status,
                r.network_id,
                r.network_slug,
                r.network_name,
                r.contributor_id,
                r.contributor_name,
                r.org_name,
                r.organisation_number,
                r.contact_name,
                r.contact_email,
                _local_day(r.approved_at),
                last,
            )
        )
    return out


def _bank(conn: Connection, first: date, last: date) -> list[tuple[int, int, date]]:
    """(collection, öre, day) per receipt in the window, as ``collection_progress._bank``."""
    r, e, g, c = (
        t.expected_payment_receipts.c,
        t.expected_payments.c,
        t.gifts.c,
        t.collections.c,
    )
    owner = func.coalesce(c.id, g.collection_id)
    rows = conn.execute(
        select(owner.label("cid"), (r.amount_ore - r.surplus_ore).label("ore"), r.received_on)
        .select_from(
            t.expected_payment_receipts.join(t.expected_payments, r.expected_payment_id == e.id)
            .outerjoin(t.gifts, e.gift_id == g.id)
            .outerjoin(t.collections, c.expected_payment_id == e.id)
        )
        .where(
            r.reversal_entry_id.is_(None),
            r.amount_ore > r.surplus_ore,
            owner.is_not(None),
            r.received_on >= first,
            r.received_on <= last,
        )
    )
    return [(int(row.cid), int(row.ore), _day(row.received_on)) for row in rows]


def _card(conn: Connection, first: date, last: date) -> list[tuple[int, int, date]]:
    """(collection, öre, day) per card charge booked in the window, net of its refunds and
    disputes whenever they came, as ``collection_progress._card``."""
    ce, j = t.collection_entries.c, t.journal_entries.c
    undone = select(j.reverses_id).where(j.reverses_id.is_not(None))
    rows = conn.execute(
        select(ce.collection_id, ce.entry_id, ce.of_entry_id, ce.kind, ce.amount_ore, ce.booked_on)
        # follow-ups come after their charge, so none of a charge in the window is earlier
        .where(ce.booked_on >= first, ce.entry_id.not_in(undone))
    )
    net: dict[int, int] = defaultdict(int)
    root_of: dict[int, tuple[int, date]] = {}
    for row in rows:
        root = int(row.of_entry_id or row.entry_id)
        net[root] += int(row.amount_ore) if row.kind == "gift" else -int(row.amount_ore)
        if row.of_entry_id is None:
            root_of[root] = (int(row.collection_id), _day(row.booked_on))
    return [
        (cid, net[root], day)
        for root, (cid, day) in root_of.items()
        if net[root] > 0 and day <= last
    ]


def _line(row: _Row, raised: dict[tuple[int, int], int], year: int) -> CollectionLine:
    return CollectionLine(
        row.slug,
        row.title,
        row.org_name,
        row.status,
        raised.get((row.id, year), 0),
        raised.get((row.id, year - 1), 0),
    )


def _ran(row: _Row, year: int) -> bool:
    return (
        row.first_day is not None
        and row.first_day <= date(year, 12, 31)
        and row.last_day >= date(year, 1, 1)
    )


def collections_report(
    conn: Connection, year: int, *, network_id: int | None = None
) -> CollectionsReport:
    """Collections per network for ``year`` (with the year before beside it), and the clubs
    that collected in either year; one network's only when ``network_id`` is given."""
    rows = _collections(conn, network_id)
    known = {row.id for row in rows}
    first, last = date(year - 1, 1, 1), date(year, 12, 31)
    raised: dict[tuple[int, int], int] = defaultdict(int)
    for cid, ore, day in _bank(conn, first, last) + _card(conn, first, last):
        if cid in known:
            raised[(cid, day.year)] += ore

    def counted(row: _Row, y: int) -> bool:
        return _ran(row, y) or raised.get((row.id, y), 0) > 0

    groups: dict[int | None, list[_Row]] = defaultdict(list)
    for row in rows:
        if counted(row, year) or counted(row, year - 1):
            groups[row.network_id].append(row)
    networks = tuple(
        sorted(
            (_network(members, raised, year, counted) for members in groups.values()),
            key=lambda n: (n.network_id is None, n.name.casefold()),
        )
    )
    everyone = [row for members in groups.values() for row in members]
    total = _network(everyone, raised, year, counted, name="Totalt")
    return CollectionsReport(year, networks, total, _clubs(everyone, raised, year))


def _network(
    members: list[_Row],
    raised: dict[tuple[int, int], int],
    year: int,
    counted: Callable[[_Row, int], bool],
    *,
    name: str | None = None,
) -> NetworkCollections:
    this = [row for row in members if counted(row, year)]
    before = [row for row in members if counted(row, year - 1)]
    head = members[0] if members and name is None else None
    return NetworkCollections(
        network_id=head.network_id if head else None,
        slug=head.network_slug if head else None,
        name=name or (head.network_name if head and head.network_name else UNRESTRICTED),
        count=len(this),
        active=sum(1 for row in this if row.status == CollectionStatus.ACTIVE),
        raised_ore=sum(raised.get((row.id, year), 0) for row in members),
        last_year_count=len(before),
        last_year_ore=sum(raised.get((row.id, year - 1), 0) for row in members),
        collections=tuple(_line(row, raised, year) for row in members),
    )


def _clubs(members: list[_Row], raised: dict[tuple[int, int], int], year: int) -> tuple[Club, ...]:
    by_club: dict[int, list[_Row]] = defaultdict(list)
    for row in members:
        if row.contributor_id is not None:  # every approved collection has its organiser
            by_club[row.contributor_id].append(row)
    clubs = []
    for cid, own in by_club.items():
        latest = own[-1]  # rows come in order of approval
        clubs.append(
            Club(
                contributor_id=cid,
                name=latest.contributor_name or latest.org_name,
                organisation_number=latest.organisation_number,
                contact_name=latest.contact_name,
                contact_email=latest.contact_email,
                raised_ore=sum(raised.get((row.id, year), 0) for row in own),
                last_year_ore=sum(raised.get((row.id, year - 1), 0) for row in own),
                collections=tuple(_line(row, raised, year) for row in reversed(own)),
            )
        )
    return tuple(sorted(clubs, key=lambda c: (-c.raised_ore, -c.last_year_ore, c.name)))
