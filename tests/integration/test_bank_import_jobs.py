"""Uploaded bank files imported by the background worker in short transactions (issue 12, item
6): a bad line anywhere refuses the whole file before anything is booked, a worker that dies
mid-import leaves a job the next worker finishes with every line booked exactly once, and two
workers never import one job twice."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.services import periods, users
from ledger.statuses import ImportJobStatus
from tests.support.bank_accounts import OURS, import_ours
from tests.support.camt_files import IBAN, Entry, Statement, Tx, camt_bytes
from tests.support.triggers import add_failing_trigger, drop_trigger
from webhooks.bankfiles import importer, job_files, jobs, uploads
from webhooks.bankfiles.worker import Outcome, work_once, work_one
from webhooks.errors import BankFileConflict, BankFileInvalid

DAY = date(2026, 12, 1)
LINES = 30
BATCH = 10


class Killed(Exception):
    """The worker dies here (what a kill -9 leaves: batches committed, the job still running)."""


def _file(count: int = LINES, day_of=lambda i: DAY, prefix: str = "G") -> bytes:
    entries = [Entry((Tx(100_00 + i, f"{prefix}{i}"),), day_of(i), f"E{i}") for i in range(count)]
    return camt_bytes(entries)


def _count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)))


def _bank_total(engine: Engine) -> int:
    jl = t.journal_lines.c
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.coalesce(func.sum(jl.debit_ore - jl.credit_ore), 0)).where(
                    jl.account == "1930"
                )
            )
        )


def _job(engine: Engine, job_id: int) -> jobs.Job:
    with engine.connect() as conn:
        found = jobs.read(conn, job_id)
    assert found is not None
    return found


def _stale(engine: Engine, job_id: int) -> None:
    """The worker holding the job stopped beating its heart long ago."""
    with engine.begin() as conn:
        conn.execute(
            update(t.bank_import_jobs)
            .where(t.bank_import_jobs.c.id == job_id)
            .values(heartbeat_at=jobs.now().replace(year=2020))
        )


def _run(engine: Engine, job_id: int, token: str, **options):
    return importer.run(engine, job_id, token, mail_config=OURS, batch_lines=BATCH, **options)


def test_a_worker_killed_mid_import_leaves_a_job_the_next_worker_finishes_exactly_once(engine):
    data = _file()
    job_id = uploads.enqueue(engine, data, "dag.xml")
    job_id, token = jobs.claim(engine, job_id)

    def die_after_two_batches(done: int) -> None:
        if done >= 2 * BATCH:
            raise Killed

    with pytest.raises(Killed):
        _run(engine, job_id, token, after_batch=die_after_two_batches)
    assert _count(engine, t.bank_lines) == 2 * BATCH  # two batches committed, one by one
    assert _job(engine, job_id).status == ImportJobStatus.RUNNING
    assert jobs.claim(engine) is None  # its worker may still be alive: nobody takes it yet
    _stale(engine, job_id)
    assert work_one(engine, OURS) is Outcome.DONE
    job = _job(engine, job_id)
    assert job.status == ImportJobStatus.DONE and job.lines_done == LINES
    with engine.connect() as conn:
        result = importer.load(conn, job.import_id)
    assert result is not None and result.ok
    # Every line booked once, and the lines booked before the crash counted as this import's.
    c = result.counts
    assert (c.line_count, c.booked_count, c.confirmed_count) == (LINES, LINES, 0)
    assert _count(engine, t.bank_lines) == _count(engine, t.journal_entries) == LINES
    assert _bank_total(engine) == result.total("file_ore") == sum(100_00 + i for i in range(30))
    assert _count(engine, t.bank_import_job_chunks) == 0
    assert _count(engine, t.bank_import_chunks) >= 1


def test_a_worker_whose_job_was_taken_over_stops_at_its_next_batch(engine):
    job_id = uploads.enqueue(engine, _file(), "dag.xml")
    _, first = jobs.claim(engine, job_id)
    taken = []

    def taken_over_after_one_batch(done: int) -> None:
        if not taken:
            _stale(engine, job_id)
            taken.append(jobs.claim(engine, job_id))

    with pytest.raises(jobs.JobLost):
        _run(engine, job_id, first, after_batch=taken_over_after_one_batch)
    assert _count(engine, t.bank_lines) == BATCH
    (_, second), *_ = taken
    result = _run(engine, job_id, second)
    assert result.counts.booked_count == LINES and result.counts.confirmed_count == 0
    assert _count(engine, t.journal_entries) == LINES


def test_two_workers_racing_for_one_job_import_it_once(engine):
    job_id = uploads.enqueue(engine, _file(), "dag.xml")
    start = threading.Barrier(2)
    outcomes: list[Outcome | None] = []

    def worker() -> None:
        start.wait()
        outcomes.append(work_one(engine, OURS, job_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [None, Outcome.DONE]  # the other found it taken
    assert _count(engine, t.bank_imports) == 1
    assert _count(engine, t.journal_entries) == _count(engine, t.bank_lines) == LINES


def test_a_line_in_a_year_not_opened_refuses_the_file_before_any_batch_is_booked(engine):
    data = _file(day_of=lambda i: date(1999, 6, 1) if i == 25 else DAY)
    job_id = uploads.enqueue(engine, data, "gammal.xml")
    _, token = jobs.claim(engine, job_id)
    with pytest.raises(BankFileInvalid) as refused:
        _run(engine, job_id, token)
    (error,) = refused.value.errors
    assert (error.file, error.field) == ("gammal.xml", "booking_date")
    assert error.line is not None and "räkenskapsåret 1999 är inte öppnat" in error.message
    job = _job(engine, job_id)
    assert job.status == ImportJobStatus.REFUSED and job.errors == refused.value.errors
    assert _count(engine, t.bank_imports) == _count(engine, t.journal_entries) == 0
    assert _count(engine, t.bank_import_job_chunks) == 0


def test_a_file_for_an_account_not_ours_is_refused_and_the_next_job_goes_on(engine):
    ours = _file(LINES - 5)
    entries = [Entry((Tx(250_00, "X1"),), DAY, "X1")]
    statement = camt_bytes([], kind="053", version="08", statement=Statement(entries))
    theirs = statement.replace(IBAN.encode(), b"CH9300762011623852957")
    job_id = uploads.enqueue(engine, ours, "vår.xml")
    other = uploads.enqueue(engine, theirs, "deras.xml")
    assert work_once(engine, OURS) == {
        Outcome.DONE: 1,
        Outcome.REFUSED: 1,
        Outcome.FAILED: 0,
        Outcome.LOST: 0,
    }
    assert _job(engine, job_id).status == ImportJobStatus.DONE
    refused = _job(engine, other)
    assert refused.status == ImportJobStatus.REFUSED
    assert refused.errors[0].field == "account" and "inte vårt" in refused.errors[0].message
    assert _count(engine, t.journal_entries) == LINES - 5


_KILLED_MID_IMPORT = """
import sys, time
from pathlib import Path
from ledger.db.engine import make_engine
from tests.support.bank_accounts import import_ours

