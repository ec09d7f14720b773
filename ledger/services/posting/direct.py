"""One entry on SQLite through the driver's own cursor: the statements of ``Writer`` (the
head row, the entry's one read, the lines, the entry, the kept balances, the new head) sent
straight to ``sqlite3``, one multi-row INSERT per table. On SQLite a statement costs
microseconds and building and running it through SQLAlchemy most of a post's time.

SQLite has no row locks: the caller's transaction began with ``BEGIN IMMEDIATE`` (the
engine's ``begin`` hook), so it holds the database's one write lock, which serialises
writers as the head row's lock does on PostgreSQL. A savepoint around the post undoes its
own writes if the database refuses it, and leaves what the caller did before.
"""

from __future__ import annotations

import functools
import sqlite3
from datetime import date
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger.entries import Draft, PostedEntry
from ledger.services import journal
from ledger.services.posting.database_errors import translate
from ledger.services.posting.prepare import ENTRY_COLUMNS, LINE_COLUMNS
from ledger.services.posting.writer import (
    BALANCES_UPSERT,
    Writer,
    one_entry_reads,
    one_entry_sql,
)

_HEAD = "SELECT last_entry_id, last_hash FROM ledger_head WHERE id = 1"
_HEAD_UPDATE = "UPDATE ledger_head SET last_entry_id = ?, last_hash = ? WHERE id = 1"
_SAVEPOINT = "kassan_post"


def usable(conn: Connection) -> bool:
    """Whether this connection posts directly: SQLite through ``sqlite3``, inside
    SQLAlchemy's begun transaction (so ``BEGIN IMMEDIATE`` has been sent)."""
    return conn.in_transaction() and isinstance(
        conn.connection.driver_connection, sqlite3.Connection
    )


@functools.lru_cache(maxsize=32)
def _values(columns: int, rows: int) -> str:
    one = "(" + ", ".join(["?"] * columns) + ")"
    return ", ".join([one] * rows)


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {_values(len(columns), len(rows))}"


def _flat(rows: list[tuple[object, ...]]) -> list[object]:
    return [value for row in rows for value in row]


def post_once(
    conn: Connection, draft: Draft, key: str, created_by: int | None
) -> tuple[PostedEntry, bool]:
    """``booking.post_once`` for a validated draft, its key given: the entry, and whether this
    call booked it."""
    raw: Any = conn.connection.driver_connection
    shape, params = one_entry_reads(draft, key)
    cur = raw.cursor()
    cur.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        head = cur.execute(_HEAD).fetchone()
        found = cur.execute(one_entry_sql(*shape), params)
        row = dict(zip([c[0] for c in found.description], found.fetchone(), strict=True))
        if isinstance(row["locked"], str):  # SQLite keeps dates as ISO text
            row["locked"] = date.fromisoformat(row["locked"])
        writer = Writer(conn, created_by, one=(draft, key), read=(head, row))
        if writer.booked_id is not None:
            booked = journal.get_entry(conn, writer.booked_id)
            if booked is not None:
                cur.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
                return booked, False
        entry = writer.prepare(draft, key)
        lines, balances = writer.line_rows, [(*k, *v) for k, v in writer.balances.items()]
        cur.execute(_insert("journal_lines", LINE_COLUMNS, lines), _flat(lines))
        cur.execute(
            _insert("journal_entries", ENTRY_COLUMNS, writer.entry_rows), _flat(writer.entry_rows)
        )
        cur.execute(BALANCES_UPSERT.format(_values(7, len(balances))), _flat(balances))
        cur.execute(_HEAD_UPDATE, (writer.last_id, writer.last_hash))
        cur.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    except sqlite3.Error as exc:
        _undo(cur)
        if isinstance(exc, sqlite3.IntegrityError):
            again = journal.find_by_source_key(conn, key)
            if again is not None:
                return again, False
            raise translate(IntegrityError(None, None, exc)) from exc
        raise translate(DBAPIError(None, None, exc)) from exc
    except BaseException:
        _undo(cur)
        raise
    finally:
        cur.close()
    return entry, True


def _undo(cur: Any) -> None:
    cur.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
    cur.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
