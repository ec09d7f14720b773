"""Engines and transactions for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of one failing half-way
(SQLAlchemy's documented recipe for pysqlite). A transaction waiting for that lock tries again
every 2 ms (``_begin_immediate``), not through SQLite's busy handler, whose waits grow to 100 ms
between tries: against a writer that takes the lock again a few milliseconds after each commit
(a bank import's next batch) those tries kept missing the gaps, and an API post waited 1.5 s
(issue 12's goal: under 1 s). PostgreSQL uses psycopg 3.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

BUSY_TIMEOUT_MS = 30_000  # how long a transaction waits for SQLite's write lock in all
_RETRY_S = 0.002  # between two tries for it


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        _begin_immediate(conn)


def _busy(exc: OperationalError) -> bool:
    """SQLite's own code for a lock another connection holds (SQLITE_BUSY and its variants)."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def _begin_immediate(conn: Connection) -> None:
    """``BEGIN IMMEDIATE``, tried every ``_RETRY_S`` for up to ``BUSY_TIMEOUT_MS``; the busy
    timeout is off for the tries only, so a statement inside the transaction waits as before."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(_RETRY_S)
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: commits when the block ends normally, rolls back otherwise."""
    with engine.begin() as conn:
        yield conn
