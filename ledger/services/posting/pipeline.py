"""One entry on PostgreSQL in two round trips: psycopg's pipeline mode sends the head lock
and the entry's reads together, then the lines, the entry, the kept balances and the new head
together, instead of one round trip per statement. A batch of the sequencer (group commit)
goes the same way: ``batch_writer`` takes the head lock and reads what all its drafts need in
one round trip, ``flush`` writes them in another.

The statements, their order and the head lock are those of ``Writer`` (``post_once``'s path
on SQLite and without pipeline support); only their sending changes. A transaction that has
run nothing yet (psycopg has not even sent ``BEGIN``) gets no savepoint: undoing the post
there is undoing the transaction, so a failure rolls it back instead, which also lets go of
the head lock at once, as ``ROLLBACK TO SAVEPOINT`` does in a transaction that had work before
the post.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger.db import dialect
from ledger.db.schema.metadata import from_stored, to_stored
from ledger.entries import Draft, PostedEntry
from ledger.services import journal
from ledger.services.posting.database_errors import translate
from ledger.services.posting.prepare import ENTRY_COLUMNS, LINE_COLUMNS
from ledger.services.posting.writer import (
    BALANCES_UPSERT,
    BULK_THRESHOLD,
    Reads,
    Writer,
    one_entry_reads,
    one_entry_sql,
)

_HEAD_LOCK = "SELECT last_entry_id, last_hash FROM ledger_head WHERE id = 1 FOR UPDATE"
_HEAD_UPDATE = "UPDATE ledger_head SET last_entry_id = %s, last_hash = %s WHERE id = 1"
_SAVEPOINT = "kassan_post"
# What a batch's drafts need, one statement whatever the batch's size or shape: the source keys
# already booked, which of the accounts, networks, contributors and years exist (a year with
# the day its books are closed through) and each series' last number in its year.
_BATCH_READS = (
    "SELECT "
    "(SELECT coalesce(array_agg(source_key), '{}') FROM journal_entries "
    "WHERE source_key = ANY(%(keys)s::text[])) AS booked, "
    "(SELECT coalesce(array_agg(code), '{}') FROM accounts "
    "WHERE code = ANY(%(accounts)s::text[])) AS accounts, "
    "(SELECT coalesce(json_agg(json_build_array(slug, id)), '[]') FROM networks "
    "WHERE slug = ANY(%(slugs)s::text[])) AS networks, "
    "(SELECT coalesce(array_agg(id), '{}') FROM contributors "
    "WHERE id = ANY(%(people)s::bigint[])) AS people, "
    "(SELECT coalesce(json_agg(json_build_array(year, locked_through)), '[]') FROM fiscal_years "
    "WHERE year = ANY(%(years)s::int[])) AS years, "
    "(SELECT coalesce(json_agg(json_build_array(u.s, u.y, (SELECT max(number) FROM "
    "journal_entries e WHERE e.series = u.s AND e.fiscal_year = u.y))), '[]') "
    "FROM unnest(%(series)s::text[], %(series_years)s::int[]) AS u (s, y)) AS last"
)


@functools.lru_cache(maxsize=32)
def _values(columns: int, rows: int) -> str:
    """``(%s, ...), (%s, ...)``: the rows of one multi-row INSERT. One statement per table,
    not one per row: the journal's statement triggers then run once per post."""
    one = "(" + ", ".join(["%s"] * columns) + ")"
    return ", ".join([one] * rows)


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {_values(len(columns), len(rows))}"


def usable(conn: Connection) -> bool:
    """Whether this connection can post through a pipeline: PostgreSQL over psycopg 3 with a
    libpq that has pipeline mode, and SQLAlchemy's transaction begun (a connection that commits
    as it goes and has run nothing yet takes the ordinary path, whose first statement begins
    it: statements sent past SQLAlchemy would not, and its ``commit`` would then do nothing)."""
    return (
        conn.in_transaction()
        and dialect.is_postgresql(conn)
        and isinstance(conn.connection.driver_connection, psycopg.Connection)
        and psycopg.Pipeline.is_supported()
    )


