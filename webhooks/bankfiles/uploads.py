"""An uploaded bank file becomes a job (``webhooks.bankfiles.jobs``): refused at once when the
same bytes were imported before or wait already (``BankFileConflict``, naming the earlier import
or job), else stored a few MiB per transaction (``job_files``) and left waiting for a worker.
The UNIQUE ``active_sha256`` catches two uploads of one file racing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import IO

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.db.engine import transaction
from ledger.statuses import ImportJobStatus as Status
from webhooks.bankfiles import job_files
from webhooks.bankfiles.jobs import STALE_SECONDS, now
from webhooks.errors import BankFileConflict

__all__ = ["conflict", "enqueue"]

j = t.bank_import_jobs.c

_CUT_OFF = json.dumps(
    [
        {
            "file": "",
            "line": None,
            "field": "file",
            "message": "uppladdningen avbröts; skicka filen igen",
        }
    ],
    ensure_ascii=False,
)


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
    imported before or wait already; then nothing is stored.

    The job is made ``receiving`` (its hash held by ``active_sha256``), its chunks are written
    a few per transaction, then it is made ``waiting``; an upload cut off on the way leaves a
    ``receiving`` job that the next upload of the same file clears once it is stale."""
    spool, sha256, size = job_files.spool_file(source)
    with spool:
        try:
            with transaction(engine) as conn:
                cut_off = _clear_cut_off(conn, sha256)
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
                            created_at=now(),
                            heartbeat_at=now(),
                            status=Status.RECEIVING,
                        )
                        .returning(j.id)
                    ).scalar_one()
                )
        except IntegrityError as exc:  # the same file uploaded twice at once: one job wins
            with engine.connect() as conn:
                refused = conflict(conn, sha256, filename)
            if refused is None:
                raise
            raise refused from exc
        for old in cut_off:
            job_files.drop(engine, old)
        try:
            job_files.store(engine, job_id, spool)
        except Exception:
            _cut_off(engine, job_id)
            raise
    with transaction(engine) as conn:
        conn.execute(
            t.bank_import_jobs.update().where(j.id == job_id).values(status=Status.WAITING)
        )
    return job_id


def _clear_cut_off(conn: Connection, sha256: str) -> list[int]:
    """A stale ``receiving`` job of this file lost its upload: it lets the file go. Returns
    its id, whose chunks are to be dropped."""
    stale = now() - timedelta(seconds=STALE_SECONDS)
    return list(
        conn.scalars(
            t.bank_import_jobs.update()
            .where(j.active_sha256 == sha256, j.status == Status.RECEIVING, j.heartbeat_at < stale)
            .values(status=Status.REFUSED, active_sha256=None, errors=_CUT_OFF, finished_at=now())
            .returning(j.id)
        )
    )


def _cut_off(engine: Engine, job_id: int) -> None:
    """The upload failed half-way: the job ends refused and its chunks go."""
    with transaction(engine) as conn:
        conn.execute(
            t.bank_import_jobs.update()
            .where(j.id == job_id)
            .values(status=Status.REFUSED, active_sha256=None, errors=_CUT_OFF, finished_at=now())
        )
    job_files.drop(engine, job_id)
