"""What the database refused, in the ledger's words: the errors its triggers and constraints
raise, translated into ``LedgerError`` children for the posting service's callers.

A trigger's refusal is recognised by its stable code (``ledger.db.guards``), never by the
wording of its message."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from ledger.db.guards import Guard, refusal
from ledger.errors import IntegrityViolation, LedgerError, PeriodClosed


def translate(exc: DBAPIError) -> LedgerError:
    """The database refused what Python let through: say what, in the ledger's words."""
    refused = refusal(exc)
    if refused.guard is Guard.PERIOD_CLOSED:
        # Another transaction closed the period between the Python check and the insert.
        return PeriodClosed(refused.message, "date")
    return IntegrityViolation(refused.message)
