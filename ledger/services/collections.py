"""Workplace collections: a club's own collection for a network, from the public start form
through approval to its close.

A collection is ``pending`` until finance approves it (or asks for ``changes``, or ``refused``
it); only an ``active`` or ``closed`` one is public. Approval gives it one repeating expected
payment of kind ``collection``: its OCR reference goes on the poster, in the Swish QR code and on
the page, and every bank or Swish payment carrying it finds the collection. The organising club
is found (or made) by organisation number and gets soft credit: the collection is linked to it,
while each gift's payer stays the donor of record on the ledger lines.

Raised money is read from what the ledger booked (``collection_progress``): receipts on the
collection's expected payments, and card entries linked to it net of their refunds.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Connection, func, select
from stdnum.se import orgnr

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.payment_instructions import swish_number
from ledger.services import expected
from ledger.services.collection_progress import Progress, progress

STATUSES = ("pending", "changes", "refused", "active", "closed")
PUBLIC = ("active", "closed")
EDITABLE = {"title": 120, "body": 4000, "goal": 0, "end_date": 0, "thanks_text": 2000}
IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
RATE_LIMIT = 3  # start forms per address per hour: a club needs one
MAX_GOAL_ORE = 100_000_000_00
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CollectionInvalid(LedgerError):
    """The start or edit form has errors: ``errors`` maps each field to a Swedish message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()), next(iter(errors)))
        self.errors = dict(errors)


class CollectionState(LedgerError):
    """The collection is not in a state that allows this (approve a closed one, and so on)."""

    status = 409


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


def _select() -> Any:
    c, n, e = t.collections.c, t.networks.c, t.expected_payments.c
    return select(
        t.collections,
        n.name.label("network_name"),
        e.reference.label("reference"),
        (c.image.is_not(None)).label("has_image"),
    ).select_from(
        t.collections.outerjoin(t.networks, c.network_id == n.id).outerjoin(
            t.expected_payments, c.expected_payment_id == e.id
        )
    )


def _record(row: Any) -> Collection:
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


def get(conn: Connection, collection_id: int) -> Collection | None:
    row = conn.execute(_select().where(t.collections.c.id == collection_id)).first()
    return None if row is None else _record(row)


def by_slug(conn: Connection, slug: str) -> Collection | None:
    row = conn.execute(_select().where(t.collections.c.slug == slug)).first()
    return None if row is None else _record(row)


def list_collections(
    conn: Connection, *, status: str | None = None, network_id: int | None = None
) -> list[Collection]:
    c = t.collections.c
    query = _select()
    if status is not None:
        query = query.where(c.status == status)
    if network_id is not None:
        query = query.where(c.network_id == network_id)
    return [_record(r) for r in conn.execute(query.order_by(c.created_at.desc(), c.id.desc()))]


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


# --- the start form ---------------------------------------------------------------------------


def ip_hash(secret: str, address: str) -> str:
    """The address as stored for the rate limit: keyed, so the table holds no IP addresses."""
    return hashlib.sha256(f"{secret}:{address}".encode()).hexdigest()


def rate_limited(conn: Connection, address_hash: str, now: datetime) -> bool:
    c = t.collections.c
    count = conn.execute(
        select(func.count()).where(
            c.ip_hash == address_hash, c.created_at > now - timedelta(hours=1)
        )
    ).scalar_one()
    return int(count) >= RATE_LIMIT


def check_image(data: bytes) -> str:
    """The content type of an uploaded image, judged by its content (never its name)."""
    if len(data) > IMAGE_MAX_BYTES:
        raise CollectionInvalid({"image": "Bilden är för stor (högst 2 MB)."})
    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = img.format
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    if kind not in IMAGE_TYPES:
        raise CollectionInvalid({"image": "Bilden måste vara en JPEG-, PNG- eller WebP-bild."})
    return IMAGE_TYPES[kind]


def _text(values: Mapping[str, Any], name: str, size: int, errors: dict[str, str]) -> str:
    value = str(values.get(name) or "").strip()
    if not value:
        errors[name] = "Fyll i fältet."
    elif len(value) > size:
        errors[name] = f"Högst {size} tecken."
    return value


def parse_goal(raw: object, errors: dict[str, str]) -> int:
    """A goal in whole kronor (spaces allowed) as öre."""
    digits = "".join(str(raw or "").split())
    if not digits.isdigit() or not 0 < int(digits) * 100 <= MAX_GOAL_ORE:
        errors["goal"] = "Skriv målet i hela kronor, till exempel 5000."
        return 0
    return int(digits) * 100


def parse_end(raw: object, today: date, errors: dict[str, str]) -> date:
    try:
        end = date.fromisoformat(str(raw or "").strip())
    except ValueError:
        errors["end_date"] = "Skriv slutdatum som ÅÅÅÅ-MM-DD."
        return today
    if not today <= end <= today + timedelta(days=366):
        errors["end_date"] = "Slutdatum ska vara från i dag och högst ett år fram."
    return end


