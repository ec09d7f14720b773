"""Importing a bank file in short transactions (issue 12, item 6), so that a large file holds
neither a web worker nor the ledger: a posting from the API or a webhook waits at most one
batch.

A file reaches the importer as a stored job (``webhooks.bankfiles.jobs``). ``run`` takes a
claimed job through its steps, each step its own short transaction that first checks the job is
still this worker's (``jobs.hold``):

1. ``check``: the whole file is read and checked with no writes; any bad line refuses the job,
   naming file, line and field, and nothing is stored or booked. The lines read are kept in a
   temporary file (``kept_lines``), so step 3 replays them instead of parsing the file again.
2. The import row is made (``bank_imports``, whose UNIQUE sha256 refuses a file imported
   meanwhile) and the file's chunks are copied to it, one chunk per transaction.
3. The lines are matched and booked a batch per transaction (``ledgering.book_batch``), the
   batch's bank lines stored with its entries and the job's progress: a batch is booked wholly
   or not at all. A worker that died mid-import leaves its job to be taken up again; the next
   one skips the lines this import stored (by line number) and counts them as its own, so no
   line is lost, booked twice, or counted as "already booked" by the import that booked it.
4. The import's totals and the file's own are written, and the job is done.

``import_file`` is the same run in the foreground (``kassan import``, the demo, tests).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from ledger.chart import BANK
from ledger.db import tables as t
from ledger.db.engine import transaction
from ledger.errors import LedgerError
from ledger.services import journal
from ledger.statuses import ImportJobStatus as Status
from webhooks.bankfiles import job_files, jobs, uploads
from webhooks.bankfiles.check import Reading, check
from webhooks.bankfiles.decide import Match, MatchKind
from webhooks.bankfiles.kept_lines import KeptLines
from webhooks.bankfiles.ledgering import BatchCounts, book_batch
from webhooks.bankfiles.ours import OurAccounts
from webhooks.bankfiles.result import ImportResult, file_summary, load
from webhooks.bankfiles.tally import Tally
from webhooks.errors import BankFileConflict, BankFileInvalid

__all__ = [
    "BATCH_LINES",
    "cash_balance",
    "import_file",
    "read_file",
    "run",
]

log = logging.getLogger(__name__)

# Lines booked per transaction: small enough that a posting waiting for the ledger's lock (or
# SQLite's write lock) waits well under a second (bench/bankimport_wait.py measures it).
BATCH_LINES = 500

Progress = Callable[[int, int], None]  # (work done, all the work): the CLI's progress bar
AfterBatch = Callable[[int], None]  # lines booked so far; called between transactions


def cash_balance(conn: Connection, currency: str = "SEK", account: str = BANK) -> int:
    """A bank ledger account's balance (1930 unless ``account``), debit minus credit, in öre."""
    b = t.account_balances.c
    total = conn.execute(
        select(func.coalesce(func.sum(b.debit_ore - b.credit_ore), 0)).where(
            b.account == account, b.currency == currency
        )
    ).scalar_one()
    return int(total)


def _copy_chunks(engine: Engine, job_id: int, token: str, import_id: int) -> None:
    """The job's bytes become the import's stored file, one chunk per transaction."""
    jc, ic = t.bank_import_job_chunks.c, t.bank_import_chunks.c
    for seq in range(job_files.chunk_count(engine, job_id)):
        with transaction(engine) as conn:
            jobs.hold(conn, job_id, token)
            copied = select(ic.seq).where(ic.import_id == import_id, ic.seq == seq)
            if conn.scalar(copied) is not None:
                continue
            data = conn.scalar(select(jc.data).where(jc.job_id == job_id, jc.seq == seq))
            conn.execute(
                t.bank_import_chunks.insert().values(import_id=import_id, seq=seq, data=data)
            )


