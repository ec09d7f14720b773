"""Reading invoices and credit notes: by number, by id, by pledge instalment, and a page of them,
each with what was credited and paid."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from ledger.db import tables as t
from ledger.errors import InvoiceNotFound
from ledger.services.invoices.records import Invoice, InvoiceLine, Recipient


def select_invoices() -> Any:
    """Invoices with network, reference, what was paid and what their credit notes took off."""
    i, ep, n = t.invoices.c, t.expected_payments.c, t.networks.c
    orig, cn = t.invoices.alias("orig"), t.invoices.alias("cn")
    credited = (
        select(func.coalesce(func.sum(cn.c.total_ore), 0))
        .where(cn.c.credits_invoice_id == i.id)
        .scalar_subquery()
    )
    return select(
        t.invoices,
        orig.c.number.label("credits_number"),
        n.slug.label("network"),
        n.name.label("network_name"),
        ep.reference,
        ep.status.label("expected_status"),
        ep.paid_ore,
        credited.label("credited_ore"),
    ).select_from(
        t.invoices.outerjoin(orig, orig.c.id == i.credits_invoice_id)
        .outerjoin(t.networks, n.id == i.network_id)
        .outerjoin(t.expected_payments, ep.id == i.expected_payment_id)
    )


def from_row(conn: Connection, row: Any) -> Invoice:
    """The record of a row read with ``select_invoices``, with its lines."""
    ln = t.invoice_lines.c
    lines = conn.execute(
        select(ln.description, ln.amount_ore).where(ln.invoice_id == row.id).order_by(ln.line_no)
    ).all()
    return Invoice(
        id=row.id,
        number=row.number,
        kind=row.kind,
        credits_number=row.credits_number,
        contributor_id=row.contributor_id,
        network=row.network,
        network_name=row.network_name,
        issue_date=row.issue_date,
        due_date=row.due_date,
        currency=row.currency,
        total_ore=int(row.total_ore),
        credited_ore=int(row.credited_ore or 0),
        paid_ore=int(row.paid_ore or 0),
        reference=row.reference,
        expected_status=row.expected_status,
        entry_id=int(row.entry_id),
        pledge_instalment_id=row.pledge_instalment_id,
        recipient=Recipient(
            name=row.recipient_name,
            org_number=row.recipient_org_number,
            contact=row.recipient_contact,
            address=tuple((row.recipient_address or "").splitlines()),
            email=row.recipient_email,
        ),
        sent_at=row.sent_at,
        lines=tuple(InvoiceLine(d, int(a)) for d, a in lines),
    )


def get_by_id(conn: Connection, invoice_id: int) -> Invoice:
    """The invoice or credit note with this id (it must exist)."""
    return from_row(
        conn, conn.execute(select_invoices().where(t.invoices.c.id == invoice_id)).one()
    )


def get(conn: Connection, number: int) -> Invoice:
    row = conn.execute(select_invoices().where(t.invoices.c.number == number)).first()
    if row is None:
        raise InvoiceNotFound(f"no invoice or credit note {number}", "number")
    return from_row(conn, row)


def by_instalment(conn: Connection, instalment_id: int) -> Invoice | None:
    row = conn.execute(
        select_invoices().where(t.invoices.c.pledge_instalment_id == instalment_id)
    ).first()
    return None if row is None else from_row(conn, row)


def list_invoices(
    conn: Connection, *, contributor_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Invoice], int]:
    """A page of invoices and credit notes, newest number first, and how many in all."""
    query, count = select_invoices(), select(func.count()).select_from(t.invoices)
    if contributor_id is not None:
        query = query.where(t.invoices.c.contributor_id == contributor_id)
        count = count.where(t.invoices.c.contributor_id == contributor_id)
    rows = conn.execute(query.order_by(t.invoices.c.number.desc()).limit(limit).offset(offset))
    return [from_row(conn, r) for r in rows], int(conn.execute(count).scalar() or 0)
