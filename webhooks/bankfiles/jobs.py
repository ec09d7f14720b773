"""The queue of uploaded bank files (issue 12, item 6): a file is stored whole as a job, and a
worker (any process: the app's own thread or ``kassan webhooks work``) takes it and imports it.

* ``uploads.enqueue`` stores an uploaded file as a job (it starts ``receiving``, then waits).
* ``claim`` takes a waiting job, or one whose worker stopped beating its heart for
  ``STALE_SECONDS`` (it died), under a row lock (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
  ``BEGIN IMMEDIATE`` on SQLite) and gives it a fresh claim token.
* ``hold`` is the check every write of the worker makes inside its own transaction: the job
  still runs under this token. A worker whose job was taken over stops at its next write, so
  two workers never book one job.
* ``read`` is the job as the API and the desk show it: waiting, running with its progress,
  done with its import, or refused with every file-line-field error.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select

from ledger.db import dialect
from ledger.db import tables as t
from ledger.db.engine import transaction
from ledger.statuses import ImportJobStatus as Status
from webhooks.bankfiles import job_files
from webhooks.errors import BankFileConflict, BankFileInvalid, ParseError

__all__ = [
    "STALE_SECONDS",
    "Job",
    "JobLost",
    "beat",
    "claim",
    "fail",
    "finish",
    "hold",
    "now",
    "read",
    "refuse",
    "release",
    "unfinished",
    "wait",
]

# A running job whose heartbeat is older than this lost its worker (the worker beats at least
# every batch and every few MiB checked, which take well under a second each).
STALE_SECONDS = 60

j = t.bank_import_jobs.c


class JobLost(Exception):
    """Another worker took the job over (this one was thought dead): stop, book nothing."""


@dataclass(frozen=True, slots=True)
class Job:
    """A job as it is shown: its state, its progress and how it ended."""

    id: int
    filename: str
    sha256: str
    size: int
    status: Status
    bytes_done: int
    line_total: int | None
    lines_done: int
    import_id: int | None
    cash_ore: int | None
    errors: tuple[ParseError, ...]
    created_at: datetime
    finished_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filename": self.filename,
            "sha256": self.sha256,
            "status": str(self.status),
            "size": self.size,
            "bytes_done": self.bytes_done,
            "line_total": self.line_total,
            "lines_done": self.lines_done,
            "import_id": self.import_id,
            "errors": [
                {"file": e.file, "line": e.line, "field": e.field, "message": e.message}
                for e in self.errors
            ],
        }


def now() -> datetime:
    return datetime.now(UTC)


def claim(engine: Engine, job_id: int | None = None) -> tuple[int, str] | None:
    """Take a waiting job (the oldest, or ``job_id``), or a running one whose worker died;
    (its id, the claim token), or None when there is none to take."""
    stale = now() - timedelta(seconds=STALE_SECONDS)
    takeable = or_(
        j.status == Status.WAITING,
        and_(j.status == Status.RUNNING, j.heartbeat_at < stale),
    )
    query = select(j.id).where(takeable).order_by(j.id).limit(1)
    if job_id is not None:
        query = query.where(j.id == job_id)
    token = str(uuid.uuid4())
    with transaction(engine) as conn:
        if dialect.is_postgresql(conn):
            query = query.with_for_update(skip_locked=True)
        found = conn.scalar(query)
        if found is None:
            return None
        conn.execute(
            t.bank_import_jobs.update()
            .where(j.id == found)
            .values(
                status=Status.RUNNING,
                claim=token,
                heartbeat_at=now(),
                attempts=j.attempts + 1,
            )
        )
    return int(found), token


def hold(conn: Connection, job_id: int, token: str, **progress: Any) -> Any:
    """Inside a write transaction: lock the job's row, raise ``JobLost`` unless it still runs
    under ``token``, and record ``progress`` (column values) with a fresh heartbeat. Returns
    the job's row as it was."""
    query = select(t.bank_import_jobs).where(j.id == job_id)
    if dialect.is_postgresql(conn):
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None or row.status != Status.RUNNING or row.claim != token:
        raise JobLost(f"bank import job {job_id} is no longer held by this worker")
    conn.execute(
        t.bank_import_jobs.update().where(j.id == job_id).values(heartbeat_at=now(), **progress)
    )
    return row