def progress(done, total):
    if done > total // 2:  # past the check: batches are being booked
        Path(sys.argv[3]).write_text("booking")
        time.sleep(600)  # killed here, mid-import, with no chance to clean up

import_ours(make_engine(sys.argv[1]), open(sys.argv[2], "rb"), "dag.xml", progress=progress,
            batch_lines=10)
"""


def test_an_import_killed_with_sigkill_is_resumed_and_books_every_line_once(
    engine, database_url, tmp_path
):
    path, mark = tmp_path / "dag.xml", tmp_path / "booking"
    path.write_bytes(_file())
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_MID_IMPORT, database_url, str(path), str(mark)],
        cwd=Path(__file__).resolve().parents[2],
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(1_200):  # a minute at most, should the child hang before booking
            if mark.exists() or proc.poll() is not None:
                break
            threading.Event().wait(0.05)
        assert mark.exists(), proc.stderr.read().decode()  # type: ignore[union-attr]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
    booked = _count(engine, t.journal_entries)
    assert 0 < booked < LINES
    with engine.connect() as conn:
        (job_id,) = conn.scalars(select(t.bank_import_jobs.c.id)).all()
    assert _job(engine, job_id).status == ImportJobStatus.RUNNING
    _stale(engine, job_id)
    assert work_once(engine, OURS)[Outcome.DONE] == 1
    with engine.connect() as conn:
        result = importer.load(conn, _job(engine, job_id).import_id)
    assert result is not None and result.ok
    assert (result.counts.booked_count, result.counts.confirmed_count) == (LINES, 0)
    assert _count(engine, t.journal_entries) == _count(engine, t.bank_lines) == LINES
    assert _bank_total(engine) == result.total("file_ore")


def test_an_upload_cut_off_while_its_bytes_are_stored_holds_the_file_back_only_until_stale(
    engine, monkeypatch
):
    data = _file()
    stored = job_files.store

    def killed_half_way(engine_, job_id, spool):  # the process dies while storing
        stored(engine_, job_id, io.BytesIO(spool.read(job_files.CHUNK_BYTES // 2)))
        raise KeyboardInterrupt

    monkeypatch.setattr(job_files, "store", killed_half_way)
    with pytest.raises(KeyboardInterrupt):
        uploads.enqueue(engine, data, "dag.xml")
    monkeypatch.setattr(job_files, "store", stored)
    with engine.connect() as conn:
        (cut_off,) = conn.scalars(select(t.bank_import_jobs.c.id)).all()
    assert _job(engine, cut_off).status == ImportJobStatus.RECEIVING
    assert jobs.claim(engine) is None  # no worker takes a file still arriving
    with pytest.raises(BankFileConflict, match="väntar redan"):
        uploads.enqueue(engine, data, "dag.xml")
    _stale(engine, cut_off)
    job_id = uploads.enqueue(engine, data, "dag.xml")
    ended = _job(engine, cut_off)
    assert ended.status == ImportJobStatus.REFUSED and "avbröts" in ended.errors[0].message
    assert work_once(engine, OURS)[Outcome.DONE] == 1
    assert _job(engine, job_id).lines_done == LINES
    assert _count(engine, t.bank_import_job_chunks) == 0  # the cut-off bytes went too


def test_an_upload_failing_while_its_bytes_are_stored_ends_refused_and_keeps_no_bytes(
    engine, monkeypatch
):
    def full_disk(engine_, job_id, spool):
        raise OSError("no space left on device")

    monkeypatch.setattr(job_files, "store", full_disk)
    with pytest.raises(OSError):
        uploads.enqueue(engine, _file(), "dag.xml")
    monkeypatch.undo()
    with engine.connect() as conn:
        (job,) = [jobs.read(conn, i) for i in conn.scalars(select(t.bank_import_jobs.c.id))]
    assert job is not None and job.status == ImportJobStatus.REFUSED
    assert _count(engine, t.bank_import_job_chunks) == 0
    uploads.enqueue(engine, _file(), "dag.xml")  # and the file may be sent again at once


def test_a_line_already_booked_in_a_closed_period_is_confirmed_but_a_new_one_there_refused(
    engine,
):
    first = [Entry((Tx(100_00, "G1"),), DAY, "E1")]
    import_ours(engine, camt_bytes(first), "dag.054.xml")
    with engine.begin() as conn:
        periods.close_through(conn, DAY)
    again = import_ours(engine, camt_bytes(first, created="2026-12-02T06:00:00"), "igen.054.xml")
    assert (again.counts.confirmed_count, again.counts.booked_count) == (1, 0) and again.ok
    late = [*first, Entry((Tx(200_00, "G2"),), DAY, "E2")]
    with pytest.raises(BankFileInvalid, match="stängd till och med 2026-12-01") as refused:
        import_ours(engine, camt_bytes(late, created="2026-12-03T06:00:00"), "sen.054.xml")
    assert [e.field for e in refused.value.errors] == ["booking_date"]
    assert _count(engine, t.journal_entries) == 1


def test_a_period_closed_mid_import_ends_the_job_failed_with_the_ledgers_words(engine, caplog):
    job_id = uploads.enqueue(engine, _file(), "dag.xml")
    _, token = jobs.claim(engine, job_id)

    def close_the_day_after_one_batch(done: int) -> None:
        with engine.begin() as conn:
            periods.close_through(conn, DAY)

    with pytest.raises(LedgerError) as refused:
        _run(engine, job_id, token, after_batch=close_the_day_after_one_batch)
    job = _job(engine, job_id)
    assert job.status == ImportJobStatus.FAILED
    assert [(e.file, e.line, e.field, e.message) for e in job.errors] == [
        ("dag.xml", None, None, str(refused.value))
    ]
    assert f"bank import job {job_id} failed after its check" in caplog.text
    # the batch booked before the close stays booked, with its import; nothing after it
    assert _count(engine, t.bank_lines) == _count(engine, t.journal_entries) == BATCH
    assert _bank_total(engine) == sum(100_00 + i for i in range(BATCH))


def test_an_import_being_booked_shows_no_totals_yet_in_kronor_and_the_job_its_lines_done(engine):
    job_id = uploads.enqueue(engine, _file(), "dag.xml")
    _, token = jobs.claim(engine, job_id)
    seen = []

    def look_after_each_batch(done: int) -> None:
        with engine.connect() as conn:
            row = conn.execute(select(t.bank_imports)).one()
            job = jobs.read(conn, job_id)
        seen.append((row, job))

    result = _run(engine, job_id, token, after_batch=look_after_each_batch)
    (row, job), *_ = seen
    assert (row.format, row.currency, row.summary) == ("camt", "SEK", "{}")
    assert (row.line_count, row.credit_count, row.credit_ore) == (0, 0, 0)
    assert (row.debit_count, row.debit_ore, row.booked_count) == (0, 0, 0)
    assert (row.confirmed_count, row.matched_count, row.unmatched_count) == (0, 0, 0)
    assert job is not None and job.lines_done == BATCH
    assert [j.lines_done for _, j in seen] == [BATCH, 2 * BATCH, 3 * BATCH]
    # and once done, the file's own format and totals
    assert (result.format, result.counts.line_count) == ("camt.054.001.02", LINES)
    assert result.counts.credit_ore == sum(100_00 + i for i in range(LINES)) == 3_004_35


def _taken_by_a_background_worker(monkeypatch, outcome: Outcome) -> None:
    """The next ``jobs.claim`` finds a background worker took the job first and ended it."""
    real = jobs.claim

    def worker_first(engine: Engine, job_id: int | None = None):
        monkeypatch.setattr(jobs, "claim", real)
        assert work_one(engine, OURS) is outcome
        return None

    monkeypatch.setattr(jobs, "claim", worker_first)


def test_a_file_a_background_worker_imported_first_is_answered_with_that_import(
    engine, monkeypatch
):
    _taken_by_a_background_worker(monkeypatch, Outcome.DONE)
    result = import_ours(engine, _file(), "dag.xml")
    assert (result.filename, result.counts.booked_count) == ("dag.xml", LINES)
    assert result.cash_ore == _bank_total(engine) == sum(100_00 + i for i in range(LINES))
    assert _count(engine, t.journal_entries) == LINES


def test_a_file_a_background_worker_refused_first_is_refused_with_its_errors(engine, monkeypatch):
    _taken_by_a_background_worker(monkeypatch, Outcome.REFUSED)
    with pytest.raises(BankFileInvalid) as refused:
        import_ours(engine, _file(day_of=lambda i: date(2030, 1, 1)), "sen.xml")
    assert [(e.file, e.field) for e in refused.value.errors] == [("sen.xml", "booking_date")]
    assert _count(engine, t.journal_entries) == 0


def test_a_file_whose_background_import_failed_is_answered_with_the_failure(engine, monkeypatch):
    real = jobs.claim

    def worker_first_and_a_period_closed_meanwhile(engine: Engine, job_id: int | None = None):
        monkeypatch.setattr(jobs, "claim", real)
        _, token = real(engine, job_id)

        def close(done: int) -> None:
            with engine.begin() as conn:
                periods.close_through(conn, DAY)

        with pytest.raises(LedgerError):
            _run(engine, job_id, token, after_batch=close)
        return None

    monkeypatch.setattr(jobs, "claim", worker_first_and_a_period_closed_meanwhile)
    with pytest.raises(LedgerError) as failed:
        import_ours(engine, _file(), "dag.xml")
    assert (str(failed.value), failed.value.field) == (
        "dag.xml: inläsningen avbröts (failed)",
        "file",
    )


def test_the_import_names_who_imported_the_file(engine):
    with engine.begin() as conn:
        user = users.create_user(conn, "ekonomi@example.se", "ett långt lösenord", "finance")
    result = import_ours(engine, _file(), "dag.xml", user_id=user.id)
    with engine.connect() as conn:
        row = conn.execute(select(t.bank_imports).where(t.bank_imports.c.id == result.id)).one()
    assert row.imported_by == user.id


class _Clock:
    """A clock two seconds on at every look: every check batch is a heartbeat."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 2.0
        return self.now


