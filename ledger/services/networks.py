"""Solidarity networks in full: theme, description, status, the countries they work in
(ISO 3166 codes, named in Swedish through Babel), their partner organisations, yearly budgets,
and membership: which organisations take part and what they give besides money.

``ledger.services.dimensions`` keeps creating the network row and its budget; this module adds
the rest and is the one place that checks those fields, for the pages and the API alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel import Locale
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.errors import DimensionConflict, DimensionNotFound, DimensionRefused
from ledger.services import dimensions
from ledger.services.dimensions import Budget
from ledger.statuses import NetworkStatus

__all__ = [
    "COMMITMENT_KINDS",
    "STATUSES",
    "Commitment",
    "Membership",
    "NetworkDetail",
    "Partner",
    "add_commitment",
    "budgets",
    "country_name",
    "create",
    "get",
    "join",
    "list_all",
    "memberships",
    "update",
]

STATUSES = tuple(NetworkStatus)
COMMITMENT_KINDS = ("expert_role", "study_circle", "campaign", "other")
_TEXTS = {"name": (200, "Namn"), "theme": (200, "Tema"), "description": (5000, "Beskrivning")}


@dataclass(frozen=True, slots=True)
class Partner:
    name: str
    country: str


@dataclass(frozen=True, slots=True)
class NetworkDetail:
    id: int
    slug: str
    name: str
    theme: str | None
    description: str | None
    status: str
    countries: tuple[str, ...]
    partners: tuple[Partner, ...]


@dataclass(frozen=True, slots=True)
class Commitment:
    id: int
    kind: str
    year: int
    hours: int | None
    count: int | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Membership:
    id: int
    network_id: int
    network_slug: str
    contributor_id: int
    contributor_name: str
    joined_on: date
    commitments: tuple[Commitment, ...]


def country_name(code: str, locale: str = "sv") -> str:
    """``CO`` as ``Colombia``; an unknown code is shown as it is."""
    return str(Locale.parse(locale).territories.get(code, code))


def _country(raw: object, field: str) -> str:
    code = raw.strip().upper() if isinstance(raw, str) else ""
    # two letters: Babel also names regions by three digits ("419"), which are not countries
    if len(code) != 2 or not code.isalpha() or code not in Locale("sv").territories:
        raise DimensionRefused(
            f"not an ISO 3166 country code: {raw!r}",
            field,
            f"Land: {raw!r} är ingen landskod (ISO 3166, till exempel CO).",
        )
    return code


def _text(values: Mapping[str, Any], field: str) -> str | None:
    raw = values.get(field)
    longest, sv_name = _TEXTS[field]
    if raw is not None and not isinstance(raw, str):
        raise DimensionRefused(f"{field} must be text", field, f"{sv_name} måste vara text.")
    cleaned = raw.strip() if raw else ""
    if len(cleaned) > longest:
        raise DimensionRefused(
            f"{field} is longer than {longest} characters",
            field,
            f"{sv_name} får vara högst {longest} tecken.",
        )
    return cleaned or None


def _partners(raw: object) -> list[Partner]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise DimensionRefused("partners is a list", "partners", "Partner: en lista.")
    out: dict[str, Partner] = {}
    for i, item in enumerate(raw):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
            raise DimensionRefused(
                "a partner needs a name of at most 200 characters",
                f"partners[{i}].name",
                f"Partner {i + 1}: skriv organisationens namn (högst 200 tecken).",
            )
        country = _country(
            item.get("country") if isinstance(item, Mapping) else None, f"partners[{i}].country"
        )
        out[name.strip()] = Partner(" ".join(name.split()), country)
    return list(out.values())


def create(conn: Connection, values: Mapping[str, Any]) -> int:
    """Create a network from ``slug`` and ``name`` plus any field ``update`` takes."""
    network_id = dimensions.create_network(conn, values.get("slug"), values.get("name"))  # type: ignore[arg-type]
    rest = {k: v for k, v in values.items() if k not in ("slug", "name")}
    if rest:
        update(conn, network_id, rest)
    return network_id


def update(conn: Connection, network_id: int, values: Mapping[str, Any]) -> NetworkDetail:
    """Change the fields present in ``values``; countries and partners are replaced whole."""
    get(conn, network_id)
    columns: dict[str, Any] = {}
    if "name" in values:
        name = _text(values, "name")
        if name is None:
            raise DimensionRefused("a name is required", "name", "Namn: skriv ett namn.")
        columns["name"] = name
    for field in ("theme", "description"):
        if field in values:
            columns[field] = _text(values, field)
    if "status" in values:
        if values["status"] not in STATUSES:
            raise DimensionRefused(
                f"status must be one of {', '.join(STATUSES)}",
                "status",
                "Status: välj aktivt, vilande eller avslutat.",
            )
        columns["status"] = values["status"]
    if columns:
        conn.execute(t.networks.update().where(t.networks.c.id == network_id).values(**columns))
    if "countries" in values:
        raw = values["countries"]
        if not isinstance(raw, Sequence) or isinstance(raw, str):
            raise DimensionRefused("countries is a list", "countries", "Länder: en lista.")
        codes = sorted({_country(code, f"countries[{i}]") for i, code in enumerate(raw)})
        nc = t.network_countries
        conn.execute(nc.delete().where(nc.c.network_id == network_id))
        if codes:
            conn.execute(nc.insert(), [{"network_id": network_id, "country": c} for c in codes])
    if "partners" in values:
        partners = _partners(values["partners"])
        np_ = t.network_partners
        conn.execute(np_.delete().where(np_.c.network_id == network_id))
        if partners:
            conn.execute(
                np_.insert(),
                [
                    {"network_id": network_id, "name": p.name, "country": p.country}
                    for p in partners
                ],
            )
    return get(conn, network_id)


def _details(conn: Connection, rows: list[Any]) -> list[NetworkDetail]:
    ids = [r.id for r in rows]
    countries: dict[int, list[str]] = {i: [] for i in ids}
    partners: dict[int, list[Partner]] = {i: [] for i in ids}
    nc, np_ = t.network_countries.c, t.network_partners.c
    for r in conn.execute(
        select(nc.network_id, nc.country).where(nc.network_id.in_(ids)).order_by(nc.country)
    ):
        countries[r.network_id].append(r.country)
    for p in conn.execute(
        select(np_.network_id, np_.name, np_.country)
        .where(np_.network_id.in_(ids))
        .order_by(np_.name)
    ):
        partners[p.network_id].append(Partner(p.name, p.country))
    return [
        NetworkDetail(
            r.id,
            r.slug,
            r.name,
            r.theme,
            r.description,
            r.status,
            tuple(countries[r.id]),
            tuple(partners[r.id]),
        )
        for r in rows
    ]


def _select() -> Any:
    n = t.networks.c
    return select(n.id, n.slug, n.name, n.theme, n.description, n.status)


def get(conn: Connection, network_id: int) -> NetworkDetail:
    row = conn.execute(_select().where(t.networks.c.id == network_id)).first()
    if row is None:
        raise DimensionNotFound(f"no network {network_id}", "id", "Nätverket finns inte.")
    return _details(conn, [row])[0]


def list_all(conn: Connection) -> list[NetworkDetail]:
    n = t.networks.c
    return _details(conn, list(conn.execute(_select().order_by(n.name, n.slug))))


def budgets(conn: Connection, network_id: int) -> list[Budget]:
    """The network's budgets, newest year first."""
    b = t.network_budgets.c
    rows = conn.execute(
        select(b.network_id, b.year, b.need_ore, b.sida_ore)
        .where(b.network_id == network_id)
        .order_by(b.year.desc())
    )
    return [Budget(r.network_id, r.year, r.need_ore, r.sida_ore) for r in rows]


