"""A network in full as read: theme, description, status, the countries it works in (ISO 3166
codes, named in Swedish through Babel), its partner organisations, and its yearly budgets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel import Locale
from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.errors import DimensionNotFound
from ledger.services.dimensions import Budget
from ledger.statuses import NetworkStatus

STATUSES = tuple(NetworkStatus)


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


def country_name(code: str, locale: str = "sv") -> str:
    """``CO`` as ``Colombia``; an unknown code is shown as it is."""
    return str(Locale.parse(locale).territories.get(code, code))


def with_details(conn: Connection, rows: list[Any]) -> list[NetworkDetail]:
    """The rows' networks with their countries and partners, read in two queries for all."""
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


def select_networks() -> Any:
    """The network columns a ``NetworkDetail`` is made from."""
    n = t.networks.c
    return select(n.id, n.slug, n.name, n.theme, n.description, n.status)


def get(conn: Connection, network_id: int) -> NetworkDetail:
    """The network in full; ``DimensionNotFound`` for an unknown id."""
    row = conn.execute(select_networks().where(t.networks.c.id == network_id)).first()
    if row is None:
        raise DimensionNotFound(f"no network {network_id}", "id", "Nätverket finns inte.")
    return with_details(conn, [row])[0]


def list_all(conn: Connection) -> list[NetworkDetail]:
    """Every network in full, by name."""
    n = t.networks.c
    return with_details(conn, list(conn.execute(select_networks().order_by(n.name, n.slug))))


def budgets(conn: Connection, network_id: int) -> list[Budget]:
    """The network's budgets, newest year first."""
    b = t.network_budgets.c
    rows = conn.execute(
        select(b.network_id, b.year, b.need_ore, b.sida_ore)
        .where(b.network_id == network_id)
        .order_by(b.year.desc())
    )
    return [Budget(r.network_id, r.year, r.need_ore, r.sida_ore) for r in rows]
