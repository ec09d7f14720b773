"""Reading journal entries back: by id, by source key, and filtered lists for the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, exists, func, select

from ledger.db import dialect
from ledger.db import tables as t
from ledger.entries import PostedEntry, PostedLine

# The ``journal_lines`` columns a ``PostedLine`` is made of (they share their names), for
# every query that reads lines.
LINE_COLUMNS = tuple(t.journal_lines.c[name] for name in PostedLine._fields)


def _lines_for(conn: Connection, entry_ids: list[int]) -> dict[int, list[PostedLine]]:
    out: dict[int, list[PostedLine]] = {i: [] for i in entry_ids}
    ln = t.journal_lines.c
    for part in dialect.chunks(entry_ids):
        rows = conn.execute(
            select(ln.entry_id, *LINE_COLUMNS)
            .where(ln.entry_id.in_(part))
            .order_by(ln.entry_id, ln.line_no)
        )
        for r in rows:
            out[r.entry_id].append(posted_line(r))
    return out


def posted_line(r: Any) -> PostedLine:
    """The line of a row read from ``journal_lines`` (its columns by their own names)."""
    return PostedLine(
        r.line_no,
        r.account,
        r.debit_ore,
        r.credit_ore,
        r.currency,
        r.network_id,
        r.contributor_id,
    )


_reversal = t.journal_entries.alias("reversal")
_ENTRY_SELECT = select(t.journal_entries, _reversal.c.id.label("reversed_by_id")).select_from(
    t.journal_entries.outerjoin(_reversal, _reversal.c.reverses_id == t.journal_entries.c.id)
)


def _entries(conn: Connection, rows: Iterable[RowMapping]) -> list[PostedEntry]:
    rows = list(rows)
    lines = _lines_for(conn, [r["id"] for r in rows])
    return [
        PostedEntry(
            id=r["id"],
            series=r["series"],
            number=r["number"],
            fiscal_year=r["fiscal_year"],
            date=r["date"],
            text=r["text"],
            source_kind=r["source_kind"],
            source_key=r["source_key"],
            reverses_id=r["reverses_id"],
            prev_hash=r["prev_hash"],
            hash=r["hash"],
            lines=tuple(lines[r["id"]]),
            reversed_by_id=r["reversed_by_id"],
        )
        for r in rows
    ]


def get_entry(conn: Connection, entry_id: int) -> PostedEntry | None:
    rows = conn.execute(_ENTRY_SELECT.where(t.journal_entries.c.id == entry_id)).mappings()
    found = _entries(conn, rows)
    return found[0] if found else None


def find_by_source_key(conn: Connection, key: str) -> PostedEntry | None:
    rows = conn.execute(_ENTRY_SELECT.where(t.journal_entries.c.source_key == key)).mappings()
    found = _entries(conn, rows)
    return found[0] if found else None


def booked_source_keys(conn: Connection, keys: list[str]) -> set[str]:
    """Which of these source keys are booked already (one indexed look-up per key)."""
    c = t.journal_entries.c
    found: set[str] = set()
    if dialect.is_postgresql(conn):
        # In a long bulk transaction the planner's statistics lag behind the table and it
        # would scan the whole table once per batch; the unique index is always right here.
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        try:
            found.update(
                conn.scalars(select(c.source_key).where(dialect.among(conn, c.source_key, keys)))
            )
        finally:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = on")
        return found
    for part in dialect.chunks(keys):
        found.update(conn.scalars(select(c.source_key).where(c.source_key.in_(part))))
    return found


@dataclass(frozen=True, slots=True)
class EntryFilter:
    date_from: date | None = None
    date_to: date | None = None
    account: str | None = None
    network_id: int | None = None
    series: str | None = None
    contributor_kind: str | None = None  # only entries with a line of a contributor of this kind


def list_entries(
    conn: Connection, flt: EntryFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[PostedEntry], int]:
    """A page of entries (newest first) matching the filter, and how many match in all."""
    e = t.journal_entries.c
    conds = []
    if flt.date_from is not None:
        conds.append(e.date >= flt.date_from)
    if flt.date_to is not None:
        conds.append(e.date <= flt.date_to)
    if flt.series is not None:
        conds.append(e.series == flt.series)
    ln = t.journal_lines.c
    if flt.account is not None:
        conds.append(exists().where(and_(ln.entry_id == e.id, ln.account == flt.account)))
    if flt.network_id is not None:
        conds.append(exists().where(and_(ln.entry_id == e.id, ln.network_id == flt.network_id)))
    if flt.contributor_kind is not None:
        c = t.contributors.c
        kind_ids = select(c.id).where(c.kind == flt.contributor_kind)
        conds.append(exists().where(and_(ln.entry_id == e.id, ln.contributor_id.in_(kind_ids))))
    where = and_(True, *conds)
    total = conn.scalar(select(func.count()).select_from(t.journal_entries).where(where)) or 0
    rows = conn.execute(
        _ENTRY_SELECT.where(where).order_by(e.id.desc()).limit(limit).offset(offset)
    ).mappings()
    return _entries(conn, rows), total


def account_codes(conn: Connection) -> set[str]:
    return set(conn.scalars(select(t.accounts.c.code)))


def network_slugs(conn: Connection) -> dict[int, str]:
    return {r.id: r.slug for r in conn.execute(select(t.networks.c.id, t.networks.c.slug))}


def network_names(conn: Connection) -> dict[int, str]:
    """What people call each network (the ledger's pages show names, never slugs)."""
    return {r.id: r.name for r in conn.execute(select(t.networks.c.id, t.networks.c.name))}


def network_id(conn: Connection, slug: str) -> int | None:
    return conn.scalar(select(t.networks.c.id).where(t.networks.c.slug == slug))


def fiscal_year_locks(conn: Connection) -> dict[int, date | None]:
    fy = t.fiscal_years.c
    return {r.year: r.locked_through for r in conn.execute(select(fy.year, fy.locked_through))}


def last_number(conn: Connection, series: str, year: int) -> int:
    e = t.journal_entries.c
    return (
        conn.scalar(select(func.max(e.number)).where(e.series == series, e.fiscal_year == year))
        or 0
    )


def existing_contributors(conn: Connection, ids: set[int]) -> set[int]:
    c = t.contributors.c
    found: set[int] = set()
    wanted = sorted(ids)
    for part in dialect.chunks(wanted):
        found.update(conn.scalars(select(c.id).where(c.id.in_(part))))
    return found
