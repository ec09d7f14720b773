"""The posting service recognises a database guard by its stable code, never by its wording."""

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from ledger.db.guards import Guard, Refusal, refusal
from ledger.errors import IntegrityViolation, PeriodClosed
from ledger.services.posting.database_errors import transient, translate


class _PostgresError(Exception):
    """Stands in for a psycopg error: its SQLSTATE is in ``sqlstate``."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _wrapped(orig: Exception) -> DBAPIError:
    return DBAPIError("INSERT INTO journal_entries ...", {}, orig)


def test_sqlites_code_prefix_names_the_guard_and_leaves_the_message():
    found = refusal(_wrapped(Exception("KA013: ledger: the period is closed")))
    assert found == Refusal(Guard.PERIOD_CLOSED, "ledger: the period is closed")


def test_postgresqls_sqlstate_names_the_guard():
    orig = _PostgresError("ledger: the period is closed (entry 3)\nCONTEXT: PL/pgSQL", "KA013")
    assert refusal(_wrapped(orig)) == Refusal(
        Guard.PERIOD_CLOSED,
        "ledger: the period is closed (entry 3)",
    )


def test_a_constraint_of_the_database_itself_names_no_guard():
    orig = _PostgresError('duplicate key value violates unique constraint "uq"', "23505")
    assert refusal(_wrapped(orig)).guard is None


def test_the_period_closed_guard_becomes_period_closed_whatever_its_wording():
    refused = translate(_wrapped(_PostgresError("ledger: Perioden är stängd", "KA013")))
    assert isinstance(refused, PeriodClosed)
    assert (refused.field, refused.message) == ("date", "ledger: Perioden är stängd")


@pytest.mark.parametrize(
    "orig",
    [
        Exception("ledger: the period is closed"),  # the old wording, without a code
        Exception("KA008: ledger: the entry does not balance"),
        _PostgresError("ledger: the period is closed", "P0001"),
    ],
)
def test_anything_else_the_database_refuses_is_an_integrity_violation(orig):
    refused = translate(_wrapped(orig))
    assert type(refused) is IntegrityViolation
    assert not refused.message.startswith("KA")


class _SqliteError(Exception):
    """Stands in for sqlite3's error: its extended result code is in ``sqlite_errorcode``."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.sqlite_errorcode = code


@pytest.mark.parametrize(
    "orig",
    [
        _PostgresError("canceling statement due to lock timeout", "55P03"),
        _PostgresError("could not serialize access due to concurrent update", "40001"),
        _PostgresError("deadlock detected", "40P01"),
        _PostgresError("terminating connection due to administrator command", "57P01"),
        _PostgresError("server closed the connection unexpectedly", "08006"),
        _SqliteError("database is locked", 5),  # SQLITE_BUSY
        _SqliteError("database is locked", 5 | (2 << 8)),  # SQLITE_BUSY_SNAPSHOT
        _SqliteError("disk I/O error", 10),  # SQLITE_IOERR
    ],
)
def test_a_fault_of_the_moment_stays_a_database_error_to_be_tried_again(orig):
    found = translate(_wrapped(orig))
    assert isinstance(found, OperationalError)
    assert found.orig is orig


@pytest.mark.parametrize(
    "orig",
    [
        _PostgresError('duplicate key value violates unique constraint "uq"', "23505"),
        _PostgresError("numeric field overflow", "22003"),
        _SqliteError("UNIQUE constraint failed: journal_entries.source_key", 2067),
    ],
)
def test_what_the_database_refuses_in_the_entry_is_no_fault_of_the_moment(orig):
    assert type(translate(_wrapped(orig))) is IntegrityViolation


@pytest.mark.parametrize(
    "orig",
    [
        _PostgresError("canceling statement due to lock timeout", "55P03"),
        _PostgresError("canceling statement due to statement timeout", "57014"),
        _PostgresError("deadlock detected", "40P01"),
        _PostgresError("could not serialize access due to concurrent update", "40001"),
        _PostgresError("connection failure", "08006"),
        _SqliteError("database is locked", 5),  # SQLITE_BUSY
        _SqliteError("database table is locked", 6),  # SQLITE_LOCKED
    ],
)
def test_a_fault_of_the_moment_is_transient_whether_raw_or_translated(orig):
    assert transient(_wrapped(orig))
    assert transient(translate(_wrapped(orig)))


def test_a_connection_sqlalchemy_found_lost_is_transient_without_a_code():
    lost = DBAPIError(
        "SELECT 1", {}, Exception("the server went away"), connection_invalidated=True
    )
    assert transient(lost)
    assert not transient(_wrapped(Exception("the server went away")))


@pytest.mark.parametrize(
    "exc",
    [
        _wrapped(_PostgresError('column "x" does not exist', "42703")),
        _wrapped(_PostgresError('duplicate key value violates unique constraint "uq"', "23505")),
        _wrapped(_SqliteError("no such column: x", 1)),  # SQLITE_ERROR
        IntegrityViolation("ledger: prev_hash does not chain"),
        RuntimeError("database is locked"),  # the words alone, from no database driver
    ],
)
def test_any_other_error_is_not_transient(exc):
    assert not transient(exc)