# --- membership -------------------------------------------------------------------------------


def join(conn: Connection, network_id: int, contributor_id: int, joined_on: date) -> int:
    """An organisation takes part in a network from ``joined_on``; returns the membership id."""
    get(conn, network_id)
    c = t.contributors.c
    who = conn.execute(select(c.kind, c.merged_into).where(c.id == contributor_id)).first()
    if who is None or who.merged_into is not None:
        raise DimensionNotFound(
            f"no contributor {contributor_id}", "contributor_id", "Organisationen finns inte."
        )
    if who.kind != "organisation":
        raise DimensionRefused(
            "only organisations are members of a network",
            "contributor_id",
            "Organisation: bara organisationer kan vara medlemmar i ett nätverk.",
        )
    if not isinstance(joined_on, date):
        raise DimensionRefused("joined_on must be a date", "joined_on", "Datum: ange ett datum.")
    m = t.network_memberships
    try:
        with conn.begin_nested():
            return int(
                conn.execute(
                    m.insert()
                    .values(
                        network_id=network_id, contributor_id=contributor_id, joined_on=joined_on
                    )
                    .returning(m.c.id)
                ).scalar_one()
            )
    except IntegrityError as exc:
        raise DimensionConflict(
            "the organisation is a member of this network already",
            "contributor_id",
            "Organisation: är redan medlem i nätverket.",
        ) from exc


