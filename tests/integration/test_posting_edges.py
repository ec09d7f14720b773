"""The posting service at its edges (``ledger.services.posting``): what ``post_once`` says,
who booked an entry, bulk numbering across series and years, and each refusal with its field
and message."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import (
    AlreadyReversed,
    EntryNotFound,
    FiscalYearNotOpen,
    LedgerError,
    PeriodClosed,
    UnknownAccount,
    UnknownDimension,
)
from ledger.services import periods, posting
from tests.support.ledger import gift


def test_post_once_says_whether_this_call_booked_the_entry(engine):
    with engine.begin() as conn:
        first, booked = posting.post_once(conn, gift(500, key="bank:1"))
        again, booked_again = posting.post_once(conn, gift(500, key="bank:1"))
    assert (booked, booked_again) == (True, False)
    assert again.id == first.id


def test_an_entry_remembers_who_booked_it(engine):
    with engine.begin() as conn:
        entry = posting.post(conn, gift(), created_by=42)
        stored = conn.scalar(
            select(t.journal_entries.c.created_by).where(t.journal_entries.c.id == entry.id)
        )
    assert stored == 42


def test_bulk_posting_numbers_each_series_and_year_on_its_own(engine):
    drafts = [
        gift(on=date(2025, 12, 30), key="k1"),
        gift(on=date(2026, 1, 2), key="k2"),
        gift(on=date(2026, 1, 2), key="k3", series="M"),
        gift(on=date(2026, 1, 3), key="k4"),
        gift(on=date(2025, 12, 31), key="k5"),
    ]
    with engine.begin() as conn:
        result = posting.post_many(conn, drafts)
        e = t.journal_entries.c
        rows = conn.execute(
            select(e.source_key, e.series, e.fiscal_year, e.number).order_by(e.source_key)
        ).all()
    assert (result.posted, result.duplicates, result.lines) == (5, 0, 10)
    assert [tuple(r) for r in rows] == [
        ("k1", "B", 2025, 1),
        ("k2", "B", 2026, 1),
        ("k3", "M", 2026, 1),
        ("k4", "B", 2026, 2),
        ("k5", "B", 2025, 2),
    ]


def test_bulk_posting_refuses_an_entry_without_its_source_key():
    with pytest.raises(LedgerError) as caught:
        posting.post_many(None, [gift(key=None)])  # type: ignore[arg-type]
    assert (caught.value.message, caught.value.field) == (
        "bulk entries need a source key",
        "source_key",
    )


def test_an_entry_in_a_year_that_is_not_open_is_refused(engine):
    with pytest.raises(FiscalYearNotOpen), engine.begin() as conn:
        posting.post(conn, gift(on=date(1999, 6, 1)))


def test_an_entry_in_a_closed_period_is_refused_saying_through_when(engine):
    with engine.begin() as conn:
        periods.close_through(conn, date(2026, 3, 31))
    with pytest.raises(PeriodClosed) as caught, engine.begin() as conn:
        posting.post(conn, gift(on=date(2026, 3, 31)))
    assert (caught.value.message, caught.value.field) == (
        "the books are closed through 2026-03-31; 2026-03-31 cannot take new entries",
        "date",
    )


def test_an_unknown_network_is_refused_naming_it_and_its_line(engine):
    with pytest.raises(UnknownDimension) as caught, engine.begin() as conn:
        posting.post(conn, gift(network="ingen-sadan"))
    assert (caught.value.message, caught.value.field) == (
        "no network 'ingen-sadan'",
        "lines[1].network",
    )


def test_reversing_an_entry_that_does_not_exist_or_twice_is_refused_saying_why(engine):
    with pytest.raises(EntryNotFound) as missing, engine.begin() as conn:
        posting.reverse(conn, 999)
    assert (missing.value.message, missing.value.field) == ("no entry 999", "id")
    with engine.begin() as conn:
        original = posting.post(conn, gift())
        mirror = posting.reverse(conn, original.id, on=date(2026, 3, 5))
    with pytest.raises(AlreadyReversed) as twice, engine.begin() as conn:
        posting.reverse(conn, original.id, on=date(2026, 3, 6))
    assert (twice.value.message, twice.value.field) == (
        f"B1 (2026) is already reversed by entry {mirror.id}",
        "id",
    )


def test_a_reversal_is_keyed_by_the_entry_it_reverses_and_bulk_entries_name_who_booked_them(
    engine,
):
    with engine.begin() as conn:
        original = posting.post(conn, gift())
        mirror = posting.reverse(conn, original.id, on=date(2026, 3, 5))
        posting.post_many(conn, [gift(key="bulk:1")], created_by=42)
        e = t.journal_entries.c
        who = conn.scalar(select(e.created_by).where(e.source_key == "bulk:1"))
    assert (mirror.source_kind, mirror.source_key) == ("reversal", f"reversal:{original.id}")
    assert who == 42


def test_an_account_outside_the_chart_is_refused_naming_it_and_its_line(engine):
    draft = gift()
    bad = Draft(
        draft.date,
        draft.text,
        (LineDraft("1930", 100, 0), LineDraft("9999", 0, 100)),
        series="B",
    )
    with pytest.raises(UnknownAccount) as caught, engine.begin() as conn:
        posting.post(conn, bad)
    assert (caught.value.message, caught.value.field) == (
        "account 9999 is not in the chart",
        "lines[1].account",
    )
