"""What a pledge has received: each instalment's status and the pledge's totals (promised,
invoiced, paid, overdue), read from what the ledger holds.

A bankgiro instalment follows its own expected payment; an invoice instalment follows its
invoice's expected payment (whose amount a credit note lowers); a card instalment is paid, oldest
first, by the card gifts (series K, account 3993) booked for the pledge's contributor and network
since its start. An unpaid instalment past its due date is ``overdue``; a wholly credited invoice
leaves its instalment ``written_off``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.chart import GIFT_INCOME
from ledger.db import tables as t
from ledger.errors import PledgeNotFound
from ledger.money import Money
from ledger.statuses import PaymentStatus

__all__ = ["InstalmentView", "PledgeView", "get", "list_pledges"]

CARD_SERIES = "K"  # the Stripe bookings' series (ledger.chart.SERIES)


@dataclass(frozen=True, slots=True)
class InstalmentView:
    id: int
    seq: int
    due_date: date
    amount_ore: int
    currency: str
    invoiced_ore: int
    paid_ore: int
    status: str  # open, partly_paid, paid, overdue, written_off
    reference: str | None  # the OCR reference to pay with, if it has one
    invoice_number: int | None
    pay_by: date  # the instalment's or its invoice's due date

    @property
    def outstanding_ore(self) -> int:
        if self.status == PaymentStatus.WRITTEN_OFF:
            return 0
        return max(0, (self.invoiced_ore or self.amount_ore) - self.paid_ore)


@dataclass(frozen=True, slots=True)
class PledgeView:
    id: int
    contributor_id: int
    contributor_name: str
    network: str | None
    network_name: str | None
    amount_ore: int
    currency: str
    period: str
    start_date: date
    end_date: date | None
    instalment_count: int
    payment_way: str
    note: str | None
    created_at: datetime
    instalments: tuple[InstalmentView, ...]

    def _sum(self, name: str, *, only: str | None = None) -> Money:
        ore = sum(getattr(i, name) for i in self.instalments if only in (None, i.status))
        return Money(ore, self.currency)

    @property
    def amount(self) -> Money:
        return Money(self.amount_ore, self.currency)

    @property
    def promised(self) -> Money:
        return self._sum("amount_ore")

    @property
    def invoiced(self) -> Money:
        return self._sum("invoiced_ore")

    @property
    def paid(self) -> Money:
        return self._sum("paid_ore")

    @property
    def overdue(self) -> Money:
        return self._sum("outstanding_ore", only=PaymentStatus.OVERDUE)

    @property
    def status(self) -> str:
        states = {i.status for i in self.instalments}
        if PaymentStatus.OVERDUE in states:
            return PaymentStatus.OVERDUE
        if states <= {PaymentStatus.PAID, PaymentStatus.WRITTEN_OFF}:
            if states == {PaymentStatus.WRITTEN_OFF}:
                return PaymentStatus.WRITTEN_OFF
            return PaymentStatus.PAID
        if PaymentStatus.PARTLY_PAID in states or PaymentStatus.PAID in states:
            return PaymentStatus.PARTLY_PAID
        return PaymentStatus.OPEN


def _pledge_query() -> Any:
    p, c, n = t.pledges.c, t.contributors.c, t.networks.c
    return select(
        t.pledges,
        c.name.label("contributor_name"),
        n.slug.label("network"),
        n.name.label("network_name"),
    ).select_from(
        t.pledges.join(t.contributors, p.contributor_id == c.id).outerjoin(
            t.networks, p.network_id == n.id
        )
    )


def _card_received(conn: Connection, row: Any) -> int:
    """Net card money booked for the pledge's contributor and network since its start."""
    ln, e = t.journal_lines.c, t.journal_entries.c
    network = ln.network_id.is_(None) if row.network_id is None else ln.network_id == row.network_id
    total = conn.execute(
        select(func.coalesce(func.sum(ln.credit_ore - ln.debit_ore), 0))
        .select_from(t.journal_lines.join(t.journal_entries, e.id == ln.entry_id))
        .where(
            e.series == CARD_SERIES,
            ln.account == GIFT_INCOME,
            ln.contributor_id == row.contributor_id,
            network,
            ln.currency == row.currency,
            e.date >= row.start_date,
        )
    ).scalar()
    return max(0, int(total or 0))


