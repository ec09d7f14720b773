"""Contributors in full: persons (with an optional personnummer, stored encrypted and shown
masked) and organisations (organisation number, kind, contact person, invoice address).

This module is the one place that checks a contributor's fields; the pages and the API parse
their input with marshmallow and hand the result here. A duplicate organisation number or
e-mail address is refused naming the contributor that holds it; the database's partial UNIQUE
indexes (migration 0007) are the guarantee, the look-up only words the message.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import Connection, func, or_, select
from sqlalchemy.exc import IntegrityError
from stdnum.se import orgnr, personnummer

from ledger.db import tables as t
from ledger.errors import DimensionConflict, DimensionNotFound, DimensionRefused
from ledger.services import pii
from ledger.services.dimensions import CONTRIBUTOR_KINDS

__all__ = [
    "EDITABLE",
    "ORG_KINDS",
    "ORG_ONLY",
    "ContributorRecord",
    "create",
    "get",
    "mask_personnummer",
    "possible_duplicates",
    "search",
    "update",
]

ORG_KINDS = ("club", "branch", "federation", "other")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTCODE = re.compile(r"^\d{3} ?\d{2}$")
# field: (longest length, Swedish name used in messages)
_TEXT_FIELDS = {
    "name": (200, "Namn"),
    "contact_person": (200, "Kontaktperson"),
    "address_line1": (200, "Adressrad 1"),
    "address_line2": (200, "Adressrad 2"),
    "city": (100, "Ort"),
}
# what only an organisation has
ORG_ONLY = (
    "organisation_number",
    "org_kind",
    "contact_person",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "invoice_email",
)
# what a contributor's record lets staff change (the API and the admin page)
EDITABLE = ("name", "email", "personnummer", *ORG_ONLY)
SIMILAR = 0.8  # difflib ratio above which two names are shown as possible duplicates


@dataclass(frozen=True, slots=True)
class ContributorRecord:
    id: int
    kind: str
    name: str
    email: str | None
    personnummer_masked: str | None
    organisation_number: str | None
    org_kind: str | None
    contact_person: str | None
    address_line1: str | None
    address_line2: str | None
    postcode: str | None
    city: str | None
    invoice_email: str | None
    merged_into: int | None


_COLUMNS = [getattr(t.contributors.c, f) for f in ContributorRecord.__slots__]


def _record(row: Any) -> ContributorRecord:
    return ContributorRecord(*(getattr(row, f) for f in ContributorRecord.__slots__))


def mask_personnummer(full: str) -> str:
    """``19811218-****``: the birth date stays readable, the last four digits never show."""
    return f"{full[:8]}-****"


def _full_personnummer(raw: str) -> str:
    """``ÅÅÅÅMMDD-NNNN``, the century taken from the birth date."""
    digits = "".join(c for c in personnummer.compact(raw) if c.isdigit())
    century = personnummer.get_birth_date(raw).year // 100
    full = digits if len(digits) == 12 else f"{century}{digits}"
    return f"{full[:8]}-{full[8:]}"


def _bad(field: str, message: str, sv: str) -> DimensionRefused:
    return DimensionRefused(message, field, sv)


def _text(values: Mapping[str, Any], field: str) -> str | None:
    raw = values.get(field)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _bad(field, f"{field} must be text", f"{_TEXT_FIELDS[field][1]} måste vara text.")
    cleaned = " ".join(raw.split())
    longest, sv_name = _TEXT_FIELDS[field]
    if len(cleaned) > longest:
        raise _bad(
            field,
            f"{field} is longer than {longest} characters",
            f"{sv_name} får vara högst {longest} tecken.",
        )
    return cleaned or None


def _email(values: Mapping[str, Any], field: str) -> str | None:
    raw = values.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    cleaned = raw.strip().lower() if isinstance(raw, str) else ""
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        sv_name = "E-post för fakturor" if field == "invoice_email" else "E-post"
        raise _bad(
            field,
            f"not an e-mail address: {raw!r}",
            f"{sv_name}: adressen ser inte ut att stämma, till exempel namn@exempel.se.",
        )
    return cleaned


def _clean(kind: str, values: Mapping[str, Any], crypt: MultiFernet) -> dict[str, Any]:
    """The columns to write for the fields present in ``values`` (a PATCH names only some)."""
    out: dict[str, Any] = {}
    if "name" in values:
        name = _text(values, "name")
        if name is None:
            raise _bad("name", "a name is required", "Namn: skriv ett namn.")
        out["name"] = name
    if "email" in values:
        out["email"] = _email(values, "email")
    if kind == "person":
        for field in ORG_ONLY:
            if values.get(field) not in (None, ""):
                raise _bad(
                    field, f"{field} is for organisations only", "Gäller bara organisationer."
                )
        raw = values.get("personnummer")
        if raw not in (None, ""):  # left blank on an edit: keep what is stored
            if not isinstance(raw, str) or not personnummer.is_valid(raw):
                raise _bad(
                    "personnummer",
                    "not a valid Swedish personnummer (YYYYMMDD-NNNN)",
                    "Personnummer: numret stämmer inte. Skriv det som ÅÅÅÅMMDD-NNNN.",
                )
            full = _full_personnummer(raw)
            out["personnummer_enc"] = pii.encrypt(crypt, full)
            out["personnummer_masked"] = mask_personnummer(full)
        return out
    if values.get("personnummer") not in (None, ""):
        raise _bad(
            "personnummer", "only persons have a personnummer", "Personnummer: bara för personer."
        )
    if "organisation_number" in values:
        raw = values["organisation_number"]
        if raw in (None, ""):
            out["organisation_number"] = None
        elif not isinstance(raw, str) or not orgnr.is_valid(raw):
            raise _bad(
                "organisation_number",
                "not a valid Swedish organisation number (NNNNNN-NNNN)",
                "Organisationsnummer: numret stämmer inte. Kontrollera siffrorna (NNNNNN-NNNN).",
            )
        else:
            out["organisation_number"] = orgnr.format(raw)
    if "org_kind" in values:
        org_kind = values["org_kind"] or None
        if org_kind is not None and org_kind not in ORG_KINDS:
            raise _bad(
                "org_kind",
                f"org_kind must be one of {', '.join(ORG_KINDS)}",
                "Typ av organisation: välj klubb, avdelning, förbund eller annan.",
            )
        out["org_kind"] = org_kind
    for field in ("contact_person", "address_line1", "address_line2", "city"):
        if field in values:
            out[field] = _text(values, field)
    if "postcode" in values:
        raw = values["postcode"]
        if raw in (None, ""):
            out["postcode"] = None
        elif not isinstance(raw, str) or not _POSTCODE.match(raw.strip()):
            raise _bad("postcode", "a postcode is five digits", "Postnummer: fem siffror, 123 45.")
        else:
            digits = raw.replace(" ", "")
            out["postcode"] = f"{digits[:3]} {digits[3:]}"
    if "invoice_email" in values:
        out["invoice_email"] = _email(values, "invoice_email")
    return out


def _holder(conn: Connection, column: str, value: str, not_id: int | None) -> Any:
    c = t.contributors.c
    query = select(c.id, c.name).where(c[column] == value, c.merged_into.is_(None))
    if not_id is not None:
        query = query.where(c.id != not_id)
    return conn.execute(query.limit(1)).first()


def _refuse_duplicates(conn: Connection, columns: Mapping[str, Any], not_id: int | None) -> None:
    labels = {"organisation_number": ("organisation number", "Organisationsnumret"),
              "email": ("e-mail address", "E-postadressen")}  # fmt: skip
    for column, (en, sv) in labels.items():
        value = columns.get(column)
        if value is None:
            continue
        row = _holder(conn, column, value, not_id)
        if row is not None:
            raise DimensionConflict(
                f"the {en} {value} belongs already to {row.name} (contributor {row.id})",
                column,
                f"{sv} {value} finns redan hos {row.name} (givare {row.id}).",
            )


def _write(
    conn: Connection, stmt: Any, columns: Mapping[str, Any], not_id: int | None
) -> list[Any]:
    _refuse_duplicates(conn, columns, not_id)
    try:
        with conn.begin_nested():
            result = conn.execute(stmt)
            return list(result.all()) if result.returns_rows else []
    except IntegrityError:
        # another request took the number or address between our look-up and the write
        _refuse_duplicates(conn, columns, not_id)
        raise


def create(conn: Connection, crypt: MultiFernet, kind: str, values: Mapping[str, Any]) -> int:
    """Create a person or organisation and return its id; ``values`` as the form names them."""
    if kind not in CONTRIBUTOR_KINDS:
        raise _bad("kind", "kind must be person or organisation", "Välj person eller organisation.")
    columns = _clean(kind, {"name": None, **values}, crypt)
    stmt = t.contributors.insert().values(kind=kind, **columns).returning(t.contributors.c.id)
    return int(_write(conn, stmt, columns, None)[0].id)


def update(
    conn: Connection, crypt: MultiFernet, contributor_id: int, values: Mapping[str, Any]
) -> ContributorRecord:
    """Change the fields present in ``values``; the kind never changes, a merged one never."""
    current = get(conn, contributor_id)
    if current.merged_into is not None:
        raise DimensionRefused(
            f"contributor {contributor_id} was merged into {current.merged_into}",
            "id",
            f"Givaren är sammanslagen med givare {current.merged_into} och ändras inte.",
        )
    columns = _clean(current.kind, values, crypt)
    if columns:
        c = t.contributors.c
        stmt = t.contributors.update().where(c.id == contributor_id).values(**columns)
        _write(conn, stmt, columns, contributor_id)
    return get(conn, contributor_id)


def get(conn: Connection, contributor_id: int) -> ContributorRecord:
    row = conn.execute(select(*_COLUMNS).where(t.contributors.c.id == contributor_id)).first()
    if row is None:
        raise DimensionNotFound(
            f"no contributor {contributor_id}", "id", f"Givare {contributor_id} finns inte."
        )
    return _record(row)


def search(
    conn: Connection,
    query: str | None = None,
    *,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
    include_merged: bool = False,
) -> tuple[list[ContributorRecord], int]:
    """Contributors whose name, e-mail or organisation number contains ``query``, by name."""
    c = t.contributors.c
    conditions = []
    if query and query.strip():
        like = f"%{query.strip().lower()}%"
        conditions.append(
            or_(func.lower(c.name).like(like), c.email.like(like), c.organisation_number.like(like))
        )
    if kind is not None:
        conditions.append(c.kind == kind)
    if not include_merged:
        conditions.append(c.merged_into.is_(None))
    total = conn.scalar(select(func.count()).select_from(t.contributors).where(*conditions))
    rows = conn.execute(
        select(*_COLUMNS).where(*conditions).order_by(c.name, c.id).limit(limit).offset(offset)
    )
    return [_record(r) for r in rows], int(total or 0)


def _normal(name: str) -> str:
    return " ".join(re.sub(r"[^\w ]", " ", name.lower()).split())


def possible_duplicates(conn: Connection, contributor_id: int) -> list[ContributorRecord]:
    """Active contributors of the same kind with a similar name (for a person to judge)."""
    me = get(conn, contributor_id)
    mine = _normal(me.name)
    words = sorted((w for w in mine.split() if len(w) >= 3), key=len, reverse=True)
    c = t.contributors.c
    query = select(*_COLUMNS).where(c.kind == me.kind, c.id != me.id, c.merged_into.is_(None))
    if words:  # narrow in SQL by the longest word, then compare whole names here
        query = query.where(func.lower(c.name).like(f"%{words[0]}%"))
    found = []
    for row in conn.execute(query.order_by(c.id).limit(500)):
        theirs = _normal(row.name)
        ratio = difflib.SequenceMatcher(None, mine, theirs).ratio()
        if ratio >= SIMILAR or (mine and theirs and (mine in theirs or theirs in mine)):
            found.append(_record(row))
    return found
