"""The public start form: its checks (text, organisation number, e-mail, goal, end date, image),
the rate limit per address, and the new ``pending`` collection it makes."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import unicodedata
import warnings
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Connection, func, select
from stdnum.se import orgnr

from ledger.db import tables as t
from ledger.errors import CollectionInvalid, LedgerError
from ledger.services.collections.lookup import get
from ledger.services.collections.records import Collection
from ledger.statuses import CollectionStatus

EDITABLE = {"title": 120, "body": 4000, "goal": 0, "end_date": 0, "thanks_text": 2000}
IMAGE_MAX_BYTES = 2 * 1024 * 1024
# A phone photo is 12-48 megapixels; a poster needs far less. Beyond this a small file can still
# unpack to gigabytes (a "decompression bomb"), so it is refused before it is decoded.
IMAGE_MAX_PIXELS = 24_000_000
IMAGE_MAX_MB = IMAGE_MAX_BYTES // (1024 * 1024)
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
RATE_LIMIT = 3  # start forms per address per hour: a club needs one
MAX_GOAL_ORE = 100_000_000_00
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
        raise CollectionInvalid({"image": f"Bilden är för stor (högst {IMAGE_MAX_MB} MB)."})
    too_many_pixels = CollectionInvalid(
        {
            "image": f"Bilden har för många bildpunkter (högst {IMAGE_MAX_PIXELS // 1_000_000} "
            "megapixlar): förminska den först."
        }
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns past its own limit and raises past twice that: either is too large.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > IMAGE_MAX_PIXELS:
                    raise too_many_pixels
                kind = img.format
                img.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    if kind not in IMAGE_TYPES:
        raise CollectionInvalid({"image": "Bilden måste vara en JPEG-, PNG- eller WebP-bild."})
    return IMAGE_TYPES[kind]


def text_field(values: Mapping[str, Any], name: str, size: int, errors: dict[str, str]) -> str:
    """A required text field of at most ``size`` characters; a fault goes into ``errors``."""
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
    org_name = text_field(values, "org_name", 200, errors)
    number = str(values.get("organisation_number") or "").strip()
    if not orgnr.is_valid(number):
        errors["organisation_number"] = "Organisationsnumret stämmer inte (NNNNNN-NNNN)."
    contact = text_field(values, "contact_name", 200, errors)
    email = text_field(values, "contact_email", 254, errors)
    if email and not _EMAIL.match(email):
        errors["contact_email"] = "Skriv en giltig e-postadress."
    title = text_field(values, "title", EDITABLE["title"], errors)
    body = text_field(values, "body", EDITABLE["body"], errors)
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
    same = _waiting_same(conn, orgnr.format(number), title, email)
    if same is not None:
        return same  # the form sent again (a double click, a reload): one application
    now = datetime.now(UTC)
    new_id = conn.execute(
        t.collections.insert()
        .values(
            slug=_slug(title),
            status=CollectionStatus.PENDING,
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


def _waiting_same(conn: Connection, number: str, title: str, email: str) -> Collection | None:
    """The club's application with this title and contact that still waits for staff, if any:
    sending the same form twice must not put two applications in the queue."""
    c = t.collections.c
    found = conn.scalar(
        select(c.id)
        .where(
            c.organisation_number == number,
            func.lower(c.title) == title.lower(),
            func.lower(c.contact_email) == email.lower(),
            c.status.in_((CollectionStatus.PENDING, CollectionStatus.CHANGES)),
        )
        .order_by(c.id)
        .limit(1)
    )
    return None if found is None else get(conn, int(found))
