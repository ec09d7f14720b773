"""The whole file checked before anything is booked (issue 12, item 6): an import books in many
short transactions, so every reason to refuse the file must be found first, with no writes.

``Reading`` walks a stored file's lines batch by batch (a camt file as a stream; the flat
formats parsed whole, they are small) and knows how far into the bytes it is. ``check`` reads
it to the end: the parser's own faults (structure, control totals, balances), an account that
is not ours, and every line that would be booked on a date the ledger cannot take (a year not
opened, a closed period); only for a batch with such a date does it ask the matcher, read-only,
which lines would be booked (a line already booked books nothing, whatever its date). Any fault
raises ``BankFileInvalid`` naming file, line and field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from itertools import islice
from typing import IO

from sqlalchemy import Engine

from ledger.errors import InvalidEntry
from ledger.services import journal, periods
from webhooks.bankfiles.camt import CamtReader
from webhooks.bankfiles.decide import MATCHED, MatchKind
from webhooks.bankfiles.detect import detect, parse
from webhooks.bankfiles.kept_lines import KeptLines
from webhooks.bankfiles.matcher import match_batch
from webhooks.bankfiles.ours import OurAccounts
from webhooks.bankfiles.records import BankFile, BankLine
from webhooks.errors import BankFileInvalid, ParseError

__all__ = ["BOOKS", "Reading", "check"]

BOOKS = (*MATCHED, MatchKind.UNMATCHED)  # kinds that book a new entry
_SHOWN = 20  # date faults listed at most; a year not opened is one fault per year anyway


class Reading:
    """One pass over a stored file's lines, in batches."""

    def __init__(self, spool: IO[bytes], filename: str, format: str | None) -> None:
        self.spool, self.filename, self.size = spool, filename, _size(spool)
        spool.seek(0)
        kind = format or detect(spool.read(4096))
        spool.seek(0)
        self._parsed = None
        self._reader: CamtReader | None = None
        if kind not in ("camt.053", "camt.054"):
            self._parsed = parse(spool.read(), filename, format)  # small flat files: whole
            spool.seek(0)
        else:
            self._reader = CamtReader(spool, filename)  # type: ignore[arg-type]
        self.format = self._parsed.file.format if self._parsed else "camt"
        self.done = 0

    def batches(self, size: int) -> Iterator[list[BankLine]]:
        lines: Iterable[BankLine] = self._parsed.lines if self._parsed else self._reader  # type: ignore[assignment]
        it = iter(lines)
        while batch := list(islice(it, size)):
            self.done += len(batch)
            yield batch

    @property
    def position(self) -> int:
        """Bytes of the file read so far (for a flat file: in proportion to its lines)."""
        if self._reader is not None:
            return min(self.spool.tell(), self.size)
        total = len(self._parsed.lines) if self._parsed else 0
        return self.size * self.done // max(total, 1)

    @property
    def file(self) -> BankFile:
        """The file's summary; complete once every batch is read."""
        return self._parsed.file if self._parsed else self._reader.file  # type: ignore[union-attr]


def _size(spool: IO[bytes]) -> int:
    spool.seek(0, 2)
    return spool.tell()


def _date_fault(day: date, years: Mapping[int, date | None]) -> tuple[str, str] | None:
    """(what to key the fault by, its Swedish text) when the ledger cannot book on ``day``,
    by the posting writer's own rules (``posting.writer``)."""
    try:
        periods.check_date(day)
    except InvalidEntry:
        allowed = periods.years_allowed()
        return (
            f"date {day}",
            f"{day.isoformat()} kan inte bokföras: året ska vara {allowed.start}–"
            f"{allowed.stop - 1}",
        )
    if day.year not in years:
        return (
            f"year {day.year}",
            f"räkenskapsåret {day.year} är inte öppnat (kassan ledger open-year {day.year})",
        )
    locked = years[day.year]
    if locked is not None and day <= locked:
        return (
            f"closed {locked}",
            f"bokföringen är stängd till och med {locked.isoformat()}; "
            f"{day.isoformat()} kan inte ta nya verifikationer",
        )
    return None


def check(
    engine: Engine,
    reading: Reading,
    config: Mapping[str, object] | None,
    batch_lines: int,
    beat: Callable[[int], None] | None = None,
    keep: KeptLines | None = None,
) -> int:
    """Read the whole file; its number of lines, or ``BankFileInvalid`` with every fault found.
    ``beat(bytes read)`` is called after each batch; ``keep`` gets every batch read, for the
    booking pass to replay instead of parsing the file again."""
    with engine.connect() as conn:
        ours = OurAccounts.read(conn, config)
        years = journal.fiscal_year_locks(conn)
    faults: list[ParseError] = []
    seen_faults: set[str] = set()
    seen_keys: set[str] = set()
    lines = 0
    for batch in reading.batches(batch_lines):
        ours.refuse_others(reading.format, reading.filename, batch)
        ours.refuse_foreign_currency(reading.filename, batch)
        lines += len(batch)
        fresh = [ln for ln in batch if ln.key not in seen_keys]
        dated = [(ln, _date_fault(ln.booking_date, years)) for ln in fresh]
        if any(fault is not None for _, fault in dated):
            # Only a line that would be booked needs a bookable date (one confirmed, or in
            # conflict, books nothing): ask the matcher, read-only, for this batch alone.
            with engine.connect() as conn:  # one short read: on SQLite it holds the write lock
                matches = match_batch(conn, fresh)
            dated = [
                (ln, fault if m.kind in BOOKS else None)
                for (ln, fault), m in zip(dated, matches, strict=True)
            ]
        for line, found in dated:
            if found is not None and found[0] not in seen_faults and len(faults) < _SHOWN:
                seen_faults.add(found[0])
                faults.append(
                    ParseError(reading.filename, line.source_line, "booking_date", found[1])
                )
        seen_keys.update(ln.key for ln in batch)
        if keep is not None:
            keep.add(batch, reading.position)
        if beat is not None:
            beat(reading.position)
    ours.refuse_other_accounts(reading.format, reading.filename, reading.file.accounts)
    if faults:
        raise BankFileInvalid([_nothing_booked(f) for f in faults])
    if keep is not None:
        keep.close_with(reading.file, reading.format)
    return lines


def _nothing_booked(fault: ParseError) -> ParseError:
    return ParseError(fault.file, fault.line, fault.field, fault.message + "; inget bokfördes")
