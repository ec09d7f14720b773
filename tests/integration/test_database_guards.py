"""The database itself refuses what the ledger must never hold, even from plain SQL that goes
around the app (django-hordak's lesson): these tests never touch the posting service's
checks, only the triggers and constraints of the migrations. Each trigger's refusal carries
its stable code (``ledger.db.guards``) on both databases."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.db.guards import Guard, refusal
from ledger.entries import GENESIS_HASH
from ledger.money import Money
from ledger.services import expected, periods, posting
from tests.conftest import BACKEND
from tests.support.ledger import gift, raw_entry


def refused(engine, sql: str, params=None, *, match: str, guard: Guard):
    with pytest.raises(DBAPIError) as err, engine.begin() as conn:
        conn.execute(text(sql), params or {})
    assert match in str(err.value)
    assert refusal(err.value).guard is guard


def refused_raw(engine, match: str, guard: Guard, **entry):
    with pytest.raises(DBAPIError) as err, engine.begin() as conn:
        raw_entry(conn, **entry)
    assert match in str(err.value)
    assert refusal(err.value).guard is guard


@pytest.fixture
def booked(engine):
    with engine.begin() as conn:
        first = posting.post(conn, gift(1000))
        second = posting.post(conn, gift(2000))
    return first, second


def test_a_well_formed_raw_entry_is_accepted(engine):
    with engine.begin() as conn:
        raw_entry(
            conn, id=1, number=1, prev_hash=GENESIS_HASH, lines=[("1930", 100, 0), ("3993", 0, 100)]
        )


def test_the_database_refuses_an_unbalanced_entry(engine):
    refused_raw(
        engine,
        "does not balance",
        Guard.UNBALANCED,
        id=1,
        number=1,
        prev_hash=GENESIS_HASH,
        lines=[("1930", 100, 0), ("3993", 0, 90)],
    )


def test_the_database_refuses_an_entry_with_one_line(engine):
    refused_raw(
        engine,
        "two lines",
        Guard.TOO_FEW_LINES,
        id=1,
        number=1,
        prev_hash=GENESIS_HASH,
        lines=[("1930", 100, 0)],
    )


@pytest.mark.parametrize(
    "line",
    [("1930", -100, 0), ("1930", 100, 100), ("1930", 0, 0)],
    ids=["negative", "both sides", "neither side"],
)
def test_the_database_refuses_a_line_without_exactly_one_positive_side(engine, line):
    with pytest.raises(DBAPIError), engine.begin() as conn:
        raw_entry(conn, id=1, number=1, prev_hash=GENESIS_HASH, lines=[line, ("3993", 0, 100)])


def test_the_database_refuses_a_gap_or_a_repeat_in_the_numbers(engine, booked):
    _, second = booked
    refused_raw(
        engine,
        "gap",
        Guard.NUMBER_GAP,
        id=3,
        number=4,
        prev_hash=second.hash,
        series="B",
        lines=[("1930", 1, 0), ("3993", 0, 1)],
    )
    with pytest.raises(DBAPIError), engine.begin() as conn:
        raw_entry(
            conn,
            id=3,
            number=2,
            prev_hash=second.hash,
            series="B",
            lines=[("1930", 1, 0), ("3993", 0, 1)],
        )


def test_the_database_refuses_a_broken_hash_chain(engine, booked):
    refused_raw(
        engine,
        "prev_hash",
        Guard.HASH_CHAIN_BROKEN,
        id=3,
        number=1,
        prev_hash=GENESIS_HASH,
        lines=[("1930", 1, 0), ("3993", 0, 1)],
    )


def test_the_database_refuses_an_entry_id_below_the_last(engine, booked):
    with pytest.raises(DBAPIError), engine.begin() as conn:
        raw_entry(
            conn, id=2, number=1, prev_hash=booked[0].hash, lines=[("1930", 1, 0), ("3993", 0, 1)]
        )


def test_the_database_refuses_a_second_booking_of_the_same_source_key(engine, booked):
    with pytest.raises(DBAPIError), engine.begin() as conn:
        raw_entry(
            conn,
            id=3,
            number=1,
            prev_hash=booked[1].hash,
            key=booked[0].source_key,
            lines=[("1930", 1, 0), ("3993", 0, 1)],
        )


def test_the_database_refuses_entries_in_a_closed_period(engine, booked):
    with engine.begin() as conn:
        periods.close_through(conn, date(2026, 3, 31))
    refused_raw(
        engine,
        "period is closed",
        Guard.PERIOD_CLOSED,
        id=3,
        number=1,
        prev_hash=booked[1].hash,
        on=date(2026, 3, 15),
        lines=[("1930", 1, 0), ("3993", 0, 1)],
    )


def test_the_database_refuses_to_reopen_a_closed_period(engine):
    with engine.begin() as conn:
        periods.close_through(conn, date(2026, 3, 31))
    refused(
        engine,
        "UPDATE fiscal_years SET locked_through = NULL WHERE year = 2026",
        match="reopened",
        guard=Guard.PERIOD_REOPENED,
    )
    refused(
        engine,
        "UPDATE fiscal_years SET locked_through = '2026-01-31' WHERE year = 2026",
        match="reopened",
        guard=Guard.PERIOD_REOPENED,
    )
    refused(
        engine,
        "DELETE FROM fiscal_years WHERE year = 2026",
        match="never removed",
        guard=Guard.FISCAL_YEAR_REMOVED,
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE journal_entries SET text = 'ändrad' WHERE id = 1",
        "UPDATE journal_entries SET number = 7 WHERE id = 2",
        "DELETE FROM journal_entries WHERE id = 2",
        "UPDATE journal_lines SET debit_ore = 1 WHERE entry_id = 1 AND line_no = 1",
        "DELETE FROM journal_lines WHERE entry_id = 1",
    ],
)
def test_posted_entries_and_lines_can_be_neither_changed_nor_deleted(engine, booked, sql):
    refused(engine, sql, match="never changed", guard=Guard.POSTED_ENTRY_CHANGED)


@pytest.mark.skipif(BACKEND != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_the_journal_cannot_be_truncated(engine, booked):
    # CASCADE: other tables (receipts, Swish payments) reference entries, and without it the
    # foreign keys would refuse the TRUNCATE before the ledger's own trigger is reached.
    refused(
        engine,
        "TRUNCATE journal_lines, journal_entries CASCADE",
        match="never changed",
        guard=Guard.POSTED_ENTRY_CHANGED,
    )


def test_lines_cannot_be_added_to_a_posted_entry(engine, booked):
    refused(
        engine,
        "INSERT INTO journal_lines (entry_id, line_no, account, debit_ore, credit_ore, currency) "
        "VALUES (1, 3, '1930', 100, 0, 'SEK')",
        match="posted entry",
        guard=Guard.LINES_ADDED_TO_POSTED_ENTRY,
    )


def test_lines_without_their_entry_are_refused_at_commit(engine, booked):
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO journal_lines (entry_id, line_no, account, debit_ore, credit_ore, "
                "currency) VALUES (99, 1, '1930', 100, 0, 'SEK'), (99, 2, '3993', 0, 100, 'SEK')"
            )
        )


def test_the_database_refuses_a_line_on_an_account_outside_the_chart(engine):
    with pytest.raises(DBAPIError), engine.begin() as conn:
        raw_entry(
            conn, id=1, number=1, prev_hash=GENESIS_HASH, lines=[("1930", 100, 0), ("3999", 0, 100)]
        )


def test_the_database_refuses_a_line_for_a_network_or_contributor_that_does_not_exist(engine):
    for column in ("network_id", "contributor_id"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO journal_lines (entry_id, line_no, account, debit_ore, "
                    f"credit_ore, currency, {column}) VALUES (1, 1, '3993', 0, 5, 'SEK', 4242)"
                )
            )


def test_a_network_or_account_used_by_lines_cannot_be_removed(engine):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO networks (slug, name) VALUES ('myanmar', 'Myanmar')"))
        posting.post(conn, gift(500, network="myanmar"))
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM networks WHERE slug = 'myanmar'"))
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM accounts WHERE code = '3993'"))


def test_an_expected_payment_is_never_removed(engine):
    # Its reference may be printed on a paper slip somewhere: a reused reference would book a
    # stranger's payment to it.
    with engine.begin() as conn:
        expected.create(
            conn, kind="invoice", amount=Money(500_00), network_id=None, contributor_id=None
        )
    refused(
        engine,
        "DELETE FROM expected_payments",
        match="never removed",
        guard=Guard.KEPT_ROW_REMOVED,
    )


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite's foreign keys guard these rows")
def test_a_network_used_by_lines_names_its_guard(engine):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO networks (slug, name) VALUES ('myanmar', 'Myanmar')"))
        posting.post(conn, gift(500, network="myanmar"))
    refused(
        engine,
        "DELETE FROM networks WHERE slug = 'myanmar'",
        match="used by journal lines",
        guard=Guard.ROW_USED_BY_LINES,
    )
