"""What the database refused, in the ledger's words: the errors its triggers and constraints
raise, translated into ``LedgerError`` children for the posting service's callers."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from ledger.errors import IntegrityViolation, LedgerError, PeriodClosed


def translate(exc: DBAPIError) -> LedgerError:
    """The database refused what Python let through: say what, in the ledger's words."""
    message = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    if "period is closed" in message:
        return PeriodClosed(message, "date")
    return IntegrityViolation(message)
