"""The lines the whole-file check read, kept in a temporary file for the booking pass, so that a
bank file is parsed once, not twice (issue 14: parsing a camt.054 of 100,000 payments was about
half of its import, and the import read the file twice).

``KeptLines`` writes each batch as one pickle of plain tuples (a ``BankLine``'s fields, its
amount as öre and currency): plain tuples pickle and load several times faster than the frozen
dataclasses themselves, and a batch on disk keeps the memory of a million-line file bounded.
The file is this process's own temporary file, written and read back by the same import, so
nothing from outside is ever unpickled. ``replay`` gives the batches back as they were read,
with how far into the bank file each one ended (for the job's progress) and the file's summary.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import fields
from operator import attrgetter
from types import TracebackType
from typing import IO, Any

from ledger.money import Money
from webhooks.bankfiles.records import BankFile, BankLine

__all__ = ["KeptLines"]

_NAMES = tuple(f.name for f in fields(BankLine))
_AMOUNT = _NAMES.index("amount")
_FIELDS = attrgetter(*_NAMES)


def _plain(line: BankLine) -> tuple[Any, ...]:
    row = _FIELDS(line)
    amount = row[_AMOUNT]
    return (*row[:_AMOUNT], amount.ore, amount.currency, *row[_AMOUNT + 1 :])


def _line(row: tuple[Any, ...]) -> BankLine:
    args = list(row)
    args[_AMOUNT : _AMOUNT + 2] = [Money(row[_AMOUNT], row[_AMOUNT + 1])]
    return BankLine(*args)


class KeptLines:
    """A temporary file of batches of lines; a context manager that removes it."""

    def __init__(self) -> None:
        self._spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__)
        self.batch_count = 0
        self.format = "camt"
        self._file: BankFile | None = None
        self.position = 0  # bytes of the bank file read by the batches replayed so far

    def __enter__(self) -> KeptLines:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._spool.close()

    def add(self, batch: list[BankLine], position: int) -> None:
        """Keep one batch; ``position``: the bytes of the bank file read once it was."""
        pickle.dump((position, [_plain(ln) for ln in batch]), self._spool, pickle.HIGHEST_PROTOCOL)
        self.batch_count += 1

    def close_with(self, file: BankFile, format: str) -> None:
        """The file's summary and format, known once every batch was read."""
        self._file, self.format = file, format

    @property
    def file(self) -> BankFile:
        if self._file is None:
            raise RuntimeError("the file summary is kept once the whole file has been checked")
        return self._file

    def batches(self) -> Iterator[list[BankLine]]:
        """The kept batches, in the order they were read."""
        self._spool.seek(0)
        self.position = 0
        for _ in range(self.batch_count):
            position, rows = pickle.load(self._spool)  # our own temporary file
            self.position = position
            yield [_line(row) for row in rows]
