"""Group commit (``posting.submit``): posts from many threads booked in batches, each caller
getting its own entry or its own error, with every guarantee of the plain post: gapless
numbers, one entry per source key, the hash chain and kept balances (``verify``).

A batch is made on purpose by holding the ledger's write lock from another transaction (the
head row's lock on PostgreSQL, the database's write lock on SQLite): the sequencer's thread
waits on it with its first post, the test queues the others, then lets go, and the queued
posts are booked as one batch."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from ledger.entries import Draft, LineDraft
from ledger.errors import IntegrityViolation, PeriodClosed, UnknownAccount, UnknownDimension
from ledger.services import periods, posting
from ledger.services.verify import verify
from tests.support.ledger import gift
from tests.support.triggers import add_failing_trigger, add_trigger

THREADS = 20
TRAP_TEXT = "refused at commit by the test"
REFUSED_TEXT = "refused by a trigger of the test"


def _wait_until(condition: Callable[[], bool]) -> None:
    """Wait for another thread to get somewhere; a guard against a hang, not a timing check."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the other threads never got there")
        time.sleep(0.005)


def _books(engine) -> dict[str, list[int]]:
    """The ledger passes ``verify`` (numbers, chain, kept balances); the numbers by series."""
    with engine.connect() as conn:
        report = verify(conn)
        assert report.ok, report.problems
        rows = conn.execute(
            text("SELECT series, number FROM journal_entries ORDER BY series, number")
        ).all()
    numbers: dict[str, list[int]] = {}
    for series, number in rows:
        numbers.setdefault(series, []).append(number)
    return numbers


def _keys(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT source_key FROM journal_entries ORDER BY id")))


class _Submitter:
    """Submits drafts from threads of its own and keeps each one's answer or error."""

    def __init__(self, sequencer: posting.Sequencer) -> None:
        self.sequencer = sequencer
        self.threads: list[threading.Thread] = []
        self.answers: dict[int, Any] = {}

    def start(self, drafts: list[Draft]) -> None:
        for draft in drafts:
            i = len(self.threads)
            thread = threading.Thread(target=self._submit, args=(i, draft))
            self.threads.append(thread)
            thread.start()

    def _submit(self, i: int, draft: Draft) -> None:
        try:
            self.answers[i] = self.sequencer.submit(draft)
        except Exception as exc:  # noqa: BLE001 - the test looks at each caller's error
            self.answers[i] = exc

    def join(self) -> list[Any]:
        for thread in self.threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in self.threads), "a caller was left waiting"
        return [self.answers[i] for i in range(len(self.threads))]


@contextmanager
def _one_batch(engine, sequencer: posting.Sequencer, drafts: list[Draft]) -> Iterator[_Submitter]:
    """Submit ``drafts`` so that they are booked together in one batch (see the module's
    docstring); yields the submitter whose ``join`` gives the answers, the first post's last."""
    submitter = _Submitter(sequencer)
    with engine.connect() as holder:
        trans = holder.begin()  # SQLite: BEGIN IMMEDIATE, the database's write lock
        if engine.dialect.name == "postgresql":
            holder.execute(text("SELECT 1 FROM ledger_head WHERE id = 1 FOR UPDATE"))
        taken = sequencer.taken
        submitter.start([gift(1, key="ahead-of-the-batch", text_="Före satsen")])
        _wait_until(lambda: sequencer.taken == taken + 1)
        submitter.start(drafts)
        _wait_until(lambda: sequencer.queued() == len(drafts))
        trans.rollback()
    yield submitter


@pytest.fixture
def sequencer(engine) -> posting.Sequencer:
    return posting.Sequencer(engine)


