"""What a collection is: its statuses, the record read from its row (with its network's name and
its reference), and the errors its rules raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ledger.db import tables as t
from ledger.money import Money
from ledger.services import expected
from ledger.statuses import CollectionStatus

STATUSES = tuple(CollectionStatus)
PUBLIC = (CollectionStatus.ACTIVE, CollectionStatus.CLOSED)  # shown on the public pages


@dataclass(frozen=True, slots=True)
class Collection:
    id: int
    slug: str
    status: str
    network_id: int | None
    network_name: str | None
    contributor_id: int | None
    org_name: str
    organisation_number: str
    contact_name: str
    contact_email: str
    title: str
    body: str
    goal: Money
    end_date: date
    has_image: bool
    reference: str | None
    expected_payment_id: int | None
    token_version: int
    review_note: str | None
    thanks_text: str | None
    created_at: datetime
    closed_at: datetime | None


def select_collections() -> Any:
    """Collections with their network's name, their reference and whether they have an image."""
    c, n = t.collections.c, t.networks.c
    return select(
        t.collections,
        n.name.label("network_name"),
        expected.reference_of(c.expected_payment_id).label("reference"),
        (c.image.is_not(None)).label("has_image"),
    ).select_from(t.collections.outerjoin(t.networks, c.network_id == n.id))


def from_row(row: Any) -> Collection:
    """The record of a row read with ``select_collections``."""
    return Collection(
        id=row.id,
        slug=row.slug,
        status=row.status,
        network_id=row.network_id,
        network_name=row.network_name,
        contributor_id=row.contributor_id,
        org_name=row.org_name,
        organisation_number=row.organisation_number,
        contact_name=row.contact_name,
        contact_email=row.contact_email,
        title=row.title,
        body=row.body,
        goal=Money(int(row.goal_ore), row.currency),
        end_date=row.end_date,
        has_image=bool(row.has_image),
        reference=row.reference,
        expected_payment_id=row.expected_payment_id,
        token_version=int(row.token_version),
        review_note=row.review_note,
        thanks_text=row.thanks_text,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )
