"""The posting service on a real database: numbering, chain, idempotency, reversal, periods."""

from datetime import date

import pytest
from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.entries import GENESIS_HASH, Draft, LineDraft
from ledger.errors import (
    AlreadyReversed,
    FiscalYearNotOpen,
    PeriodClosed,
    UnbalancedEntry,
    UnknownAccount,
    UnknownDimension,
)
from ledger.services import journal, periods, posting
from ledger.services.balances import account_totals
from ledger.services.verify import verify
from tests.support.ledger import add_contributor, add_network, gift


def count(conn, table) -> int:
    return conn.scalar(select(func.count()).select_from(table))


def test_entries_are_numbered_per_series_and_chained_from_genesis(engine):
    with engine.begin() as conn:
        a = posting.post(conn, gift(100, series="B"))
        b = posting.post(conn, gift(200, series="B"))
        m = posting.post(conn, gift(300, series="M"))
    assert (a.voucher, b.voucher, m.voucher) == ("B1", "B2", "M1")
    assert a.prev_hash == GENESIS_HASH
    assert b.prev_hash == a.hash and m.prev_hash == b.hash


def test_numbers_start_again_in_a_new_fiscal_year(engine):
    with engine.begin() as conn:
        posting.post(conn, gift(on=date(2025, 12, 31)))
        first_2026 = posting.post(conn, gift(on=date(2026, 1, 1)))
    assert (first_2026.fiscal_year, first_2026.number) == (2026, 1)


def test_a_duplicate_source_key_books_nothing_twice_and_returns_the_first_entry(engine):
    with engine.begin() as conn:
        first = posting.post(conn, gift(500, key="stripe:evt_1"))
    with engine.begin() as conn:
        again = posting.post(conn, gift(500, key="stripe:evt_1"))
        assert again.id == first.id
        assert count(conn, t.journal_entries) == 1


def test_an_unbalanced_entry_is_refused_and_nothing_is_stored(engine):
    bad = Draft(date(2026, 3, 1), "x", (LineDraft("1930", 100, 0), LineDraft("3993", 0, 99)))
    with pytest.raises(UnbalancedEntry), engine.begin() as conn:
        posting.post(conn, bad)
    with engine.connect() as conn:
        assert count(conn, t.journal_entries) == 0
        assert count(conn, t.journal_lines) == 0


def test_unknown_accounts_networks_and_contributors_are_refused_naming_the_line(engine):
    with engine.begin() as conn, pytest.raises(UnknownAccount) as err:
        posting.post(
            conn, Draft(date(2026, 3, 1), "x", (LineDraft("1930", 1, 0), LineDraft("3999", 0, 1)))
        )
    assert err.value.field == "lines[1].account"
    with engine.begin() as conn, pytest.raises(UnknownDimension) as err:
        posting.post(conn, gift(network="atlantis"))
    assert err.value.field == "lines[1].network"
    with engine.begin() as conn, pytest.raises(UnknownDimension):
        posting.post(
            conn,
            Draft(
                date(2026, 3, 1),
                "x",
                (LineDraft("1930", 1, 0), LineDraft("3993", 0, 1, contributor_id=4711)),
            ),
        )


def test_dimensions_are_stored_on_the_lines(engine):
    with engine.begin() as conn:
        net = add_network(conn, "colombia")
        who = add_contributor(conn, "IF Metall avd 3", "organisation")
        entry = posting.post(
            conn,
            Draft(
                date(2026, 3, 1),
                "Gåva",
                (
                    LineDraft("1930", 5000, 0),
                    LineDraft("3993", 0, 5000, network="colombia", contributor_id=who),
                ),
            ),
        )
        stored = journal.get_entry(conn, entry.id)
    assert stored is not None
    assert stored.lines[1].network_id == net and stored.lines[1].contributor_id == who
    assert stored == entry