def _slug(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40].strip("-")
    return f"{words or 'insamling'}-{secrets.token_hex(3)}"


def start(
    conn: Connection,
    values: Mapping[str, Any],
    *,
    network_id: int | None,
    image_data: bytes | None,
    address_hash: str,
    today: date,
) -> Collection:
    """A new ``pending`` collection from the start form; every error at once, nothing written."""
    errors: dict[str, str] = {}
    org_name = _text(values, "org_name", 200, errors)
    number = str(values.get("organisation_number") or "").strip()
    if not orgnr.is_valid(number):
        errors["organisation_number"] = "Organisationsnumret stämmer inte (NNNNNN-NNNN)."
    contact = _text(values, "contact_name", 200, errors)
    email = _text(values, "contact_email", 254, errors)
    if email and not _EMAIL.match(email):
        errors["contact_email"] = "Skriv en giltig e-postadress."
    title = _text(values, "title", EDITABLE["title"], errors)
    body = _text(values, "body", EDITABLE["body"], errors)
    goal = parse_goal(values.get("goal"), errors)
    end = parse_end(values.get("end_date"), today, errors)
    image_type = None
    if image_data:
        try:
            image_type = check_image(image_data)
        except CollectionInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise CollectionInvalid(errors)
    now = datetime.now(UTC)
    new_id = conn.execute(
        t.collections.insert()
        .values(
            slug=_slug(title),
            status="pending",
            network_id=network_id,
            org_name=org_name,
            organisation_number=orgnr.format(number),
            contact_name=contact,
            contact_email=email,
            title=title,
            body=body,
            goal_ore=goal,
            currency="SEK",
            end_date=end,
            image=image_data or None,
            image_type=image_type,
            token_version=1,
            ip_hash=address_hash,
            created_at=now,
            updated_at=now,
        )
        .returning(t.collections.c.id)
    ).scalar_one()
    found = get(conn, int(new_id))
    if found is None:  # pragma: no cover - just inserted
        raise LedgerError("the new collection vanished", "id")
    return found


# --- review, edits, close ---------------------------------------------------------------------


def _locked(conn: Connection, collection_id: int) -> Collection:
    c = t.collections.c
    conn.execute(select(c.id).where(c.id == collection_id).with_for_update()).first()
    found = get(conn, collection_id)
    if found is None:
        raise LedgerError(f"no collection {collection_id}", "collection_id")
    return found


def _set(conn: Connection, collection_id: int, **values: Any) -> Collection:
    conn.execute(
        t.collections.update()
        .where(t.collections.c.id == collection_id)
        .values(updated_at=datetime.now(UTC), **values)
    )
    return _locked(conn, collection_id)


def _organiser(conn: Connection, current: Collection) -> int:
    """The club's contributor: the one with this organisation number, else a new one."""
    c = t.contributors.c
    found = conn.execute(
        select(c.id).where(
            c.organisation_number == current.organisation_number, c.merged_into.is_(None)
        )
    ).first()
    if found is not None:
        return int(found.id)
    # The contact's e-mail is a person's, often already a donor's or another club's contact:
    # the club gets it only while no active contributor has it (e-mails are unique), and the
    # collection keeps it either way.
    email = current.contact_email.strip().lower()  # stored as the contributor service does
    taken = conn.execute(select(c.id).where(c.email == email, c.merged_into.is_(None))).first()
    return int(
        conn.execute(
            t.contributors.insert()
            .values(
                kind="organisation",
                name=current.org_name,
                email=None if taken is not None else email,
                organisation_number=current.organisation_number,
                org_kind="club",
                contact_person=current.contact_name,
                created_at=datetime.now(UTC),
            )
            .returning(c.id)
        ).scalar_one()
    )


def approve(conn: Connection, collection_id: int) -> Collection:
    """Make it public, with its organiser and its one repeating reference (made once)."""
    current = _locked(conn, collection_id)
    if current.status == "active":
        return current
    if current.status not in ("pending", "changes"):
        raise CollectionState(f"a {current.status} collection cannot be approved", "status")
    payment = expected.create(
        conn,
        kind="collection",
        amount=None,
        network_id=current.network_id,
        contributor_id=None,
        repeating=True,
    )
    return _set(
        conn,
        collection_id,
        status="active",
        contributor_id=_organiser(conn, current),
        expected_payment_id=payment.id,
        approved_at=datetime.now(UTC),
        review_note=None,
    )


