"""Reading collections: one by id or slug, a list for the desk, a public one's image, the Swish QR
code for its poster, and a club's soft credit (the collections it organised, with what each
raised)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.payment_instructions import swish_number
from ledger.services.collection_progress import Progress, progress
from ledger.services.collections.records import PUBLIC, Collection, from_row, select_collections


def get(conn: Connection, collection_id: int) -> Collection | None:
    row = conn.execute(select_collections().where(t.collections.c.id == collection_id)).first()
    return None if row is None else from_row(row)


def by_slug(conn: Connection, slug: str) -> Collection | None:
    row = conn.execute(select_collections().where(t.collections.c.slug == slug)).first()
    return None if row is None else from_row(row)


def list_collections(
    conn: Connection, *, status: str | None = None, network_id: int | None = None
) -> list[Collection]:
    c = t.collections.c
    query = select_collections()
    if status is not None:
        query = query.where(c.status == status)
    if network_id is not None:
        query = query.where(c.network_id == network_id)
    return [from_row(r) for r in conn.execute(query.order_by(c.created_at.desc(), c.id.desc()))]


def image(conn: Connection, slug: str) -> tuple[bytes, str] | None:
    """A public collection's image and its content type."""
    c = t.collections.c
    row = conn.execute(
        select(c.image, c.image_type).where(c.slug == slug, c.status.in_(PUBLIC))
    ).first()
    return None if row is None or row.image is None else (bytes(row.image), row.image_type)


def swish_payload(payee: str, reference: str) -> str:
    """A Swish QR code for the collection: payee and message (its reference) locked, the amount
    left to the payer (mask bit 2), so every member can scan the same poster."""
    return f"C{swish_number(payee)};;{quote(reference, safe='')};2"


@dataclass(frozen=True, slots=True)
class Organised:
    """A collection a club ran and what it raised: soft credit in the club's giving history."""

    collection: Collection
    progress: Progress


def for_contributor(conn: Connection, contributor_id: int) -> list[Organised]:
    """Soft credit: the public collections a club organised, newest first, with what each
    raised. The money itself stays with its payers, the donors of record on the ledger lines."""
    c = t.collections.c
    rows = conn.execute(
        select_collections()
        .where(c.contributor_id == contributor_id, c.status.in_(PUBLIC))
        .order_by(c.created_at.desc(), c.id.desc())
    )
    found = [from_row(row) for row in rows]
    return [Organised(one, progress(conn, one, latest=0)) for one in found]
