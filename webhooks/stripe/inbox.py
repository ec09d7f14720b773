"""The Stripe webhook inbox: every verified event is stored first, then applied, each in its own
transaction, so that a crash between the two loses nothing and a duplicate books nothing.

* ``store`` inserts the event; the primary key on Stripe's event id catches a duplicate
  (``ON CONFLICT DO NOTHING``), never a look-up first.
* ``apply`` reads the stored event, asks Stripe what its handler needs (no transaction open),
  then takes the event under a row lock (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
  ``BEGIN IMMEDIATE`` serialises writers), runs its handler and marks it processed in the
  same transaction. A failing handler rolls back; the failure is then
  written down (``attempts + 1``, ``last_error``) and the event waits for a retry.
* ``retry_pending`` applies waiting events, oldest first: from the applier after deliveries
  (``worker``), from ``kassan webhooks retry`` (all) and ``kassan webhooks work``.
* ``receive`` is the inline path (``STRIPE_WEBHOOK_APPLY=inline``): store, apply and retry a
  few inside the request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any

import stripe
from sqlalchemy import Engine, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from ledger.db import dialect
from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.text import unstorable
from webhooks.errors import StripeEventInvalid, StripeNotConfigured
from webhooks.stripe import handlers
from webhooks.stripe.context import Context, StripeReads

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


# What the inbox's columns hold (ledger/db/schema/payments.py): a longer id or type, or a
# ``created`` beyond a bigint, is no event Stripe sends.
MAX_ID_LENGTH = 255
MAX_TYPE_LENGTH = 100
MAX_CREATED = 2**63 - 1
# The type under which a signed but malformed body is kept, failed, for finance to see; no
# applier or retry takes it up (``pending``).
INVALID_TYPE = "kassan.invalid_event"


def parse(payload: bytes) -> dict[str, Any]:
    """The event in a verified body; ``StripeEventInvalid`` if it lacks an event's fields."""
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise StripeEventInvalid("the body is not JSON") from exc
    if not isinstance(event, dict) or event.get("object") != "event":
        raise StripeEventInvalid("the body is not a Stripe event")
    for name, kind in (("id", str), ("type", str), ("created", int)):
        value = event.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise StripeEventInvalid(f"the event has no valid {name!r}")
    if not 0 < len(event["id"]) <= MAX_ID_LENGTH:
        raise StripeEventInvalid(f"the event's id is longer than {MAX_ID_LENGTH} characters")
    if not 0 < len(event["type"]) <= MAX_TYPE_LENGTH:
        raise StripeEventInvalid(f"the event's type is longer than {MAX_TYPE_LENGTH} characters")
    if not 0 <= event["created"] <= MAX_CREATED:
        raise StripeEventInvalid("the event's created time is out of range")
    if _unstorable(event):
        raise StripeEventInvalid("the event holds text with a NUL or a lone surrogate")
    return event