def review(conn: Connection, collection_id: int, decision: str, note: str) -> Collection:
    """Ask for changes or refuse, with the reason the organiser will read."""
    if decision not in ("changes", "refused"):
        raise LedgerError("decision must be changes or refused", "decision")
    note = note.strip()
    if not note or len(note) > 1000:
        raise CollectionInvalid({"note": "Skriv en motivering (högst 1000 tecken)."})
    current = _locked(conn, collection_id)
    if current.status not in ("pending", "changes"):
        raise CollectionState(f"a {current.status} collection is not waiting for review", "status")
    return _set(conn, collection_id, status=decision, review_note=note)


def revoke_links(conn: Connection, collection_id: int) -> Collection:
    current = _locked(conn, collection_id)
    return _set(conn, collection_id, token_version=current.token_version + 1)


def edit(
    conn: Connection, collection_id: int, values: Mapping[str, Any], *, by: str, today: date
) -> Collection:
    """Change text, goal, end date or thank-you text; each change goes to the history."""
    current = _locked(conn, collection_id)
    if current.status == "refused":
        raise CollectionState("a refused collection cannot be edited", "status")
    errors: dict[str, str] = {}
    new: dict[str, Any] = {}
    for name in ("title", "body"):
        if name in values:
            new[name] = _text(values, name, EDITABLE[name], errors)
    if "thanks_text" in values:
        thanks = str(values["thanks_text"] or "").strip()
        if len(thanks) > EDITABLE["thanks_text"]:
            errors["thanks_text"] = "Högst 2000 tecken."
        new["thanks_text"] = thanks or None
    if "goal" in values:
        new["goal_ore"] = parse_goal(values["goal"], errors)
    if "end_date" in values:
        new["end_date"] = parse_end(values["end_date"], today, errors)
    if errors:
        raise CollectionInvalid(errors)
    old = {
        "title": current.title,
        "body": current.body,
        "thanks_text": current.thanks_text,
        "goal_ore": current.goal.ore,
        "end_date": current.end_date,
    }
    changed = {k: v for k, v in new.items() if v != old[k]}
    now = datetime.now(UTC)
    if changed:
        conn.execute(
            t.collection_changes.insert(),
            [
                {
                    "collection_id": collection_id,
                    "field": k,
                    "old_value": str(old[k] or ""),
                    "new_value": str(v or ""),
                    "changed_by": by[:20],
                    "changed_at": now,
                }
                for k, v in changed.items()
            ],
        )
        return _set(conn, collection_id, **changed)
    return current


def history(conn: Connection, collection_id: int) -> list[Any]:
    h = t.collection_changes.c
    return list(
        conn.execute(
            select(h.field, h.old_value, h.new_value, h.changed_by, h.changed_at)
            .where(h.collection_id == collection_id)
            .order_by(h.changed_at.desc(), h.id.desc())
        )
    )


def report_cash(
    conn: Connection, collection_id: int, amount: Money, note: str, collected_on: date
) -> None:
    """The organiser's word that cash was collected; it counts as raised only once it is paid
    in with the collection's reference and the bank file books it."""
    current = _locked(conn, collection_id)
    if current.status not in PUBLIC:
        raise CollectionState("only an approved collection takes cash reports", "status")
    if amount.ore <= 0 or amount.ore > MAX_GOAL_ORE:
        raise CollectionInvalid({"cash": "Skriv beloppet i kronor."})
    conn.execute(
        t.collection_cash.insert().values(
            collection_id=collection_id,
            amount_ore=amount.ore,
            note=note.strip()[:200] or "-",
            collected_on=collected_on,
            created_at=datetime.now(UTC),
        )
    )


def close(conn: Connection, collection_id: int) -> Collection:
    """Close it (early, or at its end date); closing twice changes nothing."""
    current = _locked(conn, collection_id)
    if current.status == "closed":
        return current
    if current.status != "active":
        raise CollectionState(f"a {current.status} collection cannot be closed", "status")
    return _set(conn, collection_id, status="closed", closed_at=datetime.now(UTC))


def close_expired(conn: Connection, today: date) -> int:
    """Close every active collection whose end date has passed; how many were closed now."""
    c = t.collections.c
    result = conn.execute(
        t.collections.update()
        .where(c.status == "active", c.end_date < today)
        .values(status="closed", closed_at=datetime.now(UTC), updated_at=datetime.now(UTC))
    )
    return int(result.rowcount)


def attach_gift(conn: Connection, gift_id: int, collection_id: int, shown_name: str | None) -> None:
    """Mark a gift as given on the collection's page, with the first name it may show."""
    first = (shown_name or "").split()
    conn.execute(
        t.gifts.update()
        .where(t.gifts.c.id == gift_id)
        .values(collection_id=collection_id, shown_name=first[0][:60] if first else None)
    )


# --- soft credit -----------------------------------------------------------------------------


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
        _select()
        .where(c.contributor_id == contributor_id, c.status.in_(PUBLIC))
        .order_by(c.created_at.desc(), c.id.desc())
    )
    found = [_record(row) for row in rows]
    return [Organised(one, progress(conn, one, latest=0)) for one in found]
