"""Writing a document of the one number series: the next number (under the counter row's lock, so
none is skipped), the recipient and network as stored, and the document's rows with its lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, text

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.services.invoices.records import MAX_LINES, Recipient

_COUNTER = "invoice"


def next_number(conn: Connection) -> int:
    """The next number of the one series for invoices and credit notes."""
    # The UPDATE holds the counter row's lock until commit: issues queue here, one number each.
    number = conn.execute(
        text(
            "UPDATE reference_counters SET last_value = last_value + 1 "
            "WHERE name = :name RETURNING last_value"
        ),
        {"name": _COUNTER},
    ).scalar_one()
    return int(number)


def recipient_of(conn: Connection, contributor_id: int) -> Recipient:
    """Who an invoice to this contributor is addressed to, as the contributor stands today."""
    c = t.contributors.c
    row = conn.execute(select(t.contributors).where(c.id == contributor_id)).first()
    if row is None:
        raise LedgerError(f"no contributor {contributor_id}", "contributor_id")
    if row.merged_into is not None:
        raise LedgerError(
            f"contributor {contributor_id} is merged into {row.merged_into}; invoice that one",
            "contributor_id",
        )
    place = " ".join(p for p in (row.postcode, row.city) if p)
    address = tuple(p for p in (row.address_line1, row.address_line2, place) if p)
    return Recipient(
        name=row.name,
        org_number=row.organisation_number,
        contact=row.contact_person,
        address=address,
        email=row.invoice_email or row.email,
    )


def check_lines(lines: Sequence[tuple[str, Money]]) -> tuple[str, int]:
    """The lines' one currency and total; refuses an empty, mixed or malformed set."""
    if not lines:
        raise LedgerError("an invoice needs at least one line", "lines")
    if len(lines) > MAX_LINES:
        raise LedgerError(f"an invoice has at most {MAX_LINES} lines", "lines")
    currencies = {amount.currency for _, amount in lines}
    if len(currencies) != 1:
        raise LedgerError("an invoice's lines are all in one currency", "lines")
    for i, (description, amount) in enumerate(lines):
        if not description.strip() or len(description) > 200:
            raise LedgerError("a line needs a text of 1-200 characters", f"lines[{i}].description")
        if amount.ore <= 0:
            raise LedgerError("a line's amount must be above zero", f"lines[{i}].amount_ore")
    return currencies.pop(), sum(amount.ore for _, amount in lines)


def network_id_of(conn: Connection, network: str | None) -> int | None:
    """The id of the network with this slug; None for none."""
    if network is None:
        return None
    found = conn.execute(select(t.networks.c.id).where(t.networks.c.slug == network)).scalar()
    if found is None:
        raise LedgerError(f"no network {network!r}", "network")
    return int(found)


def insert_document(
    conn: Connection, values: dict[str, Any], lines: Sequence[tuple[str, int]]
) -> int:
    """Insert the document's row and its lines; returns its id."""
    invoice_id = conn.execute(
        t.invoices.insert()
        .values(**values, created_at=datetime.now(UTC))
        .returning(t.invoices.c.id)
    ).scalar_one()
    conn.execute(
        t.invoice_lines.insert(),
        [
            {"invoice_id": invoice_id, "line_no": no, "description": d, "amount_ore": ore}
            for no, (d, ore) in enumerate(lines, 1)
        ],
    )
    return int(invoice_id)


def recipient_values(r: Recipient) -> dict[str, Any]:
    """The recipient as the invoice row stores it."""
    return {
        "recipient_name": r.name,
        "recipient_org_number": r.org_number,
        "recipient_contact": r.contact,
        "recipient_address": "\n".join(r.address) or None,
        "recipient_email": r.email,
    }
