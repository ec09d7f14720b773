"""The demo's federations' pledges: a quarterly sum to a network for two years from this year's
first quarter, half paid by bankgiro with an OCR reference per instalment, half by invoice.

Through ``ledger.services.pledges`` (the instalments and their references) and, for the
instalments paid by invoice that fell due by today, ``invoice_run.issue_instalment`` (series F,
1510/3993), as ``kassan invoices run`` issues them. The instalments not yet paid are what the
funding gap counts as committed, this year and next. A pledge is known again by its note, so
a second run makes none twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.services import invoice_run, pledges

INSTALMENTS = 8  # quarters: this year and next
LEAD_DAYS = 20  # the invoice goes out this long before the instalment falls due
DUE_DAYS = 30


@dataclass(frozen=True, slots=True)
class PledgeSpec:
    organisation: str  # a name in names.toml's organisations
    network: str  # slug
    quarter_kr: int
    payment_way: str  # "bankgiro" or "invoice"


PLEDGES = (
    PledgeSpec("IF Metall", "colombia", 60_000, "invoice"),
    PledgeSpec("Kommunal", "palestina", 75_000, "bankgiro"),
    PledgeSpec("Seko", "filippinerna", 30_000, "invoice"),
    PledgeSpec("Handelsanställdas förbund", "sydafrika", 40_000, "bankgiro"),
    PledgeSpec("Byggnads", "ostafrika", 25_000, "invoice"),
)


def note(spec: PledgeSpec, year: int) -> str:
    return f"{spec.organisation}: kongressens beslut om stöd {year}–{year + 1}"


def book(conn: Connection, contributor_ids: dict[str, int], today: date) -> tuple[int, int]:
    """Make the pledges not made before and invoice their instalments due by today (plus the
    invoice run's lead); (pledges made now, invoices issued now)."""
    made = issued = 0
    p = t.pledges.c
    for spec in PLEDGES:
        text = note(spec, today.year)
        pledge_id = conn.scalar(select(p.id).where(p.note == text))
        if pledge_id is None:
            draft = pledges.validate(
                {
                    "contributor_id": contributor_ids[spec.organisation],
                    "network": spec.network,
                    "amount": str(spec.quarter_kr),
                    "period": "quarter",
                    "start_date": date(today.year, 3, 31).isoformat(),
                    "instalments": INSTALMENTS,
                    "payment_way": spec.payment_way,
                    "note": text,
                }
            )
            pledge_id = pledges.create(conn, draft)
            made += 1
        if spec.payment_way != "invoice":
            continue
        i = t.pledge_instalments.c
        due = conn.execute(
            select(i.id, i.due_date)
            .where(i.pledge_id == pledge_id, i.due_date <= today + timedelta(days=LEAD_DAYS))
            .order_by(i.seq)
        )
        for instalment_id, due_date in due:
            _, new = invoice_run.issue_instalment(
                conn, instalment_id, on=due_date - timedelta(days=LEAD_DAYS), due_days=DUE_DAYS
            )
            issued += new
    return made, issued
