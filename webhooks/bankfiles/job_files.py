"""An uploaded bank file's bytes in the database (``bank_import_job_chunks``), so that any
process can import it: written, read back and dropped in 1 MiB chunks, a few per transaction,
so that even a 100 MiB file never holds SQLite's one write lock (or a PostgreSQL transaction)
for long.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import IO

from sqlalchemy import Engine, func, select

from ledger.db import tables as t
from ledger.db.engine import transaction

__all__ = ["CHUNK_BYTES", "chunk_count", "drop", "load", "spool_file", "store"]

CHUNK_BYTES = 1024 * 1024
CHUNKS_PER_TRANSACTION = 8
_SPOOL_IN_MEMORY = 8 * CHUNK_BYTES

c = t.bank_import_job_chunks.c


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


def store(engine: Engine, job_id: int, spool: IO[bytes]) -> None:
    """Write the file's chunks, ``CHUNKS_PER_TRANSACTION`` per transaction."""
    spool.seek(0)
    seq = 0
    while True:
        blocks = [b for b in (spool.read(CHUNK_BYTES) for _ in range(CHUNKS_PER_TRANSACTION)) if b]
        if not blocks:
            return
        with transaction(engine) as conn:
            conn.execute(
                t.bank_import_job_chunks.insert(),
                [{"job_id": job_id, "seq": seq + i, "data": b} for i, b in enumerate(blocks)],
            )
        seq += len(blocks)


def chunk_count(engine: Engine, job_id: int) -> int:
    """How many chunks the job's file is stored in."""
    with engine.connect() as conn:
        last = conn.scalar(select(func.max(c.seq)).where(c.job_id == job_id))
    return 0 if last is None else int(last) + 1


def load(engine: Engine, job_id: int) -> IO[bytes]:
    """The job's file, back in a temporary file; one short read per chunk, so no transaction
    stays open (on SQLite every transaction holds the write lock)."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    for seq in range(chunk_count(engine, job_id)):
        with engine.connect() as conn:
            spool.write(
                conn.execute(select(c.data).where(c.job_id == job_id, c.seq == seq)).scalar_one()
            )
    spool.seek(0)
    return spool


def drop(engine: Engine, job_id: int) -> None:
    """Delete the job's chunks (it is done, refused, or its upload was cut off)."""
    for start in range(0, chunk_count(engine, job_id), CHUNKS_PER_TRANSACTION):
        with transaction(engine) as conn:
            conn.execute(
                t.bank_import_job_chunks.delete().where(
                    c.job_id == job_id, c.seq < start + CHUNKS_PER_TRANSACTION
                )
            )
