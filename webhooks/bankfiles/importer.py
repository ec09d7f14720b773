"""Importing a bank file: one call that stores the file whole, its lines, and books them, in
one transaction, so a refused file or a crash leaves nothing behind.

``import_file`` spools the upload to a temporary file while hashing it (the same bytes twice
are refused by the UNIQUE sha256, also when two processes race), then in one transaction
inserts the import, stores the file in 1 MiB chunks, streams the parser's lines through the
matcher in batches and books them with ``posting.post_many``. A camt file is parsed as a
stream: its ``BankFileInvalid`` comes when the iteration ends, and rolls the whole import back.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from itertools import islice
from typing import IO, Any, BinaryIO

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from ledger.chart import BANK
from ledger.db import tables as t
from ledger.db.engine import transaction
from ledger.services import journal
from webhooks.bankfiles.camt import CamtReader
from webhooks.bankfiles.detect import detect, parse
from webhooks.bankfiles.ledgering import BatchCounts, book_batch
from webhooks.bankfiles.ours import OurAccounts
from webhooks.bankfiles.records import BankFile, BankLine
from webhooks.bankfiles.result import ImportResult, load
from webhooks.bankfiles.tally import Tally
from webhooks.errors import BankFileConflict

__all__ = [
    "CHUNK_BYTES",
    "cash_balance",
    "import_file",
    "read_file",
]

CHUNK_BYTES = 1024 * 1024
BATCH_LINES = 5000
_SPOOL_IN_MEMORY = 8 * CHUNK_BYTES

Progress = Callable[[int, int], None]  # (bytes of the file read, its size in bytes)


def _spool(source: bytes | BinaryIO) -> tuple[IO[bytes], str, int]:
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


def _earlier(conn: Connection, sha256: str) -> Any:
    i = t.bank_imports.c
    return conn.execute(select(i.id, i.filename, i.imported_at).where(i.sha256 == sha256)).first()


def _refuse(found: Any, filename: str) -> BankFileConflict:
    when = found.imported_at.strftime("%Y-%m-%d %H:%M") if found.imported_at else "tidigare"
    return BankFileConflict(
        f"{filename}: filen är redan inläst (import {found.id}, {found.filename}, {when}); "
        "inget bokfördes",
        "file",
    )


def _summary(file: BankFile, tally: Tally) -> dict[str, Any]:
    return {
        "format": file.format,
        "created_at": file.created_at.isoformat() if file.created_at else None,
        "accounts": list(file.accounts),
        "period_start": file.period_start.isoformat() if file.period_start else None,
        "period_end": file.period_end.isoformat() if file.period_end else None,
        "controls": [
            {"what": c.what, "declared": c.declared, "computed": c.computed, "ok": c.ok}
            for c in file.controls
        ],
        "balances": [
            {
                "account": b.account,
                "currency": b.closing.currency,
                "opening_ore": b.opening.ore,
                "closing_ore": b.closing.ore,
                "closing_date": b.closing_date.isoformat() if b.closing_date else None,
            }
            for b in file.balances
        ],
        "skipped": file.skipped,
        "test": file.test,
        "groups": [g.as_dict() for g in tally.totals()],
        "problems": tally.problems(file.balances),
    }


def cash_balance(conn: Connection, currency: str = "SEK", account: str = BANK) -> int:
    """A bank ledger account's balance (1930 unless ``account``), debit minus credit, in öre."""
    b = t.account_balances.c
    total = conn.execute(
        select(func.coalesce(func.sum(b.debit_ore - b.credit_ore), 0)).where(
            b.account == account, b.currency == currency
        )
    ).scalar_one()
    return int(total)


def _store(conn: Connection, import_id: int, spool: IO[bytes]) -> None:
    spool.seek(0)
    seq = 0
    while block := spool.read(CHUNK_BYTES):
        conn.execute(t.bank_import_chunks.insert().values(import_id=import_id, seq=seq, data=block))
        seq += 1
    spool.seek(0)