def test_a_slow_check_beats_the_jobs_heart_with_how_far_it_read(engine, monkeypatch):
    monkeypatch.setattr(importer, "time", _Clock())
    job_id = uploads.enqueue(engine, _file(), "dag.xml")
    _, token = jobs.claim(engine, job_id)
    seen = []

    def look(done: int, total: int) -> None:
        seen.append(_job(engine, job_id).bytes_done)

    result = _run(engine, job_id, token, progress=look)
    assert result.counts.booked_count == LINES
    size = _job(engine, job_id).size
    assert seen[0] == 0 and seen[1] == size  # the first check batch's beat, read at the next


def test_a_database_error_storing_bank_lines_leaves_the_job_for_the_next_worker(engine):
    """The database fails the write of a batch's bank lines (by COPY on PostgreSQL) with a
    passing fault (a serialization failure): the worker raises it as a database error, so the
    job is resumed later, not ended as a fault of ours with its file half booked."""
    add_failing_trigger(
        engine, "test_fail_line", "bank_lines", "NEW.line_no = 15", "could not serialize", "40001"
    )
    job_id = uploads.enqueue(engine, _file(), "dag.xml")

    with pytest.raises(SQLAlchemyError):
        work_one(engine, OURS, job_id)
    assert _job(engine, job_id).status == ImportJobStatus.RUNNING
    assert _count(engine, t.bank_lines) == 0

    drop_trigger(engine, "test_fail_line", "bank_lines")
    _stale(engine, job_id)
    assert work_one(engine, OURS) is Outcome.DONE
    assert _job(engine, job_id).status == ImportJobStatus.DONE
    assert _count(engine, t.bank_lines) == LINES
    assert _bank_total(engine) == sum(100_00 + i for i in range(LINES))