def test_reversal_mirrors_the_entry_links_both_ways_and_nets_to_zero(engine):
    with engine.begin() as conn:
        add_network(conn, "palestina")
        original = posting.post(conn, gift(12_345, network="palestina"))
        mirror = posting.reverse(conn, original.id, on=date(2026, 3, 5))
        reread = journal.get_entry(conn, original.id)
        totals = {a.account: a.balance_ore for a in account_totals(conn)}
    assert mirror.reverses_id == original.id
    assert reread is not None and reread.reversed_by_id == mirror.id
    assert [(ln.debit_ore, ln.credit_ore) for ln in mirror.lines] == [(0, 12_345), (12_345, 0)]
    assert mirror.lines[1].network_id == original.lines[1].network_id
    assert totals == {"1930": 0, "3993": 0}


def test_an_entry_cannot_be_reversed_twice(engine):
    with engine.begin() as conn:
        original = posting.post(conn, gift())
        posting.reverse(conn, original.id, on=date(2026, 3, 5))
    with engine.begin() as conn, pytest.raises(AlreadyReversed):
        posting.reverse(conn, original.id, on=date(2026, 3, 6))
    with engine.connect() as conn:
        assert count(conn, t.journal_entries) == 2


def test_a_closed_period_refuses_entries_and_cannot_be_reopened(engine):
    with engine.begin() as conn:
        posting.post(conn, gift(on=date(2026, 3, 1)))
        periods.close_through(conn, date(2026, 3, 31))
    with engine.begin() as conn, pytest.raises(PeriodClosed) as err:
        posting.post(conn, gift(on=date(2026, 3, 31)))
    assert err.value.field == "date"
    with engine.begin() as conn, pytest.raises(PeriodClosed):
        periods.close_through(conn, date(2026, 2, 28))
    with engine.begin() as conn:
        assert posting.post(conn, gift(on=date(2026, 4, 1))).number == 2


def test_a_reversal_of_an_entry_in_a_closed_period_is_dated_in_the_open_one(engine):
    with engine.begin() as conn:
        original = posting.post(conn, gift(on=date(2026, 1, 10)))
        periods.close_through(conn, date(2026, 1, 31))
        mirror = posting.reverse(conn, original.id, on=date(2026, 2, 1))
    assert mirror.date == date(2026, 2, 1)


def test_kept_balances_equal_the_lines_per_account_network_and_month(engine):
    with engine.begin() as conn:
        add_network(conn, "palestina")
        add_network(conn, "colombia")
        posting.post(conn, gift(100, network="palestina", on=date(2026, 1, 3)))
        posting.post(conn, gift(250, network="colombia", on=date(2026, 2, 3)))
        posting.post(conn, gift(400, network="palestina", on=date(2026, 2, 4)))
        palestina = journal.network_id(conn, "palestina")
        by_net = account_totals(conn, year=2026, network_id=palestina)
        feb = account_totals(conn, year=2026, period=2)
    assert [(a.account, a.credit_ore) for a in by_net] == [("3993", 500)]
    assert {a.account: a.balance_ore for a in feb} == {"1930": 650, "3993": -650}


def test_a_failed_transaction_leaves_no_gap_in_the_numbers(engine):
    with engine.begin() as conn:
        posting.post(conn, gift())
    with pytest.raises(RuntimeError), engine.begin() as conn:
        posting.post(conn, gift())
        raise RuntimeError("crash after posting, before commit")
    with engine.begin() as conn:
        assert posting.post(conn, gift()).voucher == "B2"
        assert verify(conn).ok


def test_bulk_posting_skips_keys_already_booked_and_reports_progress(engine):
    drafts = [gift(100 + i, key=f"bank:{i}", on=date(2026, 1 + i % 12, 1)) for i in range(250)]
    seen: list[int] = []
    with engine.begin() as conn:
        first = posting.post_many(conn, drafts[:100], batch_size=40, progress=seen.append)
    with engine.begin() as conn:
        second = posting.post_many(conn, drafts + drafts[:5], batch_size=40)
        assert count(conn, t.journal_entries) == 250
        report = verify(conn)
    assert (first.posted, first.duplicates) == (100, 0)
    assert seen == [40, 80, 100]
    assert (second.posted, second.duplicates) == (150, 105)
    assert report.ok, report.problems


def test_bulk_posting_refuses_a_bad_entry_and_books_none_of_the_batch(engine):
    drafts = [gift(100, key=f"bank:{i}") for i in range(10)]
    drafts[7] = Draft(
        date(2026, 3, 1),
        "x",
        (LineDraft("1930", 1, 0), LineDraft("3993", 0, 2)),
        source_key="bank:7",
    )
    with pytest.raises(UnbalancedEntry), engine.begin() as conn:
        posting.post_many(conn, drafts)
    with engine.connect() as conn:
        assert count(conn, t.journal_entries) == 0


def test_large_batches_take_the_copy_or_json_path_and_stay_verifiable(engine):
    with engine.begin() as conn:
        add_network(conn, "palestina")
        who = add_contributor(conn, "Seko klubb Posten")
    drafts = [
        Draft(
            date(2026, 1 + i % 12, 1 + i % 28),
            f"Gåva {i}\tmed tabb, \\ och 'citat'\n",
            (
                LineDraft("1930", 100 + i, 0),
                LineDraft(
                    "3993",
                    0,
                    100 + i,
                    network="palestina" if i % 2 else None,
                    contributor_id=who if i % 3 else None,
                ),
            ),
            series="B",
            source_key=f"bank:{i}",
        )
        for i in range(posting.BULK_THRESHOLD * 3)
    ]
    with engine.begin() as conn:
        result = posting.post_many(conn, drafts)
    with engine.connect() as conn:
        report = verify(conn)
        stored = journal.find_by_source_key(conn, "bank:7")
    assert result.lines == 2 * len(drafts)
    assert report.ok, report.problems
    assert stored is not None and stored.text == drafts[7].text


def test_bulk_posting_refuses_a_contributor_that_does_not_exist_naming_the_line(engine):
    with engine.begin() as conn:
        who = add_contributor(conn, "Handels avd 20")
    drafts = [
        Draft(
            date(2026, 3, 1),
            "Gåva",
            (LineDraft("1930", 100, 0), LineDraft("3993", 0, 100, contributor_id=c)),
            series="B",
            source_key=f"bank:{i}",
        )
        for i, c in enumerate([who, who, who + 1000])
    ]
    with pytest.raises(UnknownDimension) as err, engine.begin() as conn:
        posting.post_many(conn, drafts)
    assert err.value.field == "lines[1].contributor_id"
    with engine.connect() as conn:
        assert count(conn, t.journal_entries) == 0


def test_bulk_posting_checks_every_day_against_closed_periods_and_open_years(engine):
    # The writer remembers the days it found bookable; a day it has not seen is still checked,
    # in a year whose other days it has already let through.
    with engine.begin() as conn:
        posting.post(conn, gift(on=date(2026, 3, 1), key="bank:first"))
        periods.close_through(conn, date(2026, 3, 31))
    open_days = [date(2026, 4, 1), date(2026, 4, 1), date(2026, 4, 2)]
    batches = {
        "closed": (
            [gift(on=d, key=f"bank:c{i}") for i, d in enumerate(open_days)]
            + [gift(on=date(2026, 3, 31), key="bank:c9")],
            PeriodClosed,
        ),
        "unopened": (
            [gift(on=d, key=f"bank:u{i}") for i, d in enumerate(open_days)]
            + [gift(on=date(1999, 6, 1), key="bank:u9")],
            FiscalYearNotOpen,
        ),
    }
    for drafts, error in batches.values():
        with pytest.raises(error) as caught, engine.begin() as conn:
            posting.post_many(conn, drafts)
        if error is PeriodClosed:
            # Refused in Python, naming the day, not only by the database's own guard.
            assert (caught.value.message, caught.value.field) == (
                "the books are closed through 2026-03-31; 2026-03-31 cannot take new entries",
                "date",
            )
    with engine.begin() as conn:
        result = posting.post_many(
            conn, [gift(on=d, key=f"bank:ok{i}") for i, d in enumerate(open_days)]
        )
    with engine.connect() as conn:
        assert count(conn, t.journal_entries) == 4
        assert verify(conn).ok
    assert result.posted == 3
