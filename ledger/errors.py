"""Typed ledger errors. Views and the CLI map them to HTTP codes and exit codes in one place."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every refusal by the ledger. ``field`` names the offending input where known."""

    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidEntry(LedgerError):
    """The entry is malformed: too few lines, a negative amount, both sides set, and so on."""


class UnbalancedEntry(InvalidEntry):
    """Debits and credits differ in some currency."""


class UnknownAccount(InvalidEntry):
    """A line names an account that is not in the chart."""


class UnknownDimension(InvalidEntry):
    """A line names a network or contributor that does not exist."""


class PeriodClosed(LedgerError):
    """The accounting date falls in a locked period."""

    status = 409


class AlreadyReversed(LedgerError):
    """The entry has been reversed already; a second reversal would double the correction."""

    status = 409


class EntryNotFound(LedgerError):
    status = 404


class IntegrityViolation(LedgerError):
    """The database refused a write that the Python checks let through (a bug, or tampering)."""

    status = 500