def _count(value: object, field: str, sv_name: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= 1_000_000:
        raise DimensionRefused(
            f"{field} is a whole number from 0", field, f"{sv_name}: ett heltal, 0 eller mer."
        )
    return value


def add_commitment(
    conn: Connection,
    membership_id: int,
    kind: str,
    year: int,
    *,
    hours: int | None = None,
    count: int | None = None,
    note: str | None = None,
) -> int:
    """Record what a member gives besides money in a year: an expert role, a study circle..."""
    m = t.network_memberships.c
    if conn.scalar(select(m.id).where(m.id == membership_id)) is None:
        raise DimensionNotFound(
            f"no membership {membership_id}", "membership_id", "Medlemskapet finns inte."
        )
    if kind not in COMMITMENT_KINDS:
        raise DimensionRefused(
            f"kind must be one of {', '.join(COMMITMENT_KINDS)}",
            "kind",
            "Typ: välj expertroll, studiecirkel, kampanj eller annat.",
        )
    if type(year) is not int or not 2000 <= year <= 2100:
        raise DimensionRefused("year must be between 2000 and 2100", "year", "År: 2000–2100.")
    hours = _count(hours, "hours", "Timmar")
    count = _count(count, "count", "Antal")
    if hours is None and count is None:
        raise DimensionRefused("give hours or a count", "hours", "Timmar: ange timmar eller antal.")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise DimensionRefused(
            "note is at most 500 characters", "note", "Notering: högst 500 tecken."
        )
    mc = t.membership_commitments
    return int(
        conn.execute(
            mc.insert()
            .values(
                membership_id=membership_id,
                kind=kind,
                year=year,
                hours=hours,
                count=count,
                note=(note or "").strip() or None,
            )
            .returning(mc.c.id)
        ).scalar_one()
    )


def memberships(
    conn: Connection, *, network_id: int | None = None, contributor_id: int | None = None
) -> list[Membership]:
    """Memberships with their commitments, by network then organisation name."""
    m, n, c = t.network_memberships.c, t.networks.c, t.contributors.c
    query = (
        select(m.id, m.network_id, n.slug, m.contributor_id, c.name, m.joined_on)
        .join_from(t.network_memberships, t.networks, n.id == m.network_id)
        .join(t.contributors, c.id == m.contributor_id)
    )
    if network_id is not None:
        query = query.where(m.network_id == network_id)
    if contributor_id is not None:
        query = query.where(m.contributor_id == contributor_id)
    rows = list(conn.execute(query.order_by(n.name, c.name, m.id)))
    mc = t.membership_commitments.c
    found: dict[int, list[Commitment]] = {r.id: [] for r in rows}
    if rows:
        for k in conn.execute(
            select(
                mc.id, mc.membership_id, mc.kind, mc.year, mc.hours, mc.count.label("n"), mc.note
            )
            .where(mc.membership_id.in_(list(found)))
            .order_by(mc.year.desc(), mc.id)
        ):
            found[k.membership_id].append(Commitment(k.id, k.kind, k.year, k.hours, k.n, k.note))
    return [
        Membership(
            r.id, r.network_id, r.slug, r.contributor_id, r.name, r.joined_on, tuple(found[r.id])
        )
        for r in rows
    ]
