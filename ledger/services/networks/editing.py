"""Creating and changing a network: the one place that checks its texts, status, countries and
partners, for the pages and the API alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from babel import Locale
from sqlalchemy import Connection

from ledger.db import tables as t
from ledger.errors import DimensionRefused
from ledger.services import dimensions
from ledger.services.networks.details import STATUSES, NetworkDetail, Partner, get

_TEXTS = {"name": (200, "Namn"), "theme": (200, "Tema"), "description": (5000, "Beskrivning")}


def _country(raw: object, field: str) -> str:
    """An ISO 3166 country code, upper case; refused otherwise."""
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
