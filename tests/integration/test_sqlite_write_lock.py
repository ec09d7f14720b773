"""SQLite's write lock: a transaction that finds it taken tries again until it is free (up to
the busy timeout); any other error of ``BEGIN IMMEDIATE`` is raised at once. (That a waiting
post gets in between a bank import's batches is measured by ``bench/importwait.py``.)"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from ledger.db import engine as engines
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's write lock")


def _write(engine: Engine, done: list[str], name: str) -> None:
    with engines.transaction(engine) as conn:
        conn.execute(text("UPDATE funding_change_mark SET version = version + 1 WHERE id = 1"))
    done.append(name)


def test_a_transaction_waits_for_the_write_lock_and_then_takes_it(database_url):
    holder, waiter = engines.make_engine(database_url), engines.make_engine(database_url)
    done: list[str] = []
    with holder.connect() as conn:
        trans = conn.begin()  # BEGIN IMMEDIATE: the write lock
        thread = threading.Thread(target=_write, args=(waiter, done, "waiter"))
        thread.start()
        thread.join(0.2)
        assert thread.is_alive() and done == []  # still waiting, not failed
        trans.commit()
    thread.join(10)
    assert done == ["waiter"]
    holder.dispose()
    waiter.dispose()


def test_an_error_other_than_a_busy_lock_is_raised_at_once(database_url, monkeypatch):
    engine = engines.make_engine(database_url)
    calls = []
    real = engines._busy

    def spy(exc: OperationalError) -> bool:
        calls.append(exc)
        return real(exc)

    monkeypatch.setattr(engines, "_busy", spy)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")  # begins: BEGIN IMMEDIATE
        with pytest.raises(OperationalError):
            engines._begin_immediate(conn)  # a transaction within a transaction: not busy
        assert len(calls) == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == engines.BUSY_TIMEOUT_MS
        conn.rollback()
    engine.dispose()
