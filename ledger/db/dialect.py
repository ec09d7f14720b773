"""What differs between SQLite (the embedded default) and PostgreSQL (production), in one place.

Services ask here instead of testing the dialect themselves:

- ``is_postgresql``: for the few branches that really differ (row locks, bulk statements);
- ``chunks`` and ``among``: a membership test over many values. SQLite caps the bound parameters
  of one statement, so long lists go in chunks; PostgreSQL takes one array parameter
  (``= ANY``), since psycopg spends longer preparing a query with thousands of placeholders
  than the server spends running it;
- ``insert``: the dialect's INSERT, which both give ``on_conflict_do_nothing`` and
  ``on_conflict_do_update``: a write that must happen once is made once by the database's
  UNIQUE constraint, never by a look-up first;
- ``copy_rows``: PostgreSQL's COPY of many rows, failing as an ``execute`` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Engine, Table, any_, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError

__all__ = ["IN_CHUNK", "among", "chunks", "copy_rows", "insert", "is_postgresql"]

IN_CHUNK = 900  # values per IN (...): under SQLite's old limit of 999 bound parameters

V = TypeVar("V")


def is_postgresql(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "postgresql"


def chunks(values: Sequence[V], size: int = IN_CHUNK) -> list[Sequence[V]]:
    """``values`` in slices of at most ``size``, for one ``IN (...)`` each."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def among(conn: Connection, column: Any, values: Iterable[Any]) -> Any:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter."""
    if is_postgresql(conn):
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(list(values))


def insert(conn: Connection | Engine, table: Table) -> Any:
    """The dialect's ``INSERT INTO table``, with ``on_conflict_do_nothing``/``_do_update``."""
    if is_postgresql(conn):
        return postgresql.insert(table)
    return sqlite.insert(table)


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """``COPY table (columns) FROM STDIN`` of ``rows`` in ``conn``'s transaction (PostgreSQL).

    The COPY goes past SQLAlchemy to psycopg, so its errors are raised here as SQLAlchemy's
    (``DBAPIError``, as ``IntegrityError``, ``OperationalError``, ... by the driver's kind), as an
    ``execute`` raises them: a trigger's refusal is then translated like any other, and a lost
    connection is a database error the caller's retry handles, not a bug of ours."""
    raw: Any = conn.connection.dbapi_connection
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    try:
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, None, exc, psycopg.Error, dialect=conn.dialect) from exc
