"""Builders for pledge and invoice tests: an organisation with its invoice address, a network,
the settings an invoice needs, and reading a PDF's text."""

from __future__ import annotations

import io
import os
import re
from typing import Any

from pypdf import PdfReader
from sqlalchemy import Connection

from ledger.db import tables as t

CONFIG: dict[str, object] = {
    "ORGANISATION_NAME": "Solidaritetsorganisationen",
    "ORGANISATION_NUMBER": "802000-0000",
    "ORGANISATION_ADDRESS": ("Box 1234", "101 23 Stockholm"),
    "ORGANISATION_LOGO": None,
    "MAIL_FROM": "faktura@kassan.test",
    "BANKGIRO": "5050-1055",
    "SWISH_PAYEE_NUMBER": "1231181189",
    "INVOICE_DUE_DAYS": 30,
    "INVOICE_LEAD_DAYS": 30,
    "INVOICE_REMINDER_DAYS": 14,
    "INVOICE_MAX_REMINDERS": 2,
}


def add_network(conn: Connection, slug: str = "fred", name: str = "Fred och demokrati") -> int:
    return conn.execute(
        t.networks.insert().values(slug=slug, name=name).returning(t.networks.c.id)
    ).scalar_one()


def add_org(
    conn: Connection,
    name: str = "IF Metall avd 3",
    *,
    org_number: str | None = "802002-1234",
    email: str | None = "kassor@metall3.se",
) -> int:
    return conn.execute(
        t.contributors.insert()
        .values(
            kind="organisation",
            name=name,
            organisation_number=org_number,
            contact_person="Kim Kassör",
            address_line1="Storgatan 1",
            address_line2="Plan 3",
            postcode="411 01",
            city="Göteborg",
            invoice_email=email,
        )
        .returning(t.contributors.c.id)
    ).scalar_one()


def pdf_text(data: bytes) -> str:
    """The PDF's text with runs of white space (no-break spaces too) as one space."""
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def render_then_die(invoice: Any, letterhead: Any) -> bytes:
    """A PDF process that lays the document out and then dies (as a crash in pango would),
    for the batch tests; it dies after real work, so the pool has seen it take the task."""
    from reports import invoice_pdf

    invoice_pdf.render(invoice, letterhead)
    os._exit(70)
