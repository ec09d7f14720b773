"""The demo's workplace collections: two union clubs' collections, started on the public start
form and approved by finance through ``ledger.services.collections``; one is still running, the
other was closed after its gifts came in.

Colleagues give on the collection's own reference by bankgiro: those payments are in the demo's
bank file (``bankfile``), dated the day the collection started, so the collection's progress
and the club's soft credit come from what the import booked. A collection is known again by
its club's organisation number and title, so a second run starts none twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, select

from kassan.demo.camt import Payment
from ledger.db import tables as t
from ledger.services import collections
from ledger.services.collections import Collection
from ledger.statuses import CollectionStatus


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    org_name: str
    organisation_number: str  # valid: the start form checks it
    contact_name: str
    contact_email: str
    title: str
    body: str
    goal_kr: int
    network: str  # slug
    closed: bool  # finance closed it after its gifts came in
    gifts_kr: tuple[tuple[str, int], ...]  # (colleague, kronor) paid on its reference


COLLECTIONS = (
    CollectionSpec(
        "Kommunal sektion Hemtjänsten Söder",
        "802475-9311",
        "Leila Haddad",
        "leila.haddad@example.org",
        "Hemtjänsten Söder för Palestinas vårdarbetare",
        "Vi på hemtjänsten samlar in till våra kollegor i vården i Palestina. "
        "Alla bidrag går till Solidaritetsnätverket Palestina.",
        25_000,
        "palestina",
        False,
        (("Maria Lind", 500), ("Ahmed Yusuf", 300), ("Eva Berg", 1_000), ("Sanna Ek", 250)),
    ),
    CollectionSpec(
        "IF Metall-klubben Verkstaden",
        "802501-2447",
        "Johan Nyström",
        "johan.nystrom@example.org",
        "Verkstadsklubben för Colombias fackliga",
        "Klubbens insamling inför 1 maj till fackligt aktiva i Colombia.",
        10_000,
        "colombia",
        True,
        (("Klubbkassan", 5_000), ("Per Holm", 400), ("Nils Åberg", 600), ("Kent Sjö", 200)),
    ),
)


def _find(conn: Connection, spec: CollectionSpec) -> Collection | None:
    c = t.collections.c
    found = conn.scalar(
        select(c.id).where(c.organisation_number == spec.organisation_number, c.title == spec.title)
    )
    return collections.get(conn, int(found)) if found is not None else None


def book(conn: Connection, network_ids: Mapping[str, int], today: date) -> int:
    """Start, approve and (where the demo says so) close the collections not made before; how
    many were started now."""
    started = 0
    for spec in COLLECTIONS:
        current = _find(conn, spec)
        if current is None:
            values = {
                "org_name": spec.org_name,
                "organisation_number": spec.organisation_number,
                "contact_name": spec.contact_name,
                "contact_email": spec.contact_email,
                "title": spec.title,
                "body": spec.body,
                "goal": str(spec.goal_kr),
                "end_date": (today + timedelta(days=60)).isoformat(),
            }
            current = collections.start(
                conn,
                values,
                network_id=network_ids[spec.network],
                image_data=None,
                address_hash="demo",
                today=today,
            )
            started += 1
        if current.status in (CollectionStatus.PENDING, CollectionStatus.CHANGES):
            current = collections.approve(conn, current.id)
        if spec.closed and current.status == CollectionStatus.ACTIVE:
            collections.close(conn, current.id)
    return started


def payments(conn: Connection, today: date) -> list[Payment]:
    """The colleagues' payments on each demo collection's reference, on the day it started."""
    out = []
    for n, spec in enumerate(COLLECTIONS):
        current = _find(conn, spec)
        if current is None or current.reference is None:
            continue
        day = min(current.created_at.date(), today)
        for k, (name, kr) in enumerate(spec.gifts_kr):
            ref = f"DEMO-IN-{n}-{k}"
            out.append(Payment(ref, day, kr * 100, name, ocr=current.reference))
    return out
