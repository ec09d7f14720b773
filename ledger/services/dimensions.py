"""The ledger's dimensions: solidarity networks (the SIE "projekt"), their yearly budgets, and
contributors (the persons and organisations who give).

Journal lines point at these by id; this module is the only writer of their rows. Checks in
Python give typed errors naming the field; the database's UNIQUE and CHECK constraints stay
the guarantee (a duplicate slug is caught from the constraint, not from a look-up first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from ledger.db import dialect
from ledger.db import tables as t
from ledger.errors import DimensionConflict, DimensionNotFound, DimensionRefused

__all__ = [
    "CONTRIBUTOR_KINDS",
    "Budget",
    "Contributor",
    "Network",
    "create_contributor",
    "create_network",
    "find_contributor_by_email",
    "get_budget",
    "get_network_by_slug",
    "list_networks",
    "set_budget",
]

CONTRIBUTOR_KINDS = ("person", "organisation")
_SLUG = re.compile(r"^[a-z0-9-]{2,60}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_NAME = 200
_MAX_EMAIL = 254
_MAX_ORE = 10**15  # as for entries: larger is a typo, not a budget


@dataclass(frozen=True, slots=True)
class Network:
    id: int
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Budget:
    network_id: int
    year: int
    need_ore: int
    sida_ore: int


@dataclass(frozen=True, slots=True)
class Contributor:
    id: int
    kind: str
    name: str
    email: str | None


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise DimensionRefused("a name is required", "name")
    cleaned = " ".join(name.split())
    if len(cleaned) > _MAX_NAME:
        raise DimensionRefused(f"the name is longer than {_MAX_NAME} characters", "name")
    return cleaned


def _email(email: object) -> str | None:
    if email is None or (isinstance(email, str) and not email.strip()):
        return None
    if not isinstance(email, str):
        raise DimensionRefused("the e-mail address must be text", "email")
    cleaned = email.strip().lower()
    if len(cleaned) > _MAX_EMAIL or not _EMAIL.match(cleaned):
        raise DimensionRefused(f"not an e-mail address: {email!r}", "email")
    return cleaned


def _whole_ore(value: object, field: str) -> int:
    # bool is an int subclass; a budget of True öre is a bug.
    if type(value) is not int:
        raise DimensionRefused("amounts are whole öre (integers)", field)
    if value < 0:
        raise DimensionRefused("amounts are never negative", field)
    if value > _MAX_ORE:
        raise DimensionRefused("amount is out of range", field)
    return value


# --- networks ---------------------------------------------------------------------------------


def create_network(conn: Connection, slug: str, name: str) -> int:
    """Create a network and return its id; the slug is its name in URLs and in SIE files."""
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise DimensionRefused(
            "the slug is 2-60 characters of lowercase a-z, digits and '-'", "slug"
        )
    clean_name = _name(name)
    try:
        with conn.begin_nested():
            return conn.execute(
                t.networks.insert().values(slug=slug, name=clean_name).returning(t.networks.c.id)
            ).scalar_one()
    except IntegrityError as exc:
        if get_network_by_slug(conn, slug) is not None:
            raise DimensionConflict(f"a network {slug!r} exists already", "slug") from exc
        raise


def get_network_by_slug(conn: Connection, slug: str) -> Network | None:
    n = t.networks.c
    row = conn.execute(select(n.id, n.slug, n.name).where(n.slug == slug)).first()
    return Network(row.id, row.slug, row.name) if row else None


def list_networks(conn: Connection) -> list[Network]:
    """Every network, by name (as a person looks for one), then slug."""
    n = t.networks.c
    rows = conn.execute(select(n.id, n.slug, n.name).order_by(n.name, n.slug))
    return [Network(r.id, r.slug, r.name) for r in rows]


# --- budgets ----------------------------------------------------------------------------------


def set_budget(conn: Connection, network_id: int, year: int, need_ore: int, sida_ore: int) -> None:
    """Set a network's need for a year and the part of it Sida used to pay (insert or replace)."""
    need = _whole_ore(need_ore, "need_ore")
    sida = _whole_ore(sida_ore, "sida_ore")
    if sida > need:
        raise DimensionRefused("the Sida part cannot be larger than the whole need", "sida_ore")
    if type(year) is not int or not 2000 <= year <= 2100:
        raise DimensionRefused("year must be a year between 2000 and 2100", "year")
    if conn.scalar(select(t.networks.c.id).where(t.networks.c.id == network_id)) is None:
        raise DimensionNotFound(f"no network {network_id}", "network_id")
    stmt = dialect.insert(conn, t.network_budgets).values(
        network_id=network_id, year=year, need_ore=need, sida_ore=sida
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["network_id", "year"],
            set_={"need_ore": stmt.excluded.need_ore, "sida_ore": stmt.excluded.sida_ore},
        )
    )


def get_budget(conn: Connection, network_id: int, year: int) -> Budget | None:
    b = t.network_budgets.c
    row = conn.execute(
        select(b.network_id, b.year, b.need_ore, b.sida_ore).where(
            b.network_id == network_id, b.year == year
        )
    ).first()
    return Budget(row.network_id, row.year, row.need_ore, row.sida_ore) if row else None


# --- contributors -----------------------------------------------------------------------------


def create_contributor(conn: Connection, kind: str, name: str, email: str | None = None) -> int:
    """Create a person or organisation who gives and return its id (e-mail stored lowercase)."""
    if kind not in CONTRIBUTOR_KINDS:
        raise DimensionRefused(f"kind must be one of {', '.join(CONTRIBUTOR_KINDS)}", "kind")
    clean_name = _name(name)
    clean_email = _email(email)
    try:
        with conn.begin_nested():
            return conn.execute(
                t.contributors.insert()
                .values(kind=kind, name=clean_name, email=clean_email)
                .returning(t.contributors.c.id)
            ).scalar_one()
    except IntegrityError as exc:
        # the e-mail address is unique among contributors not merged away (migration 0007)
        found = find_contributor_by_email(conn, clean_email) if clean_email else None
        if found is not None:
            raise DimensionConflict(
                f"the e-mail address belongs already to {found.name} (contributor {found.id})",
                "email",
                f"E-postadressen finns redan hos {found.name} (givare {found.id}).",
            ) from exc
        raise


def find_contributor_by_email(conn: Connection, email: str) -> Contributor | None:
    """The contributor with this e-mail address (without case), or None.

    A contributor merged away is answered with the one it was merged into, so a returning
    donor's next gift lands on the surviving record.
    """
    if not isinstance(email, str) or not email.strip():
        return None
    c = t.contributors.c
    found = conn.execute(
        select(c.id)
        .where(c.email == email.strip().lower())
        .order_by(c.merged_into.is_not(None), c.id)
        .limit(1)
    ).scalar()
    # merges form a chain (B into A, later A into C); follow it to its end
    seen: set[int] = set()
    row = None
    while found is not None and found not in seen:
        seen.add(found)
        row = conn.execute(
            select(c.id, c.kind, c.name, c.email, c.merged_into).where(c.id == found)
        ).one()
        found = row.merged_into
    return Contributor(row.id, row.kind, row.name, row.email) if row else None
