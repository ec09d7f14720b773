"""Group commit: standalone posts from many threads booked in batches, one transaction and one
durable commit per batch, while each caller waits for its own entry.

``sequencer_for(engine).submit(draft)`` is ``with engine.begin(): post_once(...)`` for a post
that is a transaction of its own (the API's manual entry). The caller's thread validates the
draft, queues it and waits; one background thread per engine and process takes everything
queued (waiting for the first, then briefly for the callers it just answered, up to
``BATCH_MAX``) and books it with the same ``Writer`` as ``post_many``: under the head lock,
numbers, hash chain and kept balances in one transaction, then one commit. On PostgreSQL the
batch's reads and its writes are one pipelined round trip each (``pipeline.batch_writer``,
``pipeline.flush``); a batch of one goes through ``post_once``.

What each caller gets is what ``post_once`` would have given it:

* its entry and whether it booked it; a source key booked before, or earlier in the same
  batch, returns the first entry with ``False``;
* if the batch is refused (a closed period, an unknown account, a database trigger), nothing
  of it stays: it is rolled back and its drafts are booked one by one, each in a transaction
  of its own, so each caller gets its own entry or its own ``LedgerError``;
* if the commit fails (the connection is lost), every caller of the batch gets that error;
  nothing was booked, and a retry with the same source key books once. Each caller raises a
  copy of its own (same type, message and attributes, e.g. SQLAlchemy's ``orig`` and
  ``connection_invalidated``) chained to the shared one, so the callers' tracebacks are not
  appended to one object from many threads.

Posts inside a larger transaction (a webhook's inbox row beside its entry) keep
``posting.post(conn, ...)``: the sequencer commits, so only whole transactions go through it.
"""

from __future__ import annotations

import copy
import os
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError

from ledger.entries import Draft, PostedEntry
from ledger.errors import LedgerError
from ledger.services import journal
from ledger.services.posting import pipeline
from ledger.services.posting.booking import post_once
from ledger.services.posting.writer import Writer

BATCH_MAX = 500  # drafts per transaction
LINGER_SECONDS = 0.002  # the longest a batch waits for more posts (see ``_take``)
IDLE_SECONDS = 30.0  # the booking thread ends after this long with nothing queued
_ALIVE_CHECK_SECONDS = 1.0  # how often a waiting caller checks that the thread still runs


@dataclass(eq=False, slots=True)
class _Request:
    draft: Draft
    key: str
    created_by: int | None
    done: threading.Event = field(default_factory=threading.Event)
    result: tuple[PostedEntry, bool] | None = None
    error: BaseException | None = None
    shared: bool = False  # ``error`` is the whole batch's, raised by every caller of it

    def answer(self, result: tuple[PostedEntry, bool]) -> None:
        self.result = result
        self.done.set()

    def fail(self, error: BaseException, *, shared: bool = False) -> None:
        self.error = error
        self.shared = shared
        self.done.set()


class SequencerStopped(RuntimeError):
    """The booking thread ended before answering: the post's outcome is unknown."""


