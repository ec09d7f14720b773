"""Crediting an invoice: a credit note of the same number series books the credited part back
and lowers what the invoice's expected payment still asks for."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger.chart import POSTING_RULES
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.services import posting
from ledger.services.invoices.document_rows import (
    insert_document,
    network_id_of,
    next_number,
    recipient_values,
)
from ledger.services.invoices.lookup import get, get_by_id
from ledger.services.invoices.records import NOTHING_DUE, SERIES, Invoice
from ledger.statuses import PaymentStatus


def credit(
    conn: Connection,
    number: int,
    *,
    on: date,
    amount: Money | None = None,
    reason: str | None = None,
    created_by: int | None = None,
) -> Invoice:
    """Credit all (``amount`` None) or part of what invoice ``number`` still asks for.

    What has been paid cannot be credited: that money is refunded through the finance desk.
    """
    invoice = get(conn, number)
    if invoice.kind != "invoice":
        raise LedgerError(f"{number} is a credit note; only invoices are credited", "number")
    open_ore = invoice.outstanding.ore
    ore = open_ore if amount is None else amount.ore
    if amount is not None and amount.currency != invoice.currency:
        raise LedgerError(f"invoice {number} is in {invoice.currency}", "amount")
    if open_ore <= 0:
        raise LedgerError(f"invoice {number} has nothing left to credit", "amount")
    if not 0 < ore <= open_ore:
        raise LedgerError(
            f"credit more than zero and at most what is unpaid on invoice {number}: "
            f"{invoice.outstanding!s}",
            "amount",
        )
    why = (reason or "").strip()
    if len(why) > 150:
        raise LedgerError("the reason is at most 150 characters", "reason")
    credited = Money(ore, invoice.currency)
    cn_number = next_number(conn)
    debit_side, credit_side = POSTING_RULES["invoice_issued"]
    who = invoice.contributor_id
    entry = posting.post(
        conn,
        Draft(
            date=on,
            text=f"Kreditfaktura {cn_number} för faktura {number}, givare {who}",
            series=SERIES,
            source_kind="credit_note",
            source_key=f"invoice:{cn_number}",
            lines=(
                LineDraft.debit(credit_side, credited, network=invoice.network, contributor_id=who),
                LineDraft.credit(debit_side, credited, contributor_id=who),
            ),
        ),
        created_by=created_by,
    )
    _lower_expected(conn, invoice, ore)
    description = f"Kreditering av faktura {number}" + (f": {why}" if why else "")
    credit_id = insert_document(
        conn,
        {
            "number": cn_number,
            "kind": "credit_note",
            "credits_invoice_id": invoice.id,
            "contributor_id": invoice.contributor_id,
            "network_id": network_id_of(conn, invoice.network),
            "issue_date": on,
            "currency": invoice.currency,
            "total_ore": ore,
            "entry_id": entry.id,
            **recipient_values(invoice.recipient),
            "created_by": created_by,
        },
        [(description, ore)],
    )
    return get_by_id(conn, credit_id)


def _lower_expected(conn: Connection, invoice: Invoice, ore: int) -> None:
    """Lower what the invoice's expected payment asks for, under its row lock; a payment that
    came in since the check above makes the credit too large, and the whole issue rolls back."""
    ep = t.expected_payments.c
    row = conn.execute(
        select(ep.amount_ore, ep.paid_ore, ep.status)
        .where(ep.reference == invoice.reference)
        .with_for_update()
    ).one()
    amount, paid = int(row.amount_ore), int(row.paid_ore)
    if ore > amount - paid or row.status in NOTHING_DUE:
        raise LedgerError(
            f"invoice {invoice.number} was paid meanwhile; credit at most "
            f"{Money(max(0, amount - paid), invoice.currency)}",
            "amount",
        )
    left = amount - ore
    if left == 0:
        values: dict[str, Any] = {
            "status": PaymentStatus.CANCELLED
        }  # wholly credited: nothing is expected
    else:
        values = {"amount_ore": left}
        if paid >= left:
            values["status"] = PaymentStatus.PAID
    conn.execute(
        t.expected_payments.update()
        .where(ep.reference == invoice.reference)
        .values(**values, updated_at=datetime.now(UTC))
    )