def _make_import(engine: Engine, job_id: int, token: str, fmt: str) -> int:
    """The job's import row, made once; ``BankFileConflict`` if the file was imported meanwhile."""
    try:
        with transaction(engine) as conn:
            row = jobs.hold(conn, job_id, token)
            if row.import_id is not None:
                return int(row.import_id)
            import_id = int(
                conn.execute(
                    t.bank_imports.insert()
                    .values(
                        sha256=row.sha256,
                        filename=row.filename,
                        format=fmt[:20],
                        imported_at=datetime.now(UTC),
                        imported_by=row.requested_by,
                        line_count=0,
                        credit_count=0,
                        credit_ore=0,
                        debit_count=0,
                        debit_ore=0,
                        currency="SEK",
                        booked_count=0,
                        confirmed_count=0,
                        matched_count=0,
                        unmatched_count=0,
                        summary="{}",
                    )
                    .returning(t.bank_imports.c.id)
                ).scalar_one()
            )
            conn.execute(
                t.bank_import_jobs.update()
                .where(t.bank_import_jobs.c.id == job_id)
                .values(import_id=import_id)
            )
    except IntegrityError as exc:
        with engine.connect() as conn:
            refused = uploads.conflict(conn, row.sha256, row.filename)
        if refused is None:
            raise
        raise refused from exc
    return import_id


def _booked_before(engine: Engine, import_id: int) -> dict[int, MatchKind]:
    """The lines this import stored before its worker died: line number, how it was matched."""
    b = t.bank_lines.c
    with engine.connect() as conn:
        rows = conn.execute(select(b.line_no, b.match_kind).where(b.import_id == import_id))
        return {int(r.line_no): MatchKind(r.match_kind) for r in rows}


def run(
    engine: Engine,
    job_id: int,
    token: str,
    *,
    mail_config: Mapping[str, object] | None = None,
    batch_lines: int = BATCH_LINES,
    progress: Progress | None = None,
    after_batch: AfterBatch | None = None,
) -> ImportResult:
    """Import a job this worker claimed (``jobs.claim``). A bad file ends the job refused and
    raises ``BankFileInvalid`` (or ``BankFileConflict``: imported meanwhile); the ledger
    refusing a batch ends it failed and raises that ``LedgerError``; ``jobs.JobLost`` when
    another worker took the job over. ``after_batch`` runs between the booking transactions.

    ``mail_config`` is the app configuration: the receipt e-mails of gifts paid by the file are
    written with it, and it names our bankgiro (``BANKGIRO``) and Swish numbers
    (``SWISH_PAYEE_NUMBER``, ``SWISH_MERCHANT_NUMBER``); with None, none is ours."""
    with engine.connect() as conn:
        job = conn.execute(
            select(t.bank_import_jobs).where(t.bank_import_jobs.c.id == job_id)
        ).one()
    with job_files.load(engine, job_id) as spool, KeptLines() as kept:
        size = int(job.size)
        try:
            reading = Reading(spool, job.filename, job.format)
            last = [time.monotonic()]

            def beat(done: int) -> None:
                if progress is not None:
                    progress(done, 2 * size)
                if time.monotonic() - last[0] >= 1.0:  # a heartbeat, not a write per batch
                    jobs.beat(engine, job_id, token, bytes_done=done)
                    last[0] = time.monotonic()

            total = check(engine, reading, mail_config, batch_lines, beat, kept)
            jobs.beat(engine, job_id, token, bytes_done=size, line_total=total)
            import_id = _make_import(engine, job_id, token, reading.format)
        except (BankFileInvalid, BankFileConflict) as exc:
            jobs.refuse(engine, job_id, token, exc)
            raise
        try:
            return _book(
                engine,
                job,
                token,
                import_id,
                kept,
                mail_config,
                progress,
                after_batch,
            )
        except LedgerError as exc:
            log.exception("bank import job %s failed after its check", job_id)
            jobs.fail(engine, job_id, token, str(exc))
            raise


