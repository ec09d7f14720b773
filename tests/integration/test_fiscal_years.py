"""Years are opened on purpose and closing the books closes every year before the date
(issue 11 rule 6, issue 12 item 1): the posting service refuses with a typed error, and the
database refuses the same writes made with plain SQL."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from ledger.db import tables as t
from ledger.db.guards import Guard, refusal
from ledger.errors import FiscalYearNotOpen, InvalidEntry, LedgerError, PeriodClosed
from ledger.services import periods, posting
from ledger.services.verify import verify
from tests.conftest import BACKEND
from tests.support.ledger import gift


def entries(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(t.journal_entries))


def test_a_new_ledger_has_the_current_and_the_next_year_open_and_no_other(fresh_ledger):
    this_year = date.today().year
    with fresh_ledger.connect() as conn:
        assert periods.open_years(conn) == [this_year, this_year + 1]
    with pytest.raises(FiscalYearNotOpen) as err, fresh_ledger.begin() as conn:
        posting.post(conn, gift(on=date(this_year - 1, 12, 31)))
    assert err.value.year == this_year - 1
    assert err.value.field == "date"
    assert f"kassan ledger open-year {this_year - 1}" in err.value.message
    assert entries(fresh_ledger) == 0


def test_a_booking_in_a_year_that_is_not_open_is_refused_until_the_year_is_opened(engine):
    not_open = pytest.raises(FiscalYearNotOpen, match="fiscal year 1999 is not open")
    with not_open, engine.begin() as conn:
        posting.post(conn, gift(on=date(1999, 5, 1)))
    with engine.connect() as conn:
        assert 1999 not in periods.open_years(conn)  # not created on the way
    assert entries(engine) == 0
    with engine.begin() as conn:
        assert periods.open_year(conn, 1999) is True
        assert periods.open_year(conn, 1999) is False
        posting.post(conn, gift(on=date(1999, 5, 1)))
    assert entries(engine) == 1


@pytest.mark.parametrize(
    "day", [date(1899, 12, 31), date(1, 1, 1), date(date.today().year + 2, 1, 1)]
)
def test_a_date_before_1900_or_after_next_year_is_an_input_error(engine, day):
    with pytest.raises(InvalidEntry) as err, engine.begin() as conn:
        posting.post(conn, gift(on=day))
    assert err.value.field == "date"
    assert entries(engine) == 0


@pytest.mark.parametrize("year", [1899, date.today().year + 2])
def test_a_year_before_1900_or_after_next_year_cannot_be_opened(engine, year):
    with pytest.raises(LedgerError, match="cannot be opened"), engine.begin() as conn:
        periods.open_year(conn, year)


def test_closing_through_a_date_closes_every_earlier_year_too(engine):
    with engine.begin() as conn:
        posting.post(conn, gift(on=date(2025, 6, 1)))
        periods.close_through(conn, date(2026, 11, 30))
    for day in (date(2025, 6, 1), date(2019, 3, 1), date(2026, 11, 30)):
        with pytest.raises(PeriodClosed), engine.begin() as conn:
            posting.post(conn, gift(on=day))
    with engine.begin() as conn:
        assert periods.locked_through(conn, 2019) == date(2019, 12, 31)
        assert periods.locked_through(conn, 2026) == date(2026, 11, 30)
        posting.post(conn, gift(on=date(2026, 12, 1)))
    assert entries(engine) == 2
    with engine.connect() as conn:
        assert verify(conn).ok


def test_no_fiscal_year_can_be_opened_on_or_before_the_closed_date(engine):
    with engine.begin() as conn:
        periods.close_through(conn, date(2026, 11, 30))
    closed = pytest.raises(PeriodClosed, match="fiscal year 1999 cannot be opened")
    with closed, engine.begin() as conn:
        periods.open_year(conn, 1999)
    with pytest.raises(DBAPIError) as err, engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO fiscal_years (year, start_date, end_date) "
                "VALUES (1999, '1999-01-01', '1999-12-31')"
            )
        )
    assert refusal(err.value).guard is Guard.YEAR_OPENED_IN_CLOSED_PERIOD


def test_a_closed_period_cannot_be_reopened_by_the_service_or_by_sql(engine):
    with engine.begin() as conn:
        periods.close_through(conn, date(2026, 6, 30))
    with pytest.raises(PeriodClosed, match="cannot be reopened"), engine.begin() as conn:
        periods.close_through(conn, date(2025, 12, 31))
    for sql in (
        "UPDATE period_closings SET through = '2020-01-01'",
        "DELETE FROM period_closings",
    ):
        with pytest.raises(DBAPIError) as err, engine.begin() as conn:
            conn.execute(text(sql))
        assert refusal(err.value).guard is Guard.PERIOD_REOPENED, sql
    with engine.connect() as conn:
        assert periods.closed_through(conn) == date(2026, 6, 30)


def test_the_database_refuses_an_entry_in_an_earlier_year_whose_own_lock_was_left_open(engine):
    # A closing written by hand that did not lock the earlier years: the guard reads the
    # closings themselves, not only each year's lock.
    with engine.begin() as conn:
        conn.execute(t.period_closings.insert().values(through=date(2026, 3, 31)))
    with engine.connect() as conn:
        assert periods.locked_through(conn, 2025) is None
    # The posting service's own check passes (2025 has no lock); the database's refusal
    # comes back in the ledger's words.
    by_the_database = pytest.raises(PeriodClosed, match="ledger: the period is closed")
    with by_the_database, engine.begin() as conn:
        posting.post(conn, gift(on=date(2025, 6, 1)))
    assert entries(engine) == 0


def test_verify_reports_an_entry_dated_in_a_closed_period_but_written_after_the_close(engine):
    with engine.begin() as conn:
        late = posting.post(conn, gift(on=date(2026, 2, 1)))
        posting.post(conn, gift(on=date(2026, 5, 1)))
    with engine.connect() as conn:
        assert verify(conn).ok
    # As if the books had been closed through March yesterday and the entry slipped in after.
    yesterday = (
        "now() - interval '1 day'" if BACKEND == "postgresql" else "datetime('now', '-1 day')"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO period_closings (through, closed_at) "
                f"VALUES ('2026-03-31', {yesterday})"
            )
        )
        report = verify(conn)
    assert not report.ok
    assert [p.entry_id for p in report.problems] == [late.id]
    assert "written after the close" in report.problems[0].message
    assert "2026-03-31" in report.problems[0].message


def test_an_entry_written_before_the_close_is_not_reported(engine):
    with engine.begin() as conn:
        posting.post(conn, gift(on=date(2026, 2, 1)))
    tomorrow = date.today() + timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(
            t.period_closings.insert().values(through=date(2026, 3, 31), closed_at=tomorrow)
        )
        assert verify(conn).ok
