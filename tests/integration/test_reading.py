"""Long reads (``reading(engine)``: verify, exports, reports) hold no writer's lock: a post
books at once while one is open, the reader keeps its snapshot, and a write inside it is
refused and changes nothing. On real database files (SQLite) and PostgreSQL."""

from __future__ import annotations

import pytest
from flask.cli import ScriptInfo
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError

from kassan.cli import exports
from kassan.cli.main import main as kassan
from ledger.db import engine as engines
from ledger.db import tables as t
from ledger.errors import IntegrityViolation
from ledger.services import posting
from ledger.services import verify as verify_module
from tests.conftest import BACKEND
from tests.support.ledger import gift

REFUSED = "read-only transaction" if BACKEND == "postgresql" else "readonly database"


def entries(conn: Connection) -> int:
    return conn.scalar(select(func.count()).select_from(t.journal_entries)) or 0


def book(engine, amount_ore: int) -> None:
    with engines.transaction(engine) as conn:
        posting.post(conn, gift(amount_ore))


def test_a_post_books_at_once_while_a_long_read_is_open_and_the_reader_keeps_its_snapshot(
    database_url,
):
    reader, writer = engines.make_engine(database_url), engines.make_engine(database_url)
    book(writer, 100)
    # The busy timeout off for the writer: a post that had to wait for the reader's lock
    # would fail at once with "database is locked" instead of after 30 s.
    with engines.reading(reader) as conn:
        assert entries(conn) == 1
        if BACKEND == "sqlite":
            with writer.connect() as w:
                w.exec_driver_sql("PRAGMA busy_timeout=0")
                w.commit()
        book(writer, 200)
        with writer.connect() as w:
            assert entries(w) == 2
        assert entries(conn) == 1  # still its own snapshot
    with engines.reading(reader) as conn:
        assert entries(conn) == 2
    reader.dispose()
    writer.dispose()


def test_a_write_in_a_read_only_transaction_is_refused_and_changes_nothing(database_url):
    engine = engines.make_engine(database_url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        used = conn.connection.driver_connection
    with pytest.raises(DBAPIError, match=REFUSED), engines.reading(engine) as conn:
        assert conn.connection.driver_connection is used
        conn.execute(text("UPDATE funding_change_mark SET version = version + 1 WHERE id = 1"))
    # The posting service says it in the ledger's words, with the database's reason.
    with pytest.raises(IntegrityViolation, match=REFUSED), engines.reading(engine) as conn:
        posting.post(conn, gift(100))
    with engine.connect() as conn:
        assert entries(conn) == 0
    # The same pooled connection writes again after the refusals.
    with engines.transaction(engine) as conn:
        assert conn.connection.driver_connection is used
        posting.post(conn, gift(100))
    with engines.reading(engine) as conn:
        assert entries(conn) == 1
    with engines.transaction(engine) as conn:
        assert conn.connection.driver_connection is used
        posting.post(conn, gift(200))
        assert entries(conn) == 2
    engine.dispose()


def test_a_read_that_ends_with_an_error_leaves_its_connection_able_to_write(database_url):
    engine = engines.make_engine(database_url, pool_size=1, max_overflow=0)
    with pytest.raises(LookupError), engines.reading(engine) as conn:
        entries(conn)
        raise LookupError("the caller's own error")
    with engines.transaction(engine) as conn:
        posting.post(conn, gift(100))
    with engine.connect() as conn:
        assert entries(conn) == 1
    engine.dispose()


def test_kassan_ledger_verify_and_a_post_during_it_both_succeed(app, engine, monkeypatch):
    book(engine, 100)
    book(engine, 200)
    real = verify_module._Checker.entry
    posted: list[int] = []

    def entry_then_post(self, en):  # type: ignore[no-untyped-def]
        real(self, en)
        if not posted:  # in the middle of verify's walk, from another connection
            book(engine, 300)
            posted.append(en.id)

    monkeypatch.setattr(verify_module._Checker, "entry", entry_then_post)
    # A post that had to wait for verify's lock fails in a second, not after 30 s.
    monkeypatch.setattr(engines, "BUSY_TIMEOUT_MS", 1000)
    result = app.test_cli_runner().invoke(
        kassan, ["ledger", "verify"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert posted, "verify walked no entry"
    assert result.exit_code == 0, result.output
    assert "2 verifikationer" in result.output  # its snapshot, taken before the post
    with engine.connect() as conn:
        assert entries(conn) == 3


def test_kassan_export_sie_and_a_post_during_it_both_succeed(app, engine, monkeypatch, tmp_path):
    book(engine, 100)
    real = exports.sie_export.count_vouchers

    def count_then_post(conn, year):  # type: ignore[no-untyped-def]
        counted = real(conn, year)  # the export's first read: its snapshot
        book(engine, 300)
        return counted

    monkeypatch.setattr(exports.sie_export, "count_vouchers", count_then_post)
    monkeypatch.setattr(engines, "BUSY_TIMEOUT_MS", 1000)
    target = tmp_path / "kassan-2026.se"
    result = app.test_cli_runner().invoke(
        kassan,
        ["export", "sie", "--year", "2026", "-o", str(target)],
        obj=ScriptInfo(create_app=lambda: app),
    )
    assert result.exit_code == 0, result.output
    assert "1 verifikationer, 2 rader" in result.output
    with engine.connect() as conn:
        assert entries(conn) == 2
