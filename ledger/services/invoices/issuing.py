"""Issuing an invoice: its number, its expected payment (with the OCR reference the payer uses)
and its entry in series F, in the caller's transaction; one invoice per pledge instalment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ledger.chart import POSTING_RULES
from ledger.entries import Draft, LineDraft
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.services import expected, posting
from ledger.services.invoices.document_rows import (
    check_lines,
    insert_document,
    network_id_of,
    next_number,
    recipient_of,
    recipient_values,
)
from ledger.services.invoices.lookup import by_instalment, get_by_id
from ledger.services.invoices.records import SERIES, Invoice


def issue(
    conn: Connection,
    *,
    contributor_id: int,
    network: str | None,
    lines: Sequence[tuple[str, Money]],
    issue_date: date,
    due_days: int,
    pledge_instalment_id: int | None = None,
    created_by: int | None = None,
) -> tuple[Invoice, bool]:
    """Issue and book an invoice in the caller's transaction; ``(invoice, True)``.

    For a pledge instalment that has an invoice already, that invoice and ``False``: the unique
    key on the instalment decides, also between two runs at once.
    """
    if pledge_instalment_id is not None:
        found = by_instalment(conn, pledge_instalment_id)
        if found is not None:
            return found, False
    currency, total_ore = check_lines(lines)
    if not 1 <= due_days <= 365:
        raise LedgerError("an invoice falls due 1-365 days after its date", "due_days")
    recipient = recipient_of(conn, contributor_id)
    network_id = network_id_of(conn, network)
    total = Money(total_ore, currency)
    due = issue_date + timedelta(days=due_days)
    try:
        with conn.begin_nested():
            number = next_number(conn)
            payment = expected.create(
                conn,
                kind="invoice",
                amount=total,
                network_id=network_id,
                contributor_id=contributor_id,
                due_date=due,
            )
            debit, income = POSTING_RULES["invoice_issued"]
            entry = posting.post(
                conn,
                Draft(
                    date=issue_date,
                    text=f"Faktura {number}, givare {contributor_id}",
                    series=SERIES,
                    source_kind="invoice",
                    source_key=f"invoice:{number}",
                    lines=(
                        # the receivable by contributor only, as the bank import clears it
                        LineDraft.debit(debit, total, contributor_id=contributor_id),
                        LineDraft.credit(
                            income, total, network=network, contributor_id=contributor_id
                        ),
                    ),
                ),
                created_by=created_by,
            )
            invoice_id = insert_document(
                conn,
                {
                    "number": number,
                    "kind": "invoice",
                    "pledge_instalment_id": pledge_instalment_id,
                    "contributor_id": contributor_id,
                    "network_id": network_id,
                    "issue_date": issue_date,
                    "due_date": due,
                    "currency": currency,
                    "total_ore": total_ore,
                    "expected_payment_id": payment.id,
                    "entry_id": entry.id,
                    **recipient_values(recipient),
                    "created_by": created_by,
                },
                [(d, m.ore) for d, m in lines],
            )
    except IntegrityError:
        # Only a second issue for the same instalment gets here; the savepoint took back its
        # number, its reference and its entry.
        if pledge_instalment_id is not None:
            found = by_instalment(conn, pledge_instalment_id)
            if found is not None:
                return found, False
        raise
    return get_by_id(conn, invoice_id), True