class Sequencer:
    """Books standalone posts of one engine in batches; see the module's docstring."""

    def __init__(self, engine: Engine, *, batch_max: int = BATCH_MAX) -> None:
        self._engine = weakref.ref(engine)
        self.batch_max = batch_max
        self._reset()
        _ALL.add(self)

    def _reset(self) -> None:
        # A fresh queue, lock and thread: at start and in a child after ``fork`` (gunicorn's
        # workers), where the parent's thread does not exist and its lock may be held.
        self._cond = threading.Condition()
        self._queue: list[_Request] = []
        self._thread: threading.Thread | None = None
        self._want = 1  # posts a batch waits for (``_take``), set by ``_expect_back``
        self.taken = 0  # posts taken from the queue so far
        self.batches = 0  # batches booked so far (``taken / batches``: the mean batch)

    def queued(self) -> int:
        """How many posts wait for the booking thread to take them."""
        with self._cond:
            return len(self._queue)

    def submit(self, draft: Draft, *, created_by: int | None = None) -> tuple[PostedEntry, bool]:
        """Book the draft in a transaction of its own and return the entry and whether this
        call booked it; blocks until it is committed or refused."""
        draft.validate()
        key = draft.source_key or f"{draft.source_kind}:{uuid.uuid4().hex}"
        req = _Request(draft, key, created_by)
        with self._cond:
            self._queue.append(req)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="kassan-sequencer", daemon=True
                )
                self._thread.start()
            self._cond.notify()
            thread = self._thread
        while not req.done.wait(_ALIVE_CHECK_SECONDS):
            if not thread.is_alive() and not req.done.is_set():
                raise SequencerStopped("the posting sequencer stopped before booking the entry")
        if req.error is not None:
            if req.shared:  # a copy of its own (``copy.copy``: the type's ``__reduce__``)
                raise copy.copy(req.error) from req.error
            raise req.error
        assert req.result is not None
        return req.result

    def _take(self) -> list[_Request]:
        """Everything queued (at most ``batch_max``), waiting for the first; empty when idle
        for ``IDLE_SECONDS``, after which the thread has ended (a later submit starts one).

        The callers the last batch answered are likely to post again at once (a worker
        thread's next request): up to ``LINGER_SECONDS`` are spent waiting for as many posts
        as that batch had plus those queued when it was answered. Without it, callers split
        into groups that take turns (two batches of two from four threads, each booked while
        the other group is answered); one caller alone books each post without waiting."""
        with self._cond:
            if not self._queue:
                self._cond.wait(IDLE_SECONDS)
            if not self._queue:
                self._thread = None
                return []
            want = self._want
            deadline = time.monotonic() + LINGER_SECONDS
            while len(self._queue) < want and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            batch = self._queue[: self.batch_max]
            del self._queue[: self.batch_max]
            self.taken += len(batch)
            self.batches += 1
            return batch

    def _run(self) -> None:
        while batch := self._take():
            try:
                self._book(batch)
            except BaseException as exc:  # noqa: BLE001 - every waiting caller must hear of it
                for req in batch:
                    if not req.done.is_set():
                        req.fail(exc, shared=True)

    def _book(self, batch: list[_Request]) -> None:
        engine = self._engine()
        if engine is None:
            raise SequencerStopped("the engine of this sequencer is gone")
        if len(batch) == 1:
            self._expect_back(batch)
            self._one_by_one(engine, batch)
            return
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                results = _book_batch(conn, batch)
            except (LedgerError, DBAPIError):
                trans.rollback()
                refused = True
            else:
                refused = False
                _commit(conn, trans)  # a failure reaches every caller, through ``_run``
        self._expect_back(batch)
        if refused:
            self._one_by_one(engine, batch)
            return
        for req, result in zip(batch, results, strict=True):
            req.answer(result)

    def _expect_back(self, batch: list[_Request]) -> None:
        """Before the batch's callers are answered (so none of them is queued again yet): the
        next batch waits for them and for those queued meanwhile."""
        with self._cond:
            self._want = min(self.batch_max, len(batch) + len(self._queue))

    @staticmethod
    def _one_by_one(engine: Engine, batch: list[_Request]) -> None:
        for req in batch:
            try:
                with _transaction(engine) as conn:
                    result = post_once(conn, req.draft, created_by=req.created_by)
            except Exception as exc:  # noqa: BLE001 - the caller's own error, raised there
                req.fail(exc)
            else:
                req.answer(result)


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """``engine.begin()``, with the failed commit of ``_commit``."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        except BaseException:
            trans.rollback()
            raise
        _commit(conn, trans)


def _commit(conn: Connection, trans: RootTransaction) -> None:
    """Commit; if that fails, close the connection instead of pooling it: its state is
    unknown (SQLite keeps a transaction whose COMMIT failed open, and the database's write
    lock with it)."""
    try:
        trans.commit()
    except BaseException:
        conn.invalidate()
        raise


def _book_batch(conn: Connection, batch: list[_Request]) -> list[tuple[PostedEntry, bool]]:
    """The batch's entries in the connection's transaction (``post_many``'s writer; on
    PostgreSQL its reads and writes pipelined), one answer per request: a new entry, or the
    first entry of a source key booked before or earlier in the batch."""
    pipelined = pipeline.usable(conn)  # PostgreSQL: two round trips for the whole batch
    if pipelined:
        writer, booked_before = pipeline.batch_writer(conn, [(r.draft, r.key) for r in batch])
    else:
        writer = Writer(conn, None)
        writer.contributors |= journal.existing_contributors(
            conn,
            {ln.contributor_id for r in batch for ln in r.draft.lines if ln.contributor_id},
        )
        booked_before = journal.booked_source_keys(conn, [r.key for r in batch])
    new: dict[str, PostedEntry] = {}
    for req in batch:
        if req.key in booked_before or req.key in new:
            continue
        writer.created_by = req.created_by
        new[req.key] = writer.prepare(req.draft, req.key)
    if pipelined:
        pipeline.flush(conn, writer)
    else:
        writer.flush()
    found: dict[str, PostedEntry] = {}
    for key in booked_before:
        entry = journal.find_by_source_key(conn, key)
        if entry is None:  # booked_source_keys just saw it, under the head lock
            raise LedgerError(f"the entry of source key {key!r} vanished", "source_key")
        found[key] = entry
    answers: list[tuple[PostedEntry, bool]] = []
    first: set[str] = set()
    for req in batch:
        if req.key in found:
            answers.append((found[req.key], False))
        else:
            answers.append((new[req.key], req.key not in first))
            first.add(req.key)
    return answers


_ALL: weakref.WeakSet[Sequencer] = weakref.WeakSet()
_SEQUENCERS: weakref.WeakKeyDictionary[Engine, Sequencer] = weakref.WeakKeyDictionary()
_SEQUENCERS_LOCK = threading.Lock()


def sequencer_for(engine: Engine) -> Sequencer:
    """The engine's one sequencer in this process, made on first use."""
    with _SEQUENCERS_LOCK:
        found = _SEQUENCERS.get(engine)
        if found is None:
            found = _SEQUENCERS[engine] = Sequencer(engine)
        return found


def submit(
    engine: Engine, draft: Draft, *, created_by: int | None = None
) -> tuple[PostedEntry, bool]:
    """``post_once`` in a transaction of its own, booked together with concurrent submits."""
    return sequencer_for(engine).submit(draft, created_by=created_by)


def _after_fork_in_child() -> None:
    """Only the forking thread lives on in the child: every sequencer starts afresh there
    (the parent's queued posts are the parent's to answer)."""
    global _SEQUENCERS_LOCK
    _SEQUENCERS_LOCK = threading.Lock()
    for sequencer in list(_ALL):
        sequencer._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)
