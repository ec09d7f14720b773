"""Engines and transactions for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of one failing half-way
(SQLAlchemy's documented recipe for pysqlite). A transaction waiting for that lock tries again
every 2 ms (``_begin_immediate``), not through SQLite's busy handler, whose waits grow to 100 ms
between tries: against a writer that takes the lock again a few milliseconds after each commit
(a bank import's next batch) those tries kept missing the gaps, and an API post waited 1.5 s
(issue 12's goal: under 1 s). PostgreSQL uses psycopg 3.

Work that only reads and may be long (``kassan ledger verify``, the SIE and beancount exports,
reports) opens its transaction with ``reading(engine)`` instead: on SQLite a plain deferred
``BEGIN`` (WAL gives it one snapshot from its first read and it never takes the write lock, so
writers go on booking meanwhile) with ``PRAGMA query_only=ON`` for its duration, so a write in
it is refused rather than waiting for the lock; on PostgreSQL ``REPEATABLE READ, READ ONLY``,
one snapshot for the whole read and a write refused by the server. A writing transaction is
not changed by any of this.
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

from ledger.db import dialect

READ_ONLY = "kassan_read_only"  # execution option: this connection's transactions only read
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
        if _read_only(conn):
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("PRAGMA query_only=ON")
        else:
            _begin_immediate(conn)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn: Connection) -> None:
        # Before the COMMIT or ROLLBACK, on the driver's connection (a statement through
        # ``conn`` here would run its events again): the pooled connection goes back able to
        # write, whichever way the read-only transaction ended.
        driver = None if conn.invalidated else conn.connection.driver_connection
        if driver is not None and _read_only(conn):
            driver.execute("PRAGMA query_only=OFF")


def _read_only(conn: Connection) -> bool:
    return bool(conn.get_execution_options().get(READ_ONLY))


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
def reading(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads: one consistent snapshot of the database for the whole
    block, which never holds or waits for a writer's lock; a write in it is refused by the
    database (SQLite: "attempt to write a readonly database"; PostgreSQL: "cannot execute ...
    in a read-only transaction", SQLSTATE 25006) and changes nothing."""
    with engine.connect() as conn:
        if dialect.is_postgresql(conn):
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        else:
            conn.execution_options(**{READ_ONLY: True})
        with conn.begin():
            yield conn


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: commits when the block ends normally, rolls back otherwise."""
    with engine.begin() as conn:
        yield conn