def post_once(
    conn: Connection, draft: Draft, key: str, created_by: int | None
) -> tuple[PostedEntry, bool]:
    """``booking.post_once`` for a validated draft, its key given: the entry, and whether this
    call booked it."""
    raw: Any = conn.connection.driver_connection
    fresh = raw.info.transaction_status == TransactionStatus.IDLE
    shape, params = one_entry_reads(draft, key)
    try:
        with raw.pipeline(), raw.cursor() as head_cur, raw.cursor() as read_cur:
            if not fresh:
                raw.execute(f"SAVEPOINT {_SAVEPOINT}")
            # Two statements, as in Writer: the reads see what the writer before us committed.
            head_cur.execute(_HEAD_LOCK)
            read_cur.execute(one_entry_sql(*shape, mark="%({})s"), params)
            head = head_cur.fetchone()
            if head is not None:
                head = (head[0], from_stored(head[1]))
            names = [c.name for c in read_cur.description]
            row = dict(zip(names, read_cur.fetchone(), strict=True))
        writer = Writer(conn, created_by, one=(draft, key), read=(head, row))
        if writer.booked_id is not None:
            found = journal.get_entry(conn, writer.booked_id)
            if found is not None:
                _release(raw, fresh)
                return found, False
        entry = writer.prepare(draft, key)
        with raw.pipeline(), raw.cursor() as cur:
            _send_writes(cur, writer)
            if not fresh:
                cur.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    except psycopg.Error as exc:
        _undo(raw, fresh)
        if isinstance(exc, psycopg.IntegrityError):
            found = journal.find_by_source_key(conn, key)
            if found is not None:
                return found, False
            raise translate(IntegrityError(None, None, exc)) from exc
        raise translate(DBAPIError(None, None, exc)) from exc
    except BaseException:
        _undo(raw, fresh)
        raise
    return entry, True


def _send_writes(cur: Any, writer: Writer) -> None:
    """The writer's lines, entries, kept balances and new head, one statement per table, into
    the pipeline ``cur`` belongs to (a single post's and a batch's alike)."""
    lines, balances = writer.line_rows, [(*k, *v) for k, v in writer.balances.items()]
    cur.execute(_insert("journal_lines", LINE_COLUMNS, lines), _flat(lines))
    cur.execute(
        _insert("journal_entries", ENTRY_COLUMNS, writer.entry_rows), _flat(writer.entry_rows)
    )
    cur.execute(BALANCES_UPSERT.format(_values(7, len(balances))), _flat(balances))
    cur.execute(_HEAD_UPDATE, (writer.last_id, to_stored(writer.last_hash, True)))


def _flat(rows: list[tuple[object, ...]]) -> list[object]:
    return [value for row in rows for value in row]


def _release(raw: Any, fresh: bool) -> None:
    if not fresh:
        raw.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")


def _undo(raw: Any, fresh: bool) -> None:
    """Undo what the post did, and let go of the head lock."""
    if fresh:
        raw.rollback()
    else:
        raw.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        raw.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")


def batch_writer(conn: Connection, drafts: list[tuple[Draft, str]]) -> tuple[Writer, set[str]]:
    """For the sequencer's batch, in its fresh transaction: take the head lock and read what
    the drafts (each with its key) need, in one round trip. Returns the writer that numbers
    them and the keys already booked."""
    raw: Any = conn.connection.driver_connection
    lines = [ln for draft, _ in drafts for ln in draft.lines]
    pairs = sorted({(draft.series, draft.date.year) for draft, _ in drafts})
    params = {
        "keys": [key for _, key in drafts],
        "accounts": sorted({ln.account for ln in lines}),
        "slugs": sorted({ln.network for ln in lines if ln.network is not None}),
        "people": sorted({ln.contributor_id for ln in lines if ln.contributor_id is not None}),
        "years": sorted({year for _, year in pairs}),
        "series": [series for series, _ in pairs],
        "series_years": [year for _, year in pairs],
    }
    try:
        with raw.pipeline(), raw.cursor() as head_cur, raw.cursor() as read_cur:
            head_cur.execute(_HEAD_LOCK)
            read_cur.execute(_BATCH_READS, params)
            head = head_cur.fetchone()
            booked, accounts, networks, people, years, last = read_cur.fetchone()
    except psycopg.Error as exc:
        raise translate(DBAPIError(None, None, exc)) from exc
    reads = Reads(
        head=None if head is None else (head[0], from_stored(head[1])),
        accounts=set(accounts),
        networks={slug: nid for slug, nid in networks},
        contributors=set(people),
        years={y: None if locked is None else date.fromisoformat(locked) for y, locked in years},
        numbers={(series, year): number or 0 for series, year, number in last},
    )
    return Writer(conn, None, reads=reads), set(booked)


def flush(conn: Connection, writer: Writer) -> None:
    """Write what the writer queued in one round trip (``Writer.flush``'s statements as one
    multi-row INSERT each); a batch of ``BULK_THRESHOLD`` lines or more goes by COPY."""
    if not writer.entry_rows:
        return
    if len(writer.line_rows) >= BULK_THRESHOLD:
        writer.flush()
        return
    raw: Any = conn.connection.driver_connection
    try:
        with raw.pipeline(), raw.cursor() as cur:
            _send_writes(cur, writer)
    except psycopg.Error as exc:
        raise translate(DBAPIError(None, None, exc)) from exc