def _unstorable(value: Any) -> bool:
    """Whether any text in the event is one no database column can keep."""
    if isinstance(value, str):
        return unstorable(value)
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def store_invalid(engine: Engine, payload: bytes, reason: str) -> str:
    """Keep a signed body that is no valid event, as failed with ``reason``; its id is the
    body's hash, so a redelivery is kept once."""
    event_id = "invalid:" + hashlib.sha256(payload).hexdigest()
    with engine.begin() as conn:
        conn.execute(
            dialect.insert(engine, t.stripe_events)
            .values(
                id=event_id,
                type=INVALID_TYPE,
                livemode=False,
                created=0,
                payload=payload.decode("utf-8", errors="replace"),
                attempts=AUTO_RETRY_MAX_ATTEMPTS,
                last_error=f"StripeEventInvalid: {reason}",
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )
    return event_id


def store(engine: Engine, event: Mapping[str, Any], payload: bytes) -> bool:
    """Store a verified event; False if it was stored before (the database says so)."""
    with engine.begin() as conn:
        stored = conn.scalar(
            dialect.insert(engine, t.stripe_events)
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


def _unprocessed(engine: Engine, event_id: str) -> dict[str, Any] | None:
    """The stored event if it still waits; read without a row lock."""
    e = t.stripe_events.c
    if dialect.is_postgresql(engine):
        with engine.connect() as conn:
            payload = conn.scalar(
                select(e.payload).where(e.id == event_id, e.processed_at.is_(None))
            )
    else:
        # Past SQLAlchemy, whose every transaction on SQLite begins IMMEDIATE (the engine's
        # rule): in the driver's autocommit mode this read takes no write lock, so it does
        # not make the requests' inbox writes wait.
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(
                "SELECT payload FROM stripe_events WHERE id = ? AND processed_at IS NULL",
                (event_id,),
            )
            row = cursor.fetchone()
            cursor.close()
        finally:
            raw.close()
        payload = row[0] if row else None
    if payload is None:
        return None
    event: dict[str, Any] = json.loads(payload)
    return event


def apply(engine: Engine, config: Mapping[str, Any], event_id: str) -> Outcome:
    """Apply a stored event once; a failure is recorded on the event and not raised.

    Stripe is asked first, outside any transaction (``handlers.prefetch``); then the write
    transaction takes the event's row, checks again that it waits, books and marks it
    processed. The database locks are held only for the booking itself.
    """
    e = t.stripe_events.c
    try:
        event = _unprocessed(engine, event_id)
        if event is None:
            return Outcome.DONE_BEFORE
        reads = StripeReads(config)
        handlers.prefetch(reads, event)
        with engine.begin() as conn:
            query = select(e.id).where(e.id == event_id, e.processed_at.is_(None))
            if dialect.is_postgresql(conn):
                query = query.with_for_update(skip_locked=True)
            if conn.scalar(query) is None:
                return Outcome.DONE_BEFORE  # another worker applied it meanwhile, or holds it
            handlers.handle(Context(conn, reads), event)
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
    engine: Engine,
    *,
    limit: int | None = None,
    max_attempts: int | None = None,
    settled_for: int | None = None,
    exclude: Collection[str] = (),
) -> list[str]:
    """Ids of events stored but not processed, oldest first, leaving out ``exclude``.

    ``settled_for`` (seconds) leaves out events never tried that arrived more recently: the
    process that stored them is applying them now, and a second applier would only repeat
    its Stripe reads before finding the row taken.
    """
    e = t.stripe_events.c
    query = (
        select(e.id)
        .where(e.processed_at.is_(None), e.type != INVALID_TYPE)
        .order_by(e.received_at, e.id)
    )
    if max_attempts is not None:
        query = query.where(e.attempts < max_attempts)
    if settled_for is not None:
        query = query.where(or_(e.attempts > 0, e.received_at < _ago(engine, settled_for)))
    if exclude:
        query = query.where(e.id.not_in(list(exclude)))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return list(conn.scalars(query))


def _ago(engine: Engine, seconds: int) -> Any:
    """The database's clock ``seconds`` ago, in the form ``received_at`` is stored in."""
    if dialect.is_postgresql(engine):
        return func.now() - text(f"interval '{int(seconds)} seconds'")
    # SQLite's CURRENT_TIMESTAMP default stores 'YYYY-MM-DD HH:MM:SS' in UTC, as datetime() does.
    return func.datetime("now", f"-{int(seconds)} seconds")


def retry_pending(
    engine: Engine,
    config: Mapping[str, Any],
    *,
    limit: int | None = None,
    max_attempts: int | None = None,
    settled_for: int | None = None,
    skip: str | None = None,
) -> dict[Outcome, int]:
    """Apply waiting events oldest first; returns how many ended how."""
    counts = dict.fromkeys(Outcome, 0)
    waiting = pending(engine, limit=limit, max_attempts=max_attempts, settled_for=settled_for)
    for event_id in waiting:
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
