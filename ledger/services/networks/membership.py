"""Membership: which organisations take part in a network, and what they give besides money
(expert roles, study circles, campaigns) year by year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.errors import DimensionConflict, DimensionNotFound, DimensionRefused
from ledger.services.networks.details import get

COMMITMENT_KINDS = ("expert_role", "study_circle", "campaign", "other")


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
