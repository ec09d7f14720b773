"""Every error the reports raise. Like the ledger's, they carry no HTTP status: the app maps
each class in ``kassan/web/errors.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ledger.errors import LedgerError

_SHOWN_PROBLEMS = 20  # a file with hundreds of problems is named wrong, not read wrong


class _Problem(Protocol):
    """A problem found in a file (``reports.sie.model.SieProblem``): its line, and its text."""

    @property
    def line(self) -> int: ...

    def render(self, filename: str) -> str: ...


class SieExportRefused(LedgerError):
    """The ledger holds something SIE cannot carry faithfully; no file is written."""


class SieImportInvalid(LedgerError):
    """The file cannot be imported; the message lists each problem with file and line."""

    def __init__(self, filename: str, problems: Sequence[_Problem]) -> None:
        shown = [p.render(filename) for p in sorted(problems, key=lambda p: p.line)]
        more = len(shown) - _SHOWN_PROBLEMS
        lines = shown[:_SHOWN_PROBLEMS] + ([f"... och {more} problem till"] if more > 0 else [])
        super().__init__(
            f"SIE-filen {filename} lästes inte in; inget ändrades:\n" + "\n".join(lines), "file"
        )
        self.problems = problems