def _status(amount: int, paid: int, pay_by: date, today: date, base: str | None) -> str:
    if base in (PaymentStatus.WRITTEN_OFF, PaymentStatus.CANCELLED):
        return PaymentStatus.WRITTEN_OFF
    if paid >= amount:
        return PaymentStatus.PAID
    if pay_by < today:
        return PaymentStatus.OVERDUE
    return PaymentStatus.PARTLY_PAID if paid else PaymentStatus.OPEN


def _instalments(conn: Connection, row: Any, today: date) -> tuple[InstalmentView, ...]:
    i, inv, ep = t.pledge_instalments.c, t.invoices.c, t.expected_payments.c
    rows = conn.execute(
        select(
            i.id,
            i.seq,
            i.due_date,
            i.amount_ore,
            i.currency,
            inv.number.label("invoice_number"),
            ep.status.label("ep_status"),
            ep.amount_ore.label("ep_amount"),
            ep.paid_ore.label("ep_paid"),
            ep.reference,
            ep.due_date.label("ep_due"),
        )
        .select_from(
            t.pledge_instalments.outerjoin(t.invoices, inv.pledge_instalment_id == i.id).outerjoin(
                t.expected_payments,
                ep.id == func.coalesce(i.expected_payment_id, inv.expected_payment_id),
            )
        )
        .where(i.pledge_id == row.id)
        .order_by(i.seq)
    ).all()
    card_left = _card_received(conn, row) if row.payment_way == "card" else 0
    out = []
    for r in rows:
        amount = int(r.amount_ore)
        pay_by = r.ep_due or r.due_date
        invoiced = 0
        if row.payment_way == "card":
            paid = min(amount, card_left)
            card_left -= paid
            status = _status(amount, paid, pay_by, today, None)
        elif r.ep_status is None:  # an invoice instalment not invoiced yet
            paid, status = 0, PaymentStatus.OPEN
        else:
            paid = int(r.ep_paid)
            if r.invoice_number is not None:
                invoiced = 0 if r.ep_status == PaymentStatus.CANCELLED else int(r.ep_amount)
            due = invoiced if r.invoice_number is not None else amount
            status = _status(due, paid, pay_by, today, r.ep_status)
        out.append(
            InstalmentView(
                id=r.id,
                seq=r.seq,
                due_date=r.due_date,
                amount_ore=amount,
                currency=r.currency,
                invoiced_ore=invoiced,
                paid_ore=paid,
                status=status,
                reference=r.reference,
                invoice_number=r.invoice_number,
                pay_by=pay_by,
            )
        )
    return tuple(out)


def _view(conn: Connection, row: Any, today: date) -> PledgeView:
    return PledgeView(
        id=row.id,
        contributor_id=row.contributor_id,
        contributor_name=row.contributor_name,
        network=row.network,
        network_name=row.network_name,
        amount_ore=int(row.amount_ore),
        currency=row.currency,
        period=row.period,
        start_date=row.start_date,
        end_date=row.end_date,
        instalment_count=row.instalment_count,
        payment_way=row.payment_way,
        note=row.note,
        created_at=row.created_at,
        instalments=_instalments(conn, row, today),
    )


def get(conn: Connection, pledge_id: int, *, today: date) -> PledgeView:
    row = conn.execute(_pledge_query().where(t.pledges.c.id == pledge_id)).first()
    if row is None:
        raise PledgeNotFound(f"no pledge {pledge_id}", "id")
    return _view(conn, row, today)


def list_pledges(
    conn: Connection,
    *,
    today: date,
    contributor_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[PledgeView], int]:
    """A page of pledges, newest first, and how many there are in all."""
    query = _pledge_query()
    count = select(func.count()).select_from(t.pledges)
    if contributor_id is not None:
        query = query.where(t.pledges.c.contributor_id == contributor_id)
        count = count.where(t.pledges.c.contributor_id == contributor_id)
    rows = conn.execute(query.order_by(t.pledges.c.id.desc()).limit(limit).offset(offset)).all()
    return [_view(conn, row, today) for row in rows], int(conn.execute(count).scalar() or 0)
