"""Where the funding-gap figures come from: a handful of grouped reads, none over journal lines.

Income comes from the kept balances (``account_balances``: a few rows per network and month,
however many lines the ledger holds); allocations from the lines of the year's series-A entries
(the allocation entries, a handful, found through the series/year index); commitments from open
expected payments and pledge instalments; the projection from the gifts table and the Autogiro
mandates, with the failed Autogiro debits and recurring Swish charges of the last 12 months
(``autogiro_failures``, ``swish_failures``). Amounts are SEK:
the organisation's books are kept in kronor, and a figure in another currency is left out
rather than added to kronor.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, case, exists, func, or_, select

from ledger.chart import GIFT_INCOME
from ledger.db import dialect
from ledger.db import tables as t
from ledger.services.expected import OPEN_STATUSES
from ledger.statuses import DebitStatus, GiftStatus, MandateStatus
from reports.display import swedish_key
from reports.funding.model import FailureShare

CURRENCY = "SEK"
ALLOCATION_SERIES = "A"
ALLOCATION_KIND = "allocation"  # ledger.services.allocations.SOURCE_KIND
STOCKHOLM = ZoneInfo("Europe/Stockholm")

Key = int | None  # network id; None: unrestricted


@dataclass(frozen=True, slots=True)
class NetworkRow:
    id: int
    slug: str
    name: str
    status: str


def networks(conn: Connection) -> list[NetworkRow]:
    n = t.networks.c
    rows = conn.execute(select(n.id, n.slug, n.name, n.status))
    found = [NetworkRow(r.id, r.slug, r.name, r.status) for r in rows]
    return sorted(found, key=lambda row: swedish_key(row.name))  # pages, charts, CSV and PDF


def budgets(conn: Connection, year: int) -> dict[int, tuple[int, int]]:
    """(need, sida) per network id for the year."""
    b = t.network_budgets.c
    rows = conn.execute(select(b.network_id, b.need_ore, b.sida_ore).where(b.year == year))
    return {r.network_id: (int(r.need_ore), int(r.sida_ore)) for r in rows}


def income(conn: Connection, year: int) -> dict[Key, int]:
    """3993 credits minus debits per network for the year, from the kept balances."""
    b = t.account_balances.c
    rows = conn.execute(
        select(b.network_id, func.sum(b.credit_ore) - func.sum(b.debit_ore))
        .where(b.account == GIFT_INCOME, b.fiscal_year == year, b.currency == CURRENCY)
        .group_by(b.network_id)
    )
    return {(r[0] or None): int(r[1]) for r in rows}


def allocations(conn: Connection, year: int) -> dict[Key, int]:
    """Net 3993 credit per network on the year's allocation entries (series A, kind allocation).

    The unrestricted side comes out negative: what allocations took from it. Two indexed
    reads (the series/year/number key, then the lines' primary key) rather than one join,
    which a planner may turn into a scan of every line."""
    e, ln = t.journal_entries.c, t.journal_lines.c
    undone = t.journal_entries.alias("undone")
    ids = list(
        conn.scalars(
            select(e.id).where(
                e.series == ALLOCATION_SERIES,
                e.fiscal_year == year,
                # series A also holds the finance desk's matches out of suspense, which are
                # income booked to the network, not allocations of unrestricted money; the
                # reversal of an allocation is one (it gives the money back)
                or_(
                    e.source_kind == ALLOCATION_KIND,
                    e.reverses_id.in_(
                        select(undone.c.id).where(undone.c.source_kind == ALLOCATION_KIND)
                    ),
                ),
            )
        )
    )
    out: dict[Key, int] = defaultdict(int)
    for part in dialect.chunks(ids):
        rows = conn.execute(
            select(ln.network_id, func.sum(ln.credit_ore) - func.sum(ln.debit_ore))
            .where(
                ln.entry_id.in_(part),
                ln.account == GIFT_INCOME,
                ln.currency == CURRENCY,
            )
            .group_by(ln.network_id)
        )
        for r in rows:
            out[r[0]] += int(r[1])
    return dict(out)


def committed(conn: Connection, year: int) -> dict[Key, int]:
    """Promised money not yet booked as income, due in the year, per network.

    * open expected payments (not repeating) with a due date in the year: what is still due.
      Invoices are left out: an issued invoice is income in 3993 from its issue date, so its
      open amount is already in ``received``;
    * pledge instalments paid by invoice that have no invoice yet: the whole instalment.

    Card pledge instalments are paid by the donor's card subscription, which the projection
    counts already.
    """
    first, last = date(year, 1, 1), date(year, 12, 31)
    out: dict[Key, int] = defaultdict(int)
    e = t.expected_payments.c
    rows = conn.execute(
        select(e.network_id, func.sum(e.amount_ore - e.paid_ore))
        .where(
            e.status.in_(OPEN_STATUSES),
            e.repeating.is_(False),
            e.amount_ore.is_not(None),
            e.kind != "invoice",
            e.currency == CURRENCY,
            e.due_date >= first,
            e.due_date <= last,
        )
        .group_by(e.network_id)
    )
    for r in rows:
        out[r[0]] += int(r[1])
    i, p, inv = t.pledge_instalments.c, t.pledges.c, t.invoices.c
    rows = conn.execute(
        select(p.network_id, func.sum(i.amount_ore))
        .select_from(t.pledge_instalments.join(t.pledges, p.id == i.pledge_id))
        .where(
            p.payment_way == "invoice",
            i.expected_payment_id.is_(None),
            i.currency == CURRENCY,
            i.due_date >= first,
            i.due_date <= last,
            ~exists().where(inv.pledge_instalment_id == i.id),
        )
        .group_by(p.network_id)
    )
    for r in rows:
        out[r[0]] += int(r[1])
    return dict(out)


def _paid_standing_orders() -> Any:
    """Gifts whose monthly reference has received money: one uncorrelated subquery, which
    both databases run once (a correlated EXISTS would scan the payments once per gift)."""
    e = t.expected_payments.c
    return select(e.gift_id).where(e.kind == "monthly_gift", e.paid_ore > 0, e.gift_id.is_not(None))


def _started() -> Any:
    """A monthly gift that ever paid: a Stripe subscription, or money on its reference."""
    g = t.gifts.c
    return or_(g.stripe_subscription_id.is_not(None), g.id.in_(_paid_standing_orders()))


@dataclass(frozen=True, slots=True)
class MonthlyGifts:
    # (network id, amount, how many) of the gifts paying now
    paying: tuple[tuple[Key, int, int], ...]
    stopped: int  # gifts that had paid and were stopped in the 12 months up to the date
    # (network id, channel, monthly sum) of the paying Autogiro and recurring-Swish givers,
    # a part of ``paying``: their debits can fail
    channels: tuple[tuple[Key, str, int], ...] = ()


def monthly_gifts(conn: Connection, as_of: date) -> MonthlyGifts:
    """The monthly gifts paying now, counted per network and amount, and those stopped in the
    12 months up to ``as_of``: one grouped scan of the gifts (amounts cluster on a few round
    sums, so few rows come back however many givers there are)."""
    g = t.gifts.c
    start, end = window(as_of)
    # A monthly gift still paying: card subscriptions the Stripe webhooks keep active; a
    # bankgiro standing order stays pending on the gift and counts once its money has come.
    paying = or_(
        g.status == GiftStatus.ACTIVE,
        and_(
            g.channel != "card", g.status == GiftStatus.PENDING, g.id.in_(_paid_standing_orders())
        ),
    )
    stopped = and_(
        g.status == GiftStatus.CANCELLED, g.updated_at >= start, g.updated_at < end, _started()
    )
    is_paying = case((paying, 1), else_=0).label("paying")
    rows = conn.execute(
        select(g.network_id, g.amount_ore, is_paying, func.count())
        .where(
            g.frequency == "monthly",
            g.currency == CURRENCY,
            g.channel != AUTOGIRO,  # its mandate is the giver, counted below, once
            or_(paying, stopped),
        )
        .group_by(g.network_id, g.amount_ore, is_paying)
    )
    paying_now: list[tuple[Key, int, int]] = []
    gone = 0
    for net_id, amount, now_paying, count in rows:
        if now_paying:
            paying_now.append((net_id, int(amount), int(count)))
        else:
            gone += int(count)
    channels: dict[tuple[Key, str], int] = defaultdict(int)
    for net_id, amount, now_paying, count in autogiro_mandates(conn, start, end):
        if now_paying:
            paying_now.append((net_id, int(amount), int(count)))
            channels[net_id, AUTOGIRO] += int(amount) * int(count)
        else:
            gone += int(count)
    swish = conn.execute(
        select(g.network_id, func.sum(g.amount_ore))
        .where(g.frequency == "monthly", g.currency == CURRENCY, g.channel == SWISH, paying)
        .group_by(g.network_id)
    )
    for net_id, total in swish:
        channels[net_id, SWISH] += int(total)
    return MonthlyGifts(
        paying=tuple(paying_now),
        stopped=gone,
        channels=tuple((net_id, ch, total) for (net_id, ch), total in channels.items()),
    )


AUTOGIRO = "autogiro"  # gifts.channel of a monthly gift given by an Autogiro mandate
SWISH = "swish"  # gifts.channel of a monthly gift charged through a recurring Swish consent


def ever_active_mandates() -> Any:
    """Autogiro mandates that were ever active (approved by the payer's bank): a mandate
    refused, or cancelled before it was approved, never gave."""
    e = t.autogiro_mandate_events.c
    return select(e.payer_number).where(e.status == MandateStatus.ACTIVE)


def autogiro_mandates(conn: Connection, start: datetime, end: datetime) -> list[Any]:
    """Autogiro's monthly givers, as (network id, amount, paying now, how many): the active
    mandates, and those cancelled between ``start`` and ``end`` after they had been active."""
    m = t.autogiro_mandates.c
    paying = m.status == MandateStatus.ACTIVE
    stopped = and_(
        m.status == MandateStatus.CANCELLED,
        m.updated_at >= start,
        m.updated_at < end,
        m.payer_number.in_(ever_active_mandates()),
    )
    is_paying = case((paying, 1), else_=0).label("paying")
    return list(
        conn.execute(
            select(m.network_id, m.amount_ore, is_paying, func.count())
            .where(m.currency == CURRENCY, or_(paying, stopped))
            .group_by(m.network_id, m.amount_ore, is_paying)
        )
    )


def window(as_of: date) -> tuple[datetime, datetime]:
    """The 12 months before ``as_of`` and the day itself, Stockholm days, as UTC instants."""
    first = as_of.replace(year=as_of.year - 1) if (as_of.month, as_of.day) != (2, 29) else None
    first = (first or as_of.replace(year=as_of.year - 1, day=28)) + timedelta(days=1)
    start = datetime.combine(first, time(), STOCKHOLM).astimezone(UTC)
    end = datetime.combine(as_of + timedelta(days=1), time(), STOCKHOLM).astimezone(UTC)
    return start, end


# An Autogiro debit's final outcome (as the Autogiro desk counts them, reports.autogiro): the
# money moved (a later refund does not make the debit fail), or it finally did not.
DEBIT_FAILED = (DebitStatus.FAILED, DebitStatus.REJECTED)
DEBIT_DECIDED = (DebitStatus.APPROVED, DebitStatus.REFUNDED, *DEBIT_FAILED)
# A recurring Swish payment's final statuses (webhooks.swish.charge_results); NEW and CREATED
# are still open.
SWISH_PAID = "PAID"
SWISH_FINAL = (SWISH_PAID, "DECLINED", "ERROR")


def months_back(as_of: date) -> tuple[str, str]:
    """The 12 calendar months ending with the month of ``as_of``, as ``YYYY-MM`` bounds."""
    back = as_of.year * 12 + as_of.month - 1 - 11
    return f"{back // 12:04d}-{back % 12 + 1:02d}", f"{as_of.year:04d}-{as_of.month:02d}"


def autogiro_failures(conn: Connection, as_of: date) -> FailureShare:
    """Autogiro debit orders (one per mandate and month) of the 12 months up to ``as_of``
    whose final outcome is failed, of all whose outcome is known."""
    d = t.autogiro_debits.c
    first, last = months_back(as_of)
    failed = func.sum(case((d.status.in_(DEBIT_FAILED), 1), else_=0))
    row = conn.execute(
        select(func.count(), func.coalesce(failed, 0)).where(
            d.status.in_(DEBIT_DECIDED), d.month >= first, d.month <= last
        )
    ).one()
    return FailureShare(failed=int(row[1]), decided=int(row[0]))


def swish_failures(conn: Connection, as_of: date) -> FailureShare:
    """Recurring Swish (consent, month) pairs of the 12 months up to ``as_of`` with no PAID
    attempt and none still open (declined or failed, retry included), of all decided: paid, or
    with every attempt final. One grouped subquery, counted in the database."""
    p = t.swish_recurring_payments.c
    first, last = months_back(as_of)
    paid = func.max(case((p.status == SWISH_PAID, 1), else_=0))
    still_open = func.max(case((p.status.in_(SWISH_FINAL), 0), else_=1))
    months = (
        select(paid.label("paid"))
        .where(p.month >= first, p.month <= last)
        .group_by(p.consent_id, p.month)
        .having(or_(paid == 1, still_open == 0))
        .subquery()
    )
    row = conn.execute(
        select(func.count(), func.coalesce(func.sum(1 - months.c.paid), 0)).select_from(months)
    ).one()
    return FailureShare(failed=int(row[1]), decided=int(row[0]))
