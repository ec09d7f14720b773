"""The queue of uploaded bank files (issue 12, item 6): a file is stored whole as a job, and a
worker (any process: the app's own thread or ``kassan webhooks work``) takes it and imports it.

* ``enqueue`` spools and hashes the upload, refuses a file imported before or already queued
  (``BankFileConflict``, naming the earlier import or job), and stores the job with its bytes
  in 1 MiB chunks in one transaction. The UNIQUE ``active_sha256`` catches two uploads racing.
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

import hashlib
import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from sqlalchemy import Connection, Engine, and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from ledger.db import dialect
from ledger.db import tables as t
from ledger.db.engine import transaction
from ledger.statuses import ImportJobStatus as Status
from webhooks.errors import BankFileConflict, BankFileInvalid, ParseError

__all__ = [
    "CHUNK_BYTES",
    "STALE_SECONDS",
    "Job",
    "JobLost",
    "beat",
    "chunk_count",
    "claim",
    "conflict",
    "drop_bytes",
    "enqueue",
    "fail",
    "finish",
    "hold",
    "load_bytes",
    "read",
    "refuse",
    "release",
    "spool_file",
    "unfinished",
    "wait",
]

CHUNK_BYTES = 1024 * 1024
_SPOOL_IN_MEMORY = 8 * CHUNK_BYTES
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


def _now() -> datetime:
    return datetime.now(UTC)


def spool_file(source: bytes | IO[bytes]) -> tuple[IO[bytes], str, int]:
    """The upload in a temporary file (in memory while small), its sha256 and its size."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        spool.write(source)
        digest.update(source)
    else:
        while block := source.read(CHUNK_BYTES):
            spool.write(block)
            digest.update(block)
    size = spool.tell()
    spool.seek(0)
    return spool, digest.hexdigest(), size


def conflict(conn: Connection, sha256: str, filename: str) -> BankFileConflict | None:
    """The conflict naming the import or the job that has this file already, if any."""
    i = t.bank_imports.c
    found = conn.execute(select(i.id, i.filename, i.imported_at).where(i.sha256 == sha256)).first()
    if found is not None:
        when = found.imported_at.strftime("%Y-%m-%d %H:%M") if found.imported_at else "tidigare"
        return BankFileConflict(
            f"{filename}: filen är redan inläst (import {found.id}, {found.filename}, {when}); "
            "inget bokfördes",
            "file",
        )
    queued = conn.execute(select(j.id, j.filename).where(j.active_sha256 == sha256)).first()
    if queued is not None:
        return BankFileConflict(
            f"{filename}: filen väntar redan på att läsas in (jobb {queued.id}, "
            f"{queued.filename}); inget bokfördes",
            "file",
        )
    return None


def enqueue(
    engine: Engine,
    source: bytes | IO[bytes],
    filename: str,
    *,
    format: str | None = None,
    user_id: int | None = None,
) -> int:
    """Store the file as a waiting job; its id. ``BankFileConflict`` if the same bytes were
    imported before or wait already; then nothing is stored."""
    spool, sha256, size = spool_file(source)
    with spool:
        try:
            with transaction(engine) as conn:
                refused = conflict(conn, sha256, filename)
                if refused is not None:
                    raise refused
                job_id = int(
                    conn.execute(
                        t.bank_import_jobs.insert()
                        .values(
                            sha256=sha256,
                            active_sha256=sha256,
                            filename=filename[:255],
                            format=format,
                            size=size,
                            requested_by=user_id,
                            created_at=_now(),
                            status=Status.WAITING,
                        )
                        .returning(j.id)
                    ).scalar_one()
                )
                seq = 0
                while block := spool.read(CHUNK_BYTES):
                    conn.execute(
                        t.bank_import_job_chunks.insert().values(job_id=job_id, seq=seq, data=block)
                    )
                    seq += 1
        except IntegrityError as exc:  # the same file uploaded twice at once: one job wins
            with engine.connect() as conn:
                refused = conflict(conn, sha256, filename)
            if refused is None:
                raise
            raise refused from exc
    return job_id


def claim(engine: Engine, job_id: int | None = None) -> tuple[int, str] | None:
    """Take a waiting job (the oldest, or ``job_id``), or a running one whose worker died;
    (its id, the claim token), or None when there is none to take."""
    stale = _now() - timedelta(seconds=STALE_SECONDS)
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
                heartbeat_at=_now(),
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
        t.bank_import_jobs.update().where(j.id == job_id).values(heartbeat_at=_now(), **progress)
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
                finished_at=_now(),
            )
        )
        conn.execute(
            t.bank_import_job_chunks.delete().where(t.bank_import_job_chunks.c.job_id == job_id)
        )


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
                finished_at=_now(),
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
            finished_at=_now(),
        )
    )


def drop_bytes(engine: Engine, job_id: int) -> None:
    """A done job's own copy of the file (the import keeps its own)."""
    with transaction(engine) as conn:
        conn.execute(
            t.bank_import_job_chunks.delete().where(t.bank_import_job_chunks.c.job_id == job_id)
        )


def wait(engine: Engine, job_id: int, every: float = 0.2) -> Job:
    """Wait until another worker ends the job; the job as it ended."""
    while True:
        with engine.connect() as conn:
            job = read(conn, job_id)
        if job is None:
            raise LookupError(f"no bank import job {job_id}")
        if job.status not in (Status.WAITING, Status.RUNNING):
            return job
        time.sleep(every)


def load_bytes(engine: Engine, job_id: int) -> IO[bytes]:
    """The job's file, back in a temporary file; one short read per chunk, so no transaction
    stays open (on SQLite every transaction holds the write lock)."""
    c = t.bank_import_job_chunks.c
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    for seq in range(chunk_count(engine, job_id)):
        with engine.connect() as conn:
            spool.write(
                conn.execute(select(c.data).where(c.job_id == job_id, c.seq == seq)).scalar_one()
            )
    spool.seek(0)
    return spool


def chunk_count(engine: Engine, job_id: int) -> int:
    """How many chunks the job's file is stored in."""
    c = t.bank_import_job_chunks.c
    with engine.connect() as conn:
        last = conn.scalar(select(func.max(c.seq)).where(c.job_id == job_id))
    return 0 if last is None else int(last) + 1


def _job(row: Any) -> Job:
    errors = tuple(
        ParseError(e["file"], e["line"], e["field"], e["message"])
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
        .where(j.status.in_([Status.WAITING, Status.RUNNING]))
        .order_by(j.id)
    )
    return [_job(r) for r in rows]
