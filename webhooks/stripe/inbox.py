"""The Stripe webhook inbox: every verified event is stored first, then applied, each in its own
transaction, so that a crash between the two loses nothing and a duplicate books nothing.

* ``store`` inserts the event; the primary key on Stripe's event id catches a duplicate
  (``ON CONFLICT DO NOTHING``), never a look-up first.
* ``apply`` takes the stored event under a row lock (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), runs its handler and marks it
  processed in the same transaction. A failing handler rolls back; the failure is then
  written down (``attempts + 1``, ``last_error``) and the event waits for a retry.
* ``retry_pending`` applies waiting events, oldest first: after each delivery (a few) and
  from ``kassan webhooks retry`` (all).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import stripe
from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ledger.db import tables as t
from ledger.db.engine import is_postgresql
from ledger.errors import LedgerError
from webhooks.stripe import handlers
from webhooks.stripe.client import StripeNotConfigured
from webhooks.stripe.context import Context

log = logging.getLogger(__name__)

AUTO_RETRY_LIMIT = 5  # older waiting events applied after each delivery
AUTO_RETRY_MAX_ATTEMPTS = 10  # past this, only ``kassan webhooks retry`` tries again
_MAX_ERROR = 2000

# What a handler may fail with: the ledger refusing, Stripe's API, the database, or an event
# whose fields are missing or not of the shape the pinned API version promises. Anything
# else propagates (a 500, so Stripe delivers the stored event again).
HANDLER_ERRORS: tuple[type[Exception], ...] = (
    LedgerError,
    stripe.StripeError,
    StripeNotConfigured,
    SQLAlchemyError,
    AttributeError,
    LookupError,
    TypeError,
    ValueError,
)


class Outcome(StrEnum):
    PROCESSED = "processed"  # applied now (or an unhandled type, marked processed)
    DONE_BEFORE = "done_before"  # already processed, or being processed by another worker
    FAILED = "failed"  # the handler failed; the event waits in the inbox


class InvalidEvent(ValueError):
    """A verified body that is not a Stripe event."""


def parse(payload: bytes) -> dict[str, Any]:
    """The event in a verified body; ``InvalidEvent`` if it lacks an event's fields."""
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise InvalidEvent("the body is not JSON") from exc
    if not isinstance(event, dict) or event.get("object") != "event":
        raise InvalidEvent("the body is not a Stripe event")
    for name, kind in (("id", str), ("type", str), ("created", int)):
        if not isinstance(event.get(name), kind):
            raise InvalidEvent(f"the event has no valid {name!r}")
    return event


def store(engine: Engine, event: Mapping[str, Any], payload: bytes) -> bool:
    """Store a verified event; False if it was stored before (the database says so)."""
    insert = pg_insert if is_postgresql(engine) else sqlite_insert
    with engine.begin() as conn:
        stored = conn.scalar(
            insert(t.stripe_events)
            .values(
                id=event["id"],
                type=event["type"],
                livemode=bool(event.get("livemode")),
                created=event["created"],
                payload=payload.decode("utf-8"),
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(t.stripe_events.c.id)
        )
    return stored is not None


def apply(engine: Engine, config: Mapping[str, Any], event_id: str) -> Outcome:
    """Apply a stored event once; a failure is recorded on the event and not raised."""
    e = t.stripe_events.c
    try:
        with engine.begin() as conn:
            query = select(e.payload).where(e.id == event_id, e.processed_at.is_(None))
            if is_postgresql(conn):
                query = query.with_for_update(skip_locked=True)
            payload = conn.scalar(query)
            if payload is None:
                return Outcome.DONE_BEFORE
            handlers.handle(Context(conn, config), json.loads(payload))
            conn.execute(
                t.stripe_events.update()
                .where(e.id == event_id)
                .values(
                    processed_at=func.current_timestamp(),
                    attempts=e.attempts + 1,
                    last_error=None,
                )
            )
    except HANDLER_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR]
        log.warning("Stripe event %s failed and waits in the inbox: %s", event_id, error)
        with engine.begin() as conn:
            conn.execute(
                t.stripe_events.update()
                .where(e.id == event_id, e.processed_at.is_(None))
                .values(attempts=e.attempts + 1, last_error=error)
            )
        return Outcome.FAILED
    return Outcome.PROCESSED


def pending(
    engine: Engine, *, limit: int | None = None, max_attempts: int | None = None
) -> list[str]:
    """Ids of events stored but not processed, oldest first."""
    e = t.stripe_events.c
    query = select(e.id).where(e.processed_at.is_(None)).order_by(e.received_at, e.id)
    if max_attempts is not None:
        query = query.where(e.attempts < max_attempts)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return list(conn.scalars(query))


def retry_pending(
    engine: Engine,
    config: Mapping[str, Any],
    *,
    limit: int | None = None,
    max_attempts: int | None = None,
    skip: str | None = None,
) -> dict[Outcome, int]:
    """Apply waiting events oldest first; returns how many ended how."""
    counts = dict.fromkeys(Outcome, 0)
    for event_id in pending(engine, limit=limit, max_attempts=max_attempts):
        if event_id != skip:
            counts[apply(engine, config, event_id)] += 1
    return counts


def receive(
    engine: Engine, config: Mapping[str, Any], event: Mapping[str, Any], payload: bytes
) -> Outcome:
    """A verified delivery: store, apply, then give a few older waiting events another go."""
    if not store(engine, event, payload):
        log.info("Stripe event %s was delivered again", event["id"])
    outcome = apply(engine, config, event["id"])
    if outcome is Outcome.PROCESSED:
        # Something new was booked or learnt: events that waited for it may go through now.
        retry_pending(
            engine,
            config,
            limit=AUTO_RETRY_LIMIT,
            max_attempts=AUTO_RETRY_MAX_ATTEMPTS,
            skip=event["id"],
        )
    return outcome
