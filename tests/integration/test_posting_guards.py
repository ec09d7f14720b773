"""The posting service's second guards: what the database refuses after Python's checks let a
draft through (a writer that did not see a key another writer booked, as in a race), the
SQLAlchemy path a connection outside a transaction takes, a missing head row, and contributors
the database does not know."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import AlreadyReversed, LedgerDamaged, PeriodClosed, UnknownDimension
from ledger.services import journal, periods, posting
from ledger.services.posting import database_errors, reversal, writer
from tests.conftest import BACKEND
from tests.support.ledger import gift


def _entries(conn) -> int:
    return conn.scalar(select(func.count()).select_from(t.journal_entries))


@pytest.fixture
def blind_writer(monkeypatch):
    """Every writer misses an already booked key, as a writer racing another one would."""
    apply = writer.Writer._apply

    def _apply(self, draft, key, row):
        apply(self, draft, key, row)
        self.booked_id = None

    monkeypatch.setattr(writer.Writer, "_apply", _apply)


def test_a_key_booked_while_the_writer_looked_away_returns_the_first_entry_not_a_second(
    engine, blind_writer
):
    with engine.begin() as conn:
        first, booked = posting.post_once(conn, gift(25_000, key="bank:race"))
        again, booked_again = posting.post_once(conn, gift(25_000, key="bank:race"))
        # the refused insert was undone: the same transaction books the next entry as B2
        after = posting.post(conn, gift(100, key="bank:after"))
        assert _entries(conn) == 2
    assert (booked, booked_again) == (True, False)
    assert (again.id, again.voucher, again.source_key) == (first.id, "B1", "bank:race")
    assert (after.voucher, after.prev_hash) == ("B2", first.hash)


def test_outside_a_transaction_a_booked_key_returns_the_first_entry(engine):
    with engine.connect() as conn:
        first, booked = posting.post_once(conn, gift(25_000, key="bank:1"))
        conn.commit()
        assert not conn.in_transaction()
        again, booked_again = posting.post_once(conn, gift(25_000, key="bank:1"))
        conn.commit()
    assert (booked, booked_again) == (True, False)
    assert (again.id, again.voucher) == (first.id, "B1")
    with engine.connect() as conn:
        assert _entries(conn) == 1


def test_outside_a_transaction_a_key_the_writer_missed_returns_the_first_entry(
    engine, blind_writer
):
    with engine.connect() as conn:
        first = posting.post(conn, gift(25_000, key="bank:1"))
        conn.commit()
        assert not conn.in_transaction()
        again, booked_again = posting.post_once(conn, gift(25_000, key="bank:1"))
        conn.commit()
        assert _entries(conn) == 1
    assert booked_again is False
    assert again.id == first.id


def test_a_reversal_booked_while_the_first_look_missed_it_is_refused_as_already_reversed(
    engine, monkeypatch
):
    with engine.begin() as conn:
        entry = posting.post(conn, gift(25_000, key="bank:1"))
        posting.reverse(conn, entry.id, on=date(2026, 3, 2))
        get_entry = journal.get_entry
        monkeypatch.setattr(
            reversal.journal,
            "get_entry",
            lambda c, i: replace(get_entry(c, i), reversed_by_id=None),
        )
        with pytest.raises(AlreadyReversed) as err:
            posting.reverse(conn, entry.id, on=date(2026, 3, 2))
        assert _entries(conn) == 2
    assert (str(err.value), err.value.field) == ("B1 is already reversed", "id")


def test_a_reversal_the_look_under_the_lock_finds_is_refused_naming_the_entry(engine, monkeypatch):
    with engine.begin() as conn:
        entry = posting.post(conn, gift(25_000, key="bank:1"))
        posting.reverse(conn, entry.id, on=date(2026, 3, 2))
        get_entry = journal.get_entry
        looks = []

        def first_look_misses(c, i):
            looks.append(i)
            found = get_entry(c, i)
            return replace(found, reversed_by_id=None) if len(looks) == 1 else found

        monkeypatch.setattr(reversal.journal, "get_entry", first_look_misses)
        with pytest.raises(AlreadyReversed) as err:
            posting.reverse(conn, entry.id, on=date(2026, 3, 2))
        assert _entries(conn) == 2
    assert (str(err.value), err.value.field) == ("B1 is already reversed", "id")
    assert looks == [entry.id, entry.id]


def test_a_ledger_without_its_head_row_books_nothing_and_says_how_to_find_out_why(engine):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_head"))
        with pytest.raises(LedgerDamaged) as err:
            posting.post(conn, gift(25_000, key="bank:1"))
        assert _entries(conn) == 0
    assert "head row is missing" in str(err.value)
    assert "kassan ledger verify" in str(err.value)


@pytest.mark.parametrize("begun", [True, False], ids=["in-a-transaction", "outside"])
def test_a_contributor_the_database_does_not_know_is_refused_on_every_line_naming_it(engine, begun):
    draft = Draft(
        date=date(2026, 3, 1),
        text="Gåva",
        source_kind="test",
        source_key="bank:1",
        lines=(
            LineDraft("1930", 25_000, 0, contributor_id=987),
            LineDraft("3993", 0, 25_000, contributor_id=987),
        ),
    )
    with engine.connect() as conn:
        if begun:
            conn.begin()
        with pytest.raises(UnknownDimension) as err:
            posting.post(conn, draft)
        assert _entries(conn) == 0
        conn.rollback()
    assert (str(err.value), err.value.field) == ("no contributor 987", "lines[0].contributor_id")


def test_a_period_the_database_says_is_closed_is_refused_naming_the_date():
    refused = sqlite3.IntegrityError("KA013: the period through 2026-03-31 is closed")
    translated = database_errors.translate(DBAPIError("INSERT", None, refused))
    assert isinstance(translated, PeriodClosed)
    assert (str(translated), translated.field) == (
        "the period through 2026-03-31 is closed",
        "date",
    )


@pytest.fixture
def period_seen_open(monkeypatch):
    """Every writer sees 2026 open, as one would whose check ran before another transaction
    closed the period."""
    apply = writer.Writer._apply

    def _apply(self, draft, key, row):
        apply(self, draft, key, row)
        self.years = {2026: None}

    monkeypatch.setattr(writer.Writer, "_apply", _apply)
    monkeypatch.setattr(writer.journal, "fiscal_year_locks", lambda conn: {2026: None})


@pytest.mark.parametrize("begun", [True, False], ids=["in-a-transaction", "outside"])
def test_a_period_closed_after_the_writers_check_is_refused_by_the_database_naming_the_date(
    engine, period_seen_open, begun
):
    with engine.begin() as conn:
        periods.close_through(conn, date(2026, 3, 31))
    with engine.connect() as conn:
        if begun:
            conn.begin()
        with pytest.raises(PeriodClosed) as err:
            posting.post(conn, gift(25_000, on=date(2026, 3, 31), key="bank:1"))
        assert _entries(conn) == 0
        conn.rollback()
    assert err.value.field == "date"
    assert "the period is closed" in str(err.value)


def test_a_reversal_into_a_period_closed_after_the_writers_check_is_refused_naming_the_date(
    engine, period_seen_open
):
    with engine.begin() as conn:
        entry = posting.post(conn, gift(25_000, on=date(2026, 3, 2), key="bank:1"))
        periods.close_through(conn, date(2026, 3, 31))
    with engine.begin() as conn:
        with pytest.raises(PeriodClosed) as err:
            posting.reverse(conn, entry.id, on=date(2026, 3, 31))
        assert _entries(conn) == 1
    assert err.value.field == "date"
    assert "the period is closed" in str(err.value)


@pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="SQLite takes its write lock at BEGIN, where the engine waits for it (ledger.db.engine)",
)
@pytest.mark.parametrize("path", ["pipelined", "statement by statement"])
def test_a_head_lock_not_had_in_time_is_a_database_error_to_try_again_not_a_refused_entry(
    engine, monkeypatch, path
):
    """A post that cannot get the ledger head's lock within the lock timeout (another writer
    holds it) failed as ``IntegrityViolation``: a bank import then ended its job as failed and
    the API answered as if the entry were wrong. It is the database's ``OperationalError``, the
    post books nothing, and the same post books once when tried again."""
    if path != "pipelined":
        monkeypatch.setattr(posting.pipeline, "usable", lambda conn: False)
    draft = gift(key="bg:lock-timeout")
    with engine.connect() as holder:
        trans = holder.begin()
        holder.execute(text("SELECT 1 FROM ledger_head WHERE id = 1 FOR UPDATE"))
        with pytest.raises(OperationalError) as raised, engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '50ms'"))
            posting.post(conn, draft)
        trans.rollback()
    assert getattr(raised.value.orig, "sqlstate", None) == "55P03"
    with engine.connect() as conn:
        assert journal.find_by_source_key(conn, "bg:lock-timeout") is None
    with engine.begin() as conn:
        entry = posting.post(conn, draft)
    with engine.connect() as conn:
        assert journal.find_by_source_key(conn, "bg:lock-timeout") == entry