def beat(engine: Engine, job_id: int, token: str, **progress: Any) -> None:
    """``hold`` in a transaction of its own: progress while the file is checked."""
    with transaction(engine) as conn:
        hold(conn, job_id, token, **progress)


def refuse(
    engine: Engine, job_id: int, token: str, exc: BankFileInvalid | BankFileConflict
) -> None:
    """End the job as refused with its errors; its bytes are dropped, nothing was booked, and
    the same file may be uploaded again once it is fixed (or its account added)."""
    errors = (
        exc.errors
        if isinstance(exc, BankFileInvalid)
        else (ParseError("", None, exc.field, str(exc)),)
    )
    with transaction(engine) as conn:
        row = hold(conn, job_id, token)
        listed = [
            {"file": e.file or row.filename, "line": e.line, "field": e.field, "message": e.message}
            for e in errors
        ]
        conn.execute(
            t.bank_import_jobs.update()
            .where(j.id == job_id)
            .values(
                status=Status.REFUSED,
                active_sha256=None,
                claim=None,
                errors=json.dumps(listed, ensure_ascii=False),
                finished_at=now(),
            )
        )
    job_files.drop(engine, job_id)


def fail(engine: Engine, job_id: int, token: str, message: str) -> None:
    """End the job as failed: the ledger refused a batch after the whole file was checked
    (a period closed meanwhile). What was booked stays booked, with its import."""
    with transaction(engine) as conn:
        row = hold(conn, job_id, token)
        error = {"file": row.filename, "line": None, "field": None, "message": message[:2000]}
        conn.execute(
            t.bank_import_jobs.update()
            .where(j.id == job_id)
            .values(
                status=Status.FAILED,
                claim=None,
                errors=json.dumps([error], ensure_ascii=False),
                finished_at=now(),
            )
        )


def release(engine: Engine, job_id: int, token: str) -> None:
    """Give a job this worker holds back to the queue (a foreground import interrupted): the
    next worker resumes it at once, from the lines already booked."""
    with transaction(engine) as conn:
        conn.execute(
            t.bank_import_jobs.update()
            .where(j.id == job_id, j.claim == token, j.status == Status.RUNNING)
            .values(status=Status.WAITING, claim=None)
        )


def finish(conn: Connection, job_id: int, import_id: int, cash_ore: int, lines: int) -> None:
    """Inside the transaction that writes the import's totals: the job is done."""
    conn.execute(
        t.bank_import_jobs.update()
        .where(j.id == job_id)
        .values(
            status=Status.DONE,
            active_sha256=None,  # bank_imports.sha256 refuses the file from now on
            claim=None,
            import_id=import_id,
            cash_ore=cash_ore,
            lines_done=lines,
            finished_at=now(),
        )
    )


def wait(engine: Engine, job_id: int, every: float = 0.2) -> Job:
    """Wait until another worker ends the job; the job as it ended."""
    while True:
        with engine.connect() as conn:
            job = read(conn, job_id)
        if job is None:
            raise LookupError(f"no bank import job {job_id}")
        if job.status not in (Status.RECEIVING, Status.WAITING, Status.RUNNING):
            return job
        time.sleep(every)


def _job(row: Any) -> Job:
    errors = tuple(
        ParseError(e["file"] or row.filename, e["line"], e["field"], e["message"])
        for e in json.loads(row.errors or "[]")
    )
    return Job(
        int(row.id),
        row.filename,
        row.sha256,
        int(row.size),
        Status(row.status),
        int(row.bytes_done),
        row.line_total,
        int(row.lines_done),
        row.import_id,
        row.cash_ore,
        errors,
        row.created_at,
        row.finished_at,
    )


def read(conn: Connection, job_id: int) -> Job | None:
    """One job, or None."""
    row = conn.execute(select(t.bank_import_jobs).where(j.id == job_id)).first()
    return None if row is None else _job(row)


def unfinished(conn: Connection) -> list[Job]:
    """Jobs that wait or run, oldest first (the desk lists them above the imports)."""
    rows = conn.execute(
        select(t.bank_import_jobs)
        .where(j.status.in_([Status.RECEIVING, Status.WAITING, Status.RUNNING]))
        .order_by(j.id)
    )
    return [_job(r) for r in rows]
