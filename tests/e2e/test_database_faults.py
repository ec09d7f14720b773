"""A database fault of the moment (a lock another transaction holds past the app's wait) answers
503 with ``Retry-After`` and books nothing: JSON on the API and the webhooks, the error page in
Swedish (or English) on pages; the same request sent again after the lock is released books
once. Real faults on both databases: SQLite's write lock held by another connection with the
app's busy wait made short, PostgreSQL's locks held with a short ``lock_timeout`` for the
app's connections. Any other database error still answers 500."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text

from ledger.db import engine as engines
from ledger.db import tables as t
from ledger.services import dimensions, journal, users
from tests.conftest import BACKEND
from tests.e2e.test_donate import form_page, valid
from tests.support.fake_stripe_checkout import stripe_fake_fixture  # noqa: F401 (fixture)
from tests.support.ledger import entry_body
from tests.support.stripe_events import event as stripe_event
from tests.support.stripe_events import signed

ENTRIES = "/api/v1/entries"
HEAD_LOCK = "SELECT 1 FROM ledger_head WHERE id = 1 FOR UPDATE"


@pytest.fixture
def short_waits(app, monkeypatch) -> None:
    """The app gives up on a lock after 100 ms instead of 30 s (SQLite's ``BEGIN IMMEDIATE``
    tries, ``ledger.db.engine``) or never (PostgreSQL's default ``lock_timeout``)."""
    if BACKEND == "sqlite":
        monkeypatch.setattr(engines, "BUSY_TIMEOUT_MS", 100)
        return
    app_engine: Engine = app.extensions["kassan.engine"]
    app_engine.dispose()

    @event.listens_for(app_engine, "connect")
    def _short_lock_timeout(dbapi_conn: Any, _record: Any) -> None:
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        with dbapi_conn.cursor() as cur:
            cur.execute("SET lock_timeout = '100ms'")
        dbapi_conn.autocommit = autocommit


@pytest.fixture
def fred(engine) -> None:
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")


@contextmanager
def lock_held(engine: Engine, postgresql_lock: str) -> Iterator[None]:
    """Another connection holds what the request needs: SQLite's write lock (every transaction
    of the engine begins with ``BEGIN IMMEDIATE``), or on PostgreSQL ``postgresql_lock``."""
    with engine.connect() as conn:
        trans = conn.begin()
        if BACKEND == "postgresql":
            conn.execute(text(postgresql_lock))
        yield
        trans.rollback()


@pytest.fixture
def finance(engine) -> dict[str, str]:
    with engine.begin() as conn:
        users.create_user(conn, "finance@kassan.test", "long-enough-password", "finance")
        token = users.create_token(conn, "finance@kassan.test", "test")
    return {"Authorization": f"Bearer {token}"}


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def warned_with_traceback(caplog: pytest.LogCaptureFixture) -> bool:
    return any(
        r.levelno == logging.WARNING and r.exc_info and "answered 503" in r.getMessage()
        for r in caplog.records
    )


def test_an_entry_posted_while_the_ledger_is_locked_answers_503_and_books_nothing(
    client, engine, finance, short_waits, caplog
):
    with lock_held(engine, HEAD_LOCK):
        refused = client.post(ENTRIES, json=entry_body(), headers=finance)
    assert count(engine, t.journal_entries) == 0
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    error = refused.get_json()["error"]
    assert error["status"] == 503 and error["code"] == "DatabaseBusy"
    assert "nothing was saved" in error["message"] and "in 5 s" in error["message"]
    assert warned_with_traceback(caplog)

    booked = client.post(ENTRIES, json=entry_body(), headers=finance)
    assert booked.status_code == 201
    assert count(engine, t.journal_entries) == 1


def test_the_retry_after_comes_from_the_config(app, client, engine, finance, short_waits):
    app.config["RETRY_AFTER_SECONDS"] = 12
    with lock_held(engine, HEAD_LOCK):
        refused = client.post(ENTRIES, json=entry_body(), headers=finance)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "12"


def test_a_stripe_webhook_while_the_inbox_is_locked_answers_503_so_stripe_sends_it_again(
    app, client, engine, short_waits
):
    app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_kassan_test_secret"
    app.config["STRIPE_WEBHOOK_APPLY"] = "worker"  # stored only; `kassan webhooks work` applies
    body, header = signed(stripe_event("plan.created", {"id": "plan_1", "object": "plan"}))
    post = {
        "data": body,
        "headers": {"Stripe-Signature": header},
        "content_type": "application/json",
    }

    with lock_held(engine, "LOCK TABLE stripe_events IN ACCESS EXCLUSIVE MODE"):
        refused = client.post("/webhooks/stripe", **post)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert refused.get_json()["error"]["code"] == "DatabaseBusy"
    assert count(engine, t.stripe_events) == 0

    again = client.post("/webhooks/stripe", **post)
    assert again.status_code == 200 and again.get_json()["outcome"] == "queued"
    assert count(engine, t.stripe_events) == 1


def _give_while_locked(client, engine, path: str = "/n/fred"):  # type: ignore[no-untyped-def]
    token, gift_id = form_page(client, path)
    with lock_held(engine, "LOCK TABLE gifts IN ACCESS EXCLUSIVE MODE"):
        return client.post(path, data={"csrf_token": token, "gift": gift_id, **valid()})


def test_a_gift_given_while_the_database_is_locked_answers_a_swedish_503_page_and_keeps_nothing(
    client, engine, fred, stripe_fake, short_waits, caplog
):
    response = _give_while_locked(client, engine)

    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "Tillfälligt otillgänglig" in page
    assert "Databasen kunde inte svara just nu. Ingenting har sparats." in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert count(engine, t.gifts) == 0 and stripe_fake.requests == []
    assert warned_with_traceback(caplog)


def test_on_the_english_gift_page_the_503_page_is_in_english(
    client, engine, fred, stripe_fake, short_waits
):
    client.get("/n/fred?lang=en")
    response = _give_while_locked(client, engine)

    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Temporarily unavailable" in page
    assert "The database could not answer just now. Nothing has been saved." in page
    assert "Error code 503." in page and "Databasen" not in page
    assert count(engine, t.gifts) == 0


def test_a_database_error_that_is_no_fault_of_the_moment_still_answers_500(
    app, client, finance, monkeypatch
):
    def broken(conn, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        conn.execute(text("SELECT no_such_column FROM journal_entries"))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(journal, "list_entries", broken)
    response = client.get(ENTRIES, headers=finance)
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert response.get_json()["error"]["code"] == "InternalServerError"
    assert "no_such_column" not in response.get_data(as_text=True)