def test_twenty_threads_posting_at_once_book_every_entry_once_with_gapless_numbers(
    engine, sequencer
):
    per_thread = 10
    start = threading.Barrier(THREADS)
    answers: list[tuple[Any, bool]] = []
    errors: list[BaseException] = []

    def post_some(t: int) -> None:
        start.wait()
        for k in range(per_thread):
            series = "B" if k % 2 else "M"
            draft = gift(100 + k, key=f"gift:{t}:{k}", series=series, network=None)
            try:
                answers.append(sequencer.submit(draft))
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                errors.append(exc)

    threads = [threading.Thread(target=post_some, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(answers) == THREADS * per_thread
    assert all(booked for _, booked in answers)
    assert len({entry.id for entry, _ in answers}) == THREADS * per_thread
    numbers = _books(engine)
    half = THREADS * per_thread // 2
    assert numbers == {"B": list(range(1, half + 1)), "M": list(range(1, half + 1))}
    assert sorted(_keys(engine)) == sorted(
        f"gift:{t}:{k}" for t in range(THREADS) for k in range(10)
    )
    answered = {entry.source_key: (entry.series, entry.number) for entry, _ in answers}
    with engine.connect() as conn:
        stored = {
            key: (series, number)
            for key, series, number in conn.execute(
                text("SELECT source_key, series, number FROM journal_entries")
            )
        }
    assert answered == stored


def test_one_source_key_from_twenty_threads_at_once_books_one_entry_that_every_caller_gets(
    engine, sequencer
):
    start = threading.Barrier(THREADS)
    submitter = _Submitter(sequencer)

    def once(i: int, draft: Draft) -> None:
        start.wait()
        submitter.answers[i] = sequencer.submit(draft)

    threads = [
        threading.Thread(target=once, args=(i, gift(5_000, key="swish:ONE")))
        for i in range(THREADS)
    ]
    submitter.threads = threads
    for thread in threads:
        thread.start()
    answers = submitter.join()

    assert sum(booked for _, booked in answers) == 1
    assert len({entry.id for entry, _ in answers}) == 1
    assert _keys(engine) == ["swish:ONE"]
    assert _books(engine) == {"B": [1]}


def test_a_key_twice_in_one_batch_and_a_key_booked_before_give_the_first_entry(engine, sequencer):
    before = sequencer.submit(gift(700, key="booked-before"))[0]
    drafts = [gift(300, key="twice")] * 6 + [gift(700, key="booked-before")] * 3
    drafts += [gift(400 + i, key=f"other:{i}") for i in range(5)]

    with _one_batch(engine, sequencer, drafts) as submitter:
        answers = submitter.join()

    ahead, twice, again, others = answers[0], answers[1:7], answers[7:10], answers[10:]
    assert ahead[1] is True
    assert [booked for _, booked in twice] == [True, False, False, False, False, False]
    assert len({entry.id for entry, _ in twice}) == 1
    assert again == [(before, False)] * 3
    assert all(booked for _, booked in others)
    assert sorted(_keys(engine)) == sorted(
        ["booked-before", "ahead-of-the-batch", "twice", *(f"other:{i}" for i in range(5))]
    )
    assert _books(engine) == {"B": list(range(1, 9))}


def test_a_draft_refused_in_python_fails_only_its_own_caller(engine, sequencer):
    with engine.begin() as conn:
        periods.close_through(conn, date(2025, 12, 31))
    unknown = Draft(
        date(2026, 3, 2),
        "Okänt konto",
        (LineDraft("1930", 500, 0), LineDraft("9999", 0, 500)),
        "B",
        "test",
        "unknown-account",
    )
    nobody = Draft(
        date(2026, 3, 2),
        "Okänd givare",
        (LineDraft("1930", 500, 0), LineDraft("3993", 0, 500, contributor_id=999_999)),
        "B",
        "test",
        "unknown-contributor",
    )
    drafts = [gift(100 + i, key=f"good:{i}") for i in range(3)]
    drafts += [gift(900, key="closed", on=date(2025, 6, 1)), unknown, nobody]
    drafts += [gift(800, key="no-such-network", network="atlantis")]
    drafts += [gift(200 + i, key=f"good:{i + 3}") for i in range(3)]

    with _one_batch(engine, sequencer, drafts) as submitter:
        answers = submitter.join()

    assert isinstance(answers[4], PeriodClosed)
    assert isinstance(answers[5], UnknownAccount)
    assert answers[5].field == "lines[1].account"
    assert isinstance(answers[6], UnknownDimension)
    assert answers[6].field == "lines[1].contributor_id"
    assert isinstance(answers[7], UnknownDimension)
    assert answers[7].field == "lines[1].network"
    good = answers[1:4] + answers[8:]
    assert all(booked for _, booked in good)
    assert sorted(_keys(engine)) == sorted(["ahead-of-the-batch", *(f"good:{i}" for i in range(6))])
    assert _books(engine) == {"B": list(range(1, 8))}


def test_a_draft_the_database_refuses_fails_only_its_own_caller(engine, sequencer):
    add_failing_trigger(
        engine,
        "test_refuse",
        "journal_entries",
        f"NEW.text = '{REFUSED_TEXT}'",
        "ledger: the period is closed",
        "KA013",
        sqlite_message="KA013: ledger: the period is closed",
    )
    drafts = [gift(100 + i, key=f"good:{i}") for i in range(3)]
    drafts += [gift(900, key="refused", text_=REFUSED_TEXT)]
    drafts += [gift(200 + i, key=f"good:{i + 3}") for i in range(3)]

    with _one_batch(engine, sequencer, drafts) as submitter:
        answers = submitter.join()

    assert isinstance(answers[4], PeriodClosed)
    assert not isinstance(answers[4], IntegrityViolation)
    assert all(booked for _, booked in answers[1:4] + answers[5:])
    assert "refused" not in _keys(engine)
    assert _books(engine) == {"B": list(range(1, 8))}


def test_a_failed_commit_reaches_every_caller_of_the_batch_and_a_retry_books_once(
    engine, sequencer
):
    """The database refuses the batch's commit (a deferred foreign key, checked only at
    COMMIT, broken by one entry): nothing of the batch is booked, every caller of it gets the
    error, and submitting the same drafts again books each once."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE test_trap_target (id INTEGER PRIMARY KEY)"))
        conn.execute(
            text(
                "CREATE TABLE test_trap (ref INTEGER REFERENCES test_trap_target (id) "
                "DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    add_trigger(
        engine,
        "test_trap_insert",
        "journal_entries",
        f"NEW.text = '{TRAP_TEXT}'",
        "INSERT INTO test_trap VALUES (1);",
        "INSERT INTO test_trap VALUES (1);",
    )
    drafts = [gift(100 + i, key=f"batch:{i}") for i in range(4)]
    drafts.insert(2, gift(900, key="trap", text_=TRAP_TEXT))

    with _one_batch(engine, sequencer, drafts) as submitter:
        answers = submitter.join()

    assert answers[0][1] is True
    failed = answers[1:]
    assert all(isinstance(a, IntegrityError) for a in failed)
    # each caller raised an error object of its own (its own traceback), the same type and
    # message and driver error, chained to the batch's one shared error
    assert len({id(a) for a in failed}) == len(failed)
    shared = failed[0].__cause__
    assert isinstance(shared, IntegrityError) and shared not in failed
    assert all(a.__cause__ is shared for a in failed)
    assert all(str(a) == str(shared) and a.orig is shared.orig for a in failed)
    assert all(a.connection_invalidated == shared.connection_invalidated for a in failed)
    assert _keys(engine) == ["ahead-of-the-batch"]
    assert _books(engine) == {"B": [1]}

    with engine.begin() as conn:
        conn.execute(text("INSERT INTO test_trap_target VALUES (1)"))
    again = _Submitter(sequencer)
    again.start(drafts + drafts)
    retried = again.join()

    assert sum(booked for _, booked in retried) == len(drafts)
    assert sorted(_keys(engine)) == sorted(
        ["ahead-of-the-batch", "trap", *(f"batch:{i}" for i in range(4))]
    )
    assert _books(engine) == {"B": list(range(1, 7))}


def test_the_module_wide_sequencer_is_one_per_engine(engine):
    assert posting.sequencer_for(engine) is posting.sequencer_for(engine)
    entry, booked = posting.submit(engine, gift(100, key="via-submit"))
    assert booked
    assert posting.submit(engine, gift(100, key="via-submit")) == (entry, False)


def test_a_forked_worker_books_through_a_booking_thread_of_its_own(engine, sequencer):
    """gunicorn forks its workers from a parent that may have posted: the child's sequencer
    starts afresh (the parent's booking thread does not exist there)."""
    assert sequencer.submit(gift(100, key="parent:1"))[1]
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:
            engine.dispose(close=False)  # the parent's pooled connections stay the parent's
            code = 0 if sequencer.submit(gift(200, key="child"))[1] else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sequencer.submit(gift(300, key="parent:2"))[1]
    assert _keys(engine) == ["parent:1", "child", "parent:2"]
    assert _books(engine) == {"B": [1, 2, 3]}


def test_a_large_batch_is_booked_whole_with_gapless_numbers_and_kept_balances(engine, sequencer):
    """Sixty posts in one batch: 120 lines, past the writer's bulk threshold (COPY on
    PostgreSQL, one INSERT over a JSON array on SQLite), in two series and two years."""
    drafts = [
        gift(
            1_000 + i,
            key=f"large:{i}",
            series="B" if i % 3 else "M",
            on=date(2026 if i % 2 else 2025, 3, 1 + i % 28),
        )
        for i in range(60)
    ]
    assert 2 * len(drafts) >= posting.BULK_THRESHOLD

    with _one_batch(engine, sequencer, drafts) as submitter:
        answers = submitter.join()

    assert all(booked for _, booked in answers)
    assert sequencer.taken - sequencer.batches == len(drafts) - 1  # the batch, and the one ahead
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT series, fiscal_year, number FROM journal_entries ORDER BY id")
        ).all()
    by_series_year: dict[tuple[str, int], list[int]] = {}
    for series, year, number in rows:
        by_series_year.setdefault((series, year), []).append(number)
    for numbers in by_series_year.values():
        assert numbers == list(range(1, len(numbers) + 1))
    assert sum(len(n) for n in by_series_year.values()) == 61
    assert {(e.series, e.fiscal_year, e.number) for e, _ in answers} <= set(map(tuple, rows))
    _books(engine)


def test_connections_dropped_mid_batch_leave_nothing_half_booked_and_a_retry_books_once(
    engine, sequencer
):
    """PostgreSQL ends the server processes of the sequencer's connections while they wait
    for the head lock (the post ahead of the batch, then the batch): every caller gets an
    answer (the lost connection's error), nothing is booked, and the same drafts submitted
    again are each booked once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("ends server processes: PostgreSQL only")
    waiting = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    drafts = [gift(100 + i, key=f"dropped:{i}") for i in range(5)]
    submitter = _Submitter(sequencer)
    with engine.connect() as holder, engine.connect() as killer:
        killed: set[int] = set()

        def waiting_pid() -> int | None:
            pids = set(killer.scalars(waiting)) - killed
            killer.rollback()  # pg_stat_activity is read once per transaction
            return min(pids) if pids else None

        def end_the_one_waiting() -> None:
            _wait_until(lambda: waiting_pid() is not None)
            pid = waiting_pid()
            assert pid is not None
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killer.commit()
            killed.add(pid)

        trans = holder.begin()
        holder.execute(text("SELECT 1 FROM ledger_head WHERE id = 1 FOR UPDATE"))
        submitter.start([gift(1, key="ahead-of-the-batch")])
        _wait_until(lambda: waiting_pid() is not None)
        submitter.start(drafts)
        _wait_until(lambda: sequencer.queued() == len(drafts))
        end_the_one_waiting()  # the post ahead of the batch, a batch of one
        _wait_until(lambda: sequencer.taken == 1 + len(drafts))
        end_the_one_waiting()  # the batch
        trans.rollback()
        answers = submitter.join()

    assert all(isinstance(a, OperationalError) for a in answers)
    assert _keys(engine) == []
    assert _books(engine) == {}

    again = _Submitter(sequencer)
    again.start([gift(1, key="ahead-of-the-batch"), *drafts])
    retried = again.join()
    assert all(isinstance(entry.id, int) for entry, _ in retried)
    assert sorted(_keys(engine)) == sorted(["ahead-of-the-batch", *(d.source_key for d in drafts)])
    assert _books(engine) == {"B": list(range(1, 7))}


def test_a_line_the_database_refuses_in_a_large_batch_fails_only_its_own_caller(engine, sequencer):
    """A batch past the bulk threshold writes its lines by COPY on PostgreSQL (one INSERT over a
    JSON array on SQLite); the database's refusal of one line there is still that caller's own
    ``LedgerError``, and the rest of the batch is booked one by one."""
    add_failing_trigger(
        engine,
        "test_refuse_line",
        "journal_lines",
        "NEW.debit_ore = 999999",
        "ledger: the period is closed",
        "KA013",
        sqlite_message="KA013: ledger: the period is closed",
    )
    drafts = [gift(1_000 + i, key=f"large:{i}") for i in range(60)]
    drafts[30] = gift(999_999, key="refused")
    assert 2 * len(drafts) >= posting.BULK_THRESHOLD

    with _one_batch(engine, sequencer, drafts) as submitter:
        answers = submitter.join()

    assert isinstance(answers[31], PeriodClosed)
    assert all(booked for _, booked in answers[:31] + answers[32:])
    assert "refused" not in _keys(engine)
    assert _books(engine) == {"B": list(range(1, 61))}
