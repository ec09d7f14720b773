"""What the database refused, in the ledger's words: the errors its triggers and constraints
raise, translated into ``LedgerError`` children for the posting service's callers.

A trigger's refusal is recognised by its stable code (``ledger.db.guards``), never by the
wording of its message. A fault of the moment (the connection lost, a lock not had in time, a
deadlock or serialization failure, the server shutting down, SQLite busy) is no refusal of the
entry: it stays a database error (``OperationalError``), which callers treat as "try again"
(a webhook answers 500 and is sent again, a bank import is resumed), not as "this entry is
wrong" (422, a bank import ended as failed)."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, OperationalError

from ledger.db.guards import Guard, refusal
from ledger.errors import IntegrityViolation, LedgerError, PeriodClosed

# SQLSTATE classes and codes of a passing fault (PostgreSQL, appendix A): connection exception,
# transaction rollback (serialization failure, deadlock), insufficient resources, operator
# intervention (shutdown, cancelled), and lock not available (a lock or statement timeout).
_PASSING_CLASSES = ("08", "40", "53", "57")
_PASSING_CODES = ("55P03",)
_SQLITE_PASSING = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR)


def passing(exc: DBAPIError) -> bool:
    """Whether the error is a fault of the moment, not the database's answer to the entry."""
    code = getattr(exc.orig, "sqlstate", None)
    if isinstance(code, str):
        return code[:2] in _PASSING_CLASSES or code in _PASSING_CODES
    sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)
    return isinstance(sqlite_code, int) and sqlite_code & 0xFF in _SQLITE_PASSING


def transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a database fault of the moment that the same request, sent again a
    little later, may not meet: ``passing`` by the driver's code, or a connection SQLAlchemy
    found lost (``connection_invalidated``). The one test the app uses to answer "try again"
    (HTTP 503) rather than "something is wrong" (500)."""
    if not isinstance(exc, DBAPIError):
        return False
    return exc.connection_invalidated or (exc.orig is not None and passing(exc))


def translate(exc: DBAPIError) -> LedgerError | OperationalError:
    """The database refused what Python let through: say what, in the ledger's words; a fault
    of the moment stays a database error, to be tried again."""
    refused = refusal(exc)
    if refused.guard is Guard.PERIOD_CLOSED:
        # Another transaction closed the period between the Python check and the insert.
        return PeriodClosed(refused.message, "date")
    if refused.guard is None and exc.orig is not None and passing(exc):
        return OperationalError(exc.statement, exc.params, exc.orig)
    return IntegrityViolation(refused.message)
