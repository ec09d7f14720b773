"""The Stripe webhook applier: books stored events outside the request that delivered them.

How events get applied is ``STRIPE_WEBHOOK_APPLY``:

* ``background`` (the default): the endpoint stores the event, hands its id to this process's
  ``Applier`` and answers. The applier is a few threads started on the first delivery in each
  (forked) app process; a delivery wakes one, it applies the events handed over, then scans
  the inbox for events that wait: ones that failed (retried with a back-off, and at once when
  something new was booked, since that is usually what they waited for) and ones never tried
  whose process died before applying them (older than ``SETTLE_SECONDS``). Nothing is lost
  when a process dies: the event is stored before the 200, and whoever scans next applies it.
* ``worker``: the endpoint only stores; ``kassan webhooks work`` (the same ``Applier`` in the
  foreground, polling) applies everything that waits.
* ``inline``: store, apply and retry a few inside the request (``inbox.receive``), as before;
  for a deployment that cannot run threads.

Two appliers never book an event twice: ``inbox.apply`` takes the event's row (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and checks it still waits.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ledger.config import STRIPE_APPLY_MODES as MODES
from ledger.db import dialect
from webhooks.stripe import inbox

log = logging.getLogger(__name__)

SETTLE_SECONDS = 10  # an event never tried and older than this has lost its applier
# An applier with nothing handed to it still looks at the inbox this often, so an event
# answered 200 by a process that then died is booked without waiting for the next delivery.
SWEEP_SECONDS = 5.0
SCAN_INTERVAL = 1.0  # seconds; at most one inbox scan per this, per process
SCAN_LIMIT = 100  # waiting events tried per scan
BACKOFF_MAX = 300.0  # seconds between tries of a failing event, at most
# Applier threads per process: an event's Stripe reads are network waits (100 ms and more
# from Stripe itself) that several threads overlap; their write transactions queue for the
# ledger's head lock (or SQLite's write lock) one at a time anyway.
THREADS = 4
# SQLite has one writer for the whole file, and its busy handler waits by sleeping, not in a
# queue: every applier thread more makes the requests' inbox writes wait longer. One thread.
SQLITE_THREADS = 1


def mode(config: Mapping[str, Any]) -> str:
    value = str(config.get("STRIPE_WEBHOOK_APPLY") or "background")
    if value not in MODES:
        raise ValueError(f"STRIPE_WEBHOOK_APPLY must be one of {', '.join(MODES)}, not {value!r}")
    return value


class Applier:
    """Applies stored Stripe events in threads of its own (or in the foreground: ``run``).

    After ``stop`` it applies nothing more; what is submitted then waits in the inbox.
    """

    def __init__(
        self,
        engine: Engine,
        config: Mapping[str, Any],
        *,
        settled_for: int | None = SETTLE_SECONDS,
        poll_every: float | None = None,
    ) -> None:
        self.engine, self.config = engine, config
        self.settled_for, self.poll_every = settled_for, poll_every
        self.counts = dict.fromkeys(inbox.Outcome, 0)
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.RLock()  # the queue and the bookkeeping below
        self._ready = threading.Condition(self._lock)  # the queue got an event, or stop
        self._scanning = threading.Lock()  # one thread scans the inbox at a time
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._queue: dict[str, None] = {}  # insertion-ordered set of event ids
        self._scan_due = False
        self._last_scan = float("-inf")
        self._booked = 0  # events this applier processed, to know when waiting ones may pass
        self._failing: dict[str, tuple[float, int, int]] = {}  # id: (retry at, tries, booked)

    # --- the request side ---

    def start(self) -> None:
        """Start the threads now and sweep what waits (a process's start, after a crash)."""
        self._started(None)

    def submit(self, event_id: str) -> None:
        """Apply this stored event soon, then look at what else waits."""
        self._started(event_id)

    def _started(self, event_id: str | None) -> None:
        if self._pid != os.getpid():
            # Forked (gunicorn workers) after this object was made: the threads, the queue
            # and the locks stayed in the parent; start afresh here.
            self._reset()
        with self._ready:
            if event_id is not None:
                self._queue[event_id] = None
            self._scan_due = True
            self._threads = [t for t in self._threads if t.is_alive()]
            wanted = THREADS if dialect.is_postgresql(self.engine) else SQLITE_THREADS
            while len(self._threads) < wanted:
                thread = threading.Thread(target=self.run, name="stripe-applier", daemon=True)
                thread.start()
                self._threads.append(thread)
            self._ready.notify()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the events at hand and end the threads (what waits stays in the inbox)."""
        self._stopping.set()
        with self._ready:
            self._ready.notify_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)

    # --- the applier side ---

    def run(self) -> None:
        """Apply until ``stop``; in threads after ``submit``, or in the foreground."""
        while not self._stopping.is_set():
            with self._ready:
                if not self._queue:
                    self._ready.wait(self._sleep())
                event_id = next(iter(self._queue), None)
                if event_id is not None:
                    del self._queue[event_id]
            if self._stopping.is_set():
                break
            try:
                if event_id is not None:
                    self._apply(event_id)
                elif self._scanning.acquire(blocking=False):
                    try:
                        self._maybe_scan()
                    finally:
                        self._scanning.release()
            except SQLAlchemyError:
                # The database went away mid-apply; the events wait in the inbox. Pause so an
                # outage does not spin, then carry on with the next delivery or poll.
                log.exception("the Stripe applier could not reach the database")
                self._stopping.wait(SCAN_INTERVAL)

    def drain_once(self) -> dict[inbox.Outcome, int]:
        """One pass over everything that may be applied now (``kassan webhooks work --once``)."""
        before = dict(self.counts)
        while self._scan(time.monotonic()):
            pass
        return {k: self.counts[k] - before[k] for k in self.counts}

    def _sleep(self) -> float | None:
        now = time.monotonic()
        waits = []
        with self._lock:
            if self._failing:
                waits.append(min(at for at, _, _ in self._failing.values()) - now)
        if self.poll_every is not None:
            waits.append(self._last_scan + self.poll_every - now)
        if self._scan_due:
            waits.append(self._last_scan + SCAN_INTERVAL - now)
        return max(0.0, min(waits)) if waits else None

    def _maybe_scan(self) -> None:
        now = time.monotonic()
        polled = self.poll_every is not None and now - self._last_scan >= self.poll_every
        due = self._scan_due and now - self._last_scan >= SCAN_INTERVAL
        with self._lock:
            retry = any(at <= now for at, _, _ in self._failing.values())
        if polled or due or retry:
            # A full batch means more may wait: go on while there is progress.
            while self._scan(now) and not self._stopping.is_set():
                now = time.monotonic()

    def _scan(self, now: float) -> bool:
        """Try what waits; True if a full batch was listed and some of it applied."""
        self._scan_due, self._last_scan = False, now
        # A failing event is tried again after its back-off, or sooner once something new was
        # booked (the gift or payment it waited for has usually just arrived).
        with self._lock:
            resting = [
                event_id
                for event_id, (at, _, booked) in self._failing.items()
                if at > now and booked >= self._booked
            ]
        waiting = inbox.pending(
            self.engine,
            limit=SCAN_LIMIT,
            max_attempts=inbox.AUTO_RETRY_MAX_ATTEMPTS,
            settled_for=self.settled_for,
            exclude=resting,
        )
        applied = 0
        for event_id in waiting:
            if self._stopping.is_set():
                return False
            applied += self._apply(event_id) is not inbox.Outcome.DONE_BEFORE
        return len(waiting) == SCAN_LIMIT and applied > 0

    def _apply(self, event_id: str) -> inbox.Outcome:
        outcome = inbox.apply(self.engine, self.config, event_id)
        with self._lock:
            self._note(event_id, outcome)
        return outcome

    def _note(self, event_id: str, outcome: inbox.Outcome) -> None:
        self.counts[outcome] += 1
        if outcome is inbox.Outcome.FAILED:
            _, tries, _ = self._failing.get(event_id, (0.0, 0, 0))
            tries += 1
            if tries >= inbox.AUTO_RETRY_MAX_ATTEMPTS:
                self._failing.pop(event_id, None)  # left to ``kassan webhooks retry``
            else:
                delay = min(BACKOFF_MAX, 2.0**tries)
                self._failing[event_id] = (time.monotonic() + delay, tries, self._booked)
            return
        self._failing.pop(event_id, None)
        if outcome is inbox.Outcome.PROCESSED:
            self._booked += 1
            self._scan_due = True