def _book(
    engine: Engine,
    job: Any,
    token: str,
    import_id: int,
    kept: KeptLines,
    config: Mapping[str, object] | None,
    progress: Progress | None,
    after_batch: AfterBatch | None,
) -> ImportResult:
    job_id, size = int(job.id), int(job.size)
    _copy_chunks(engine, job_id, token, import_id)
    before = _booked_before(engine, import_id)
    fmt = kept.format
    with engine.connect() as conn:
        ours = OurAccounts.read(conn, config)
    counts, tally = BatchCounts(), Tally()
    for batch in kept.batches():
        fresh = [ln for ln in batch if ln.line_no not in before]
        for line in batch:
            if line.line_no in before:  # booked by this import before its worker died
                match = Match(before[line.line_no])
                counts.add(line, match)
                tally.add([line], [match])
        if fresh:
            with transaction(engine) as conn:
                jobs.hold(
                    conn,
                    job_id,
                    token,
                    lines_done=counts.line_count + len(fresh),
                    bytes_done=kept.position,
                )
                slugs = journal.network_slugs(conn)
                accounts = {ln.account for ln in fresh}  # one or a few: each looked up once
                banks = {a: ours.ledger_account(fmt, a) or BANK for a in accounts}
                matches = book_batch(
                    conn, import_id, fresh, slugs, job.requested_by, counts, config, banks
                )
            tally.add(fresh, matches)
        if progress is not None:
            progress(size + kept.position, 2 * size)
        if after_batch is not None:
            after_batch(counts.line_count)
    file = kept.file
    summary = file_summary(file, tally)
    with transaction(engine) as conn:
        jobs.hold(conn, job_id, token)
        conn.execute(
            t.bank_imports.update()
            .where(t.bank_imports.c.id == import_id)
            .values(
                format=file.format[:20],
                currency=file.currency,
                summary=json.dumps(summary, ensure_ascii=False),
                **asdict(counts),
            )
        )
        # The balance of the ledger account the file's money went to (1930 unless the file's
        # account books elsewhere).
        cash_account = {ours.ledger_account(fmt, a) or BANK for a in file.accounts}
        cash = cash_balance(conn, file.currency, *(cash_account if len(cash_account) == 1 else ()))
        jobs.finish(conn, job_id, import_id, cash, counts.line_count)
        result = load(conn, import_id, cash)
        if result is None:  # made above by this worker, and never deleted
            raise RuntimeError(f"bank import {import_id} vanished while it was written")
    job_files.drop(engine, job_id)
    if progress is not None:
        progress(2 * size, 2 * size)
    return result


def import_file(
    engine: Engine,
    data_or_stream: bytes | BinaryIO,
    filename: str,
    *,
    format: str | None = None,
    user_id: int | None = None,
    progress: Progress | None = None,
    batch_lines: int = BATCH_LINES,
    mail_config: Mapping[str, object] | None = None,
) -> ImportResult:
    """Store a bank file as a job and import it here and now; raises ``BankFileConflict``
    (409) for a file imported before or already queued and ``BankFileInvalid`` (422, naming
    file, line and field) for a file with any bad line, and then nothing is booked. A file
    for an account that is not ours (``webhooks.bankfiles.ours``) is refused whole."""
    job_id = uploads.enqueue(engine, data_or_stream, filename, format=format, user_id=user_id)
    claimed = jobs.claim(engine, job_id)
    if claimed is None:  # a background worker took it first: wait for its end
        job = jobs.wait(engine, job_id)
        if job.status is Status.DONE and job.import_id is not None:
            with engine.connect() as conn:
                found = load(conn, job.import_id, job.cash_ore or 0)
            if found is not None:
                return found
        if job.status is Status.REFUSED:
            raise BankFileInvalid(job.errors)
        raise LedgerError(f"{filename}: inläsningen avbröts ({job.status})", "file")
    try:
        return run(
            engine,
            job_id,
            claimed[1],
            mail_config=mail_config,
            batch_lines=batch_lines,
            progress=progress,
        )
    except BaseException:
        # Interrupted here (Ctrl-C, a crash of the caller): a refused or failed job has ended
        # already; one that was still running goes back to the queue, for a worker to finish.
        jobs.release(engine, job_id, claimed[1])
        raise


def read_file(conn: Connection, import_id: int, out: BinaryIO) -> None:
    """Write an imported file back out, byte for byte, from its chunks."""
    c = t.bank_import_chunks.c
    rows = conn.execute(select(c.data).where(c.import_id == import_id).order_by(c.seq)).scalars()
    for block in rows:
        out.write(block)