def _batches(lines: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(lines)
    while batch := list(islice(it, size)):
        yield batch


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
    """Import one bank file; raises ``BankFileConflict`` (409) for a file imported before and
    ``BankFileInvalid`` (422, naming file, line and field) for a file with any bad line.

    ``mail_config`` is the app configuration: the receipt e-mails of gifts paid by the file are
    written with it, and it names our bankgiro (``BANKGIRO``) and Swish numbers
    (``SWISH_PAYEE_NUMBER``, ``SWISH_MERCHANT_NUMBER``). A file for an account that is not ours
    (``webhooks.bankfiles.ours``) is refused whole with ``BankFileInvalid``; with None, no
    bankgiro and no Swish number are ours."""
    spool, sha256, size = _spool(data_or_stream)
    with spool:
        kind = format or detect(spool.read(4096))
        spool.seek(0)
        with engine.connect() as conn:
            found = _earlier(conn, sha256)
        if found is not None:
            raise _refuse(found, filename)
        parsed = None
        if kind not in ("camt.053", "camt.054"):
            parsed = parse(spool.read(), filename, format)  # small flat files: read whole
            spool.seek(0)
        try:
            return _import(
                engine,
                spool,
                sha256,
                size,
                filename,
                parsed,
                user_id,
                progress,
                batch_lines,
                mail_config,
            )
        except IntegrityError as exc:
            # Two processes with the same file: the second waited on the UNIQUE sha256.
            with engine.connect() as conn:
                found = _earlier(conn, sha256)
            if found is None:
                raise
            raise _refuse(found, filename) from exc


def _import(
    engine: Engine,
    spool: IO[bytes],
    sha256: str,
    size: int,
    filename: str,
    parsed: Any,
    user_id: int | None,
    progress: Progress | None,
    batch_lines: int,
    mail_config: Mapping[str, object] | None,
) -> ImportResult:
    with transaction(engine) as conn:
        found = _earlier(conn, sha256)  # SQLite: BEGIN IMMEDIATE made this authoritative
        if found is not None:
            raise _refuse(found, filename)
        import_id = int(
            conn.execute(
                t.bank_imports.insert()
                .values(
                    sha256=sha256,
                    filename=filename[:255],
                    format=(parsed.file.format if parsed else "camt")[:20],
                    imported_at=datetime.now(UTC),
                    imported_by=user_id,
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
        _store(conn, import_id, spool)
        reader = None if parsed else CamtReader(spool, filename)  # type: ignore[arg-type]
        lines: Iterable[BankLine] = parsed.lines if parsed else reader  # type: ignore[assignment]
        total = len(parsed.lines) if parsed else 0
        slugs = journal.network_slugs(conn)
        ours = OurAccounts.read(conn, mail_config)
        fmt = parsed.file.format if parsed else "camt"
        counts = BatchCounts()
        tally = Tally()
        for batch in _batches(lines, batch_lines):
            ours.refuse_others(fmt, filename, batch)
            banks = {ln.account: ours.ledger_account(fmt, ln.account) or BANK for ln in batch}
            matches = book_batch(conn, import_id, batch, slugs, user_id, counts, mail_config, banks)
            tally.add(batch, matches)
            if progress is not None:
                done = spool.tell() if reader else size * counts.line_count // max(total, 1)
                progress(min(done, size), size)
        file = parsed.file if parsed else reader.file  # type: ignore[union-attr]
        ours.refuse_other_accounts(fmt, filename, file.accounts)
        summary = _summary(file, tally)
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
        result = load(conn, import_id, cash)
        if result is None:  # inserted above, in this same transaction
            raise RuntimeError(f"bank import {import_id} vanished while it was written")
    if progress is not None:
        progress(size, size)
    return result


def read_file(conn: Connection, import_id: int, out: BinaryIO) -> None:
    """Write an imported file back out, byte for byte, from its chunks."""
    c = t.bank_import_chunks.c
    rows = conn.execute(select(c.data).where(c.import_id == import_id).order_by(c.seq)).scalars()
    for block in rows:
        out.write(block)
