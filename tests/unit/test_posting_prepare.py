"""The posting writer's prepare step without a database: a draft, the chart, the networks and
the head's last id and hash go in; the numbered lines, the hashed entry and its rows come out
(``ledger.services.posting.prepare``)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.chart import BANK, GIFT_INCOME, SUSPENSE
from ledger.entries import Draft, LineDraft, PostedLine, entry_hash
from ledger.errors import UnknownAccount, UnknownDimension
from ledger.money import Money
from ledger.services.posting.prepare import (
    ENTRY_COLUMNS,
    LINE_COLUMNS,
    entry_row,
    line_rows,
    posted_entry,
    posted_lines,
)

CHART = {BANK, GIFT_INCOME, SUSPENSE}
NETWORKS = {"palestina": 3, "colombia": 4}
GENESIS = "0" * 64
DRAFT = Draft(
    date=date(2026, 3, 16),
    text="Gåva via bankgiro",
    lines=(
        LineDraft.debit(BANK, Money(500_00)),
        LineDraft.credit(GIFT_INCOME, Money(500_00), network="palestina", contributor_id=12),
    ),
    series="B",
    source_kind="bank",
    source_key="bank:ref-1",
)


def _entry(draft: Draft = DRAFT, *, entry_id: int = 8, number: int = 5, prev: str = GENESIS):
    lines = posted_lines(draft, CHART, NETWORKS)
    return posted_entry(
        draft,
        draft.source_key or "",
        lines,
        entry_id=entry_id,
        number=number,
        fiscal_year=draft.date.year,
        prev_hash=prev,
    )


def test_lines_are_numbered_from_one_in_the_drafts_order_with_network_ids():
    assert posted_lines(DRAFT, CHART, NETWORKS) == (
        PostedLine(1, BANK, 500_00, 0, "SEK", None, None),
        PostedLine(2, GIFT_INCOME, 0, 500_00, "SEK", 3, 12),
    )


def test_an_account_not_in_the_chart_is_refused_naming_its_line():
    draft = Draft(
        date(2026, 3, 16),
        "x",
        (LineDraft.debit(BANK, Money(1_00)), LineDraft.credit("9999", Money(1_00))),
    )
    with pytest.raises(UnknownAccount) as refused:
        posted_lines(draft, CHART, NETWORKS)
    assert refused.value.field == "lines[1].account"


def test_an_unknown_network_is_refused_naming_its_line():
    draft = Draft(
        date(2026, 3, 16),
        "x",
        (
            LineDraft.debit(BANK, Money(1_00), network="atlantis"),
            LineDraft.credit(GIFT_INCOME, Money(1_00)),
        ),
    )
    with pytest.raises(UnknownDimension) as refused:
        posted_lines(draft, CHART, NETWORKS)
    assert refused.value.field == "lines[0].network"


def test_the_entry_gets_its_id_number_and_year_and_chains_to_the_hash_before_it():
    entry = _entry()
    assert (entry.id, entry.series, entry.number, entry.fiscal_year) == (8, "B", 5, 2026)
    assert entry.prev_hash == GENESIS
    assert entry.source_key == "bank:ref-1"
    assert entry.hash == entry_hash(
        id=8,
        series="B",
        number=5,
        fiscal_year=2026,
        date=date(2026, 3, 16),
        text="Gåva via bankgiro",
        source_kind="bank",
        source_key="bank:ref-1",
        reverses_id=None,
        prev_hash=GENESIS,
        lines=entry.lines,
    )


def test_the_next_entry_hashes_over_the_one_before():
    first = _entry()
    second = _entry(entry_id=9, number=6, prev=first.hash)
    assert second.prev_hash == first.hash
    assert second.hash != _entry(entry_id=9, number=6, prev=GENESIS).hash


def test_the_same_draft_at_another_number_hashes_differently():
    assert _entry(number=5).hash != _entry(number=6).hash


def test_the_entry_row_follows_the_insert_columns_with_a_text_date_for_sqlite():
    entry = _entry()
    row = dict(
        zip(ENTRY_COLUMNS, entry_row(entry, 2, date_as_text=True, hash_as_bytes=False), strict=True)
    )
    assert row == {
        "id": 8,
        "series": "B",
        "number": 5,
        "fiscal_year": 2026,
        "date": "2026-03-16",
        "text": "Gåva via bankgiro",
        "source_kind": "bank",
        "source_key": "bank:ref-1",
        "reverses_id": None,
        "prev_hash": GENESIS,
        "hash": entry.hash,
        "created_by": 2,
    }
    pg_row = entry_row(entry, None, date_as_text=False, hash_as_bytes=True)
    pg = dict(zip(ENTRY_COLUMNS, pg_row, strict=True))
    assert pg["date"] == date(2026, 3, 16)
    # PostgreSQL keeps the two hashes as their 32 bytes, the same digests as the hex text
    assert (pg["prev_hash"], pg["hash"]) == (bytes(32), bytes.fromhex(entry.hash))


def test_line_rows_carry_the_entry_id_then_the_line_in_column_order():
    rows = line_rows(_entry())
    assert [dict(zip(LINE_COLUMNS, r, strict=True)) for r in rows] == [
        {
            "entry_id": 8,
            "line_no": 1,
            "account": BANK,
            "debit_ore": 500_00,
            "credit_ore": 0,
            "currency": "SEK",
            "network_id": None,
            "contributor_id": None,
        },
        {
            "entry_id": 8,
            "line_no": 2,
            "account": GIFT_INCOME,
            "debit_ore": 0,
            "credit_ore": 500_00,
            "currency": "SEK",
            "network_id": 3,
            "contributor_id": 12,
        },
    ]


def test_a_reversal_names_the_entry_it_reverses_in_its_hash():
    lines = posted_lines(DRAFT, CHART, NETWORKS)
    plain = posted_entry(
        DRAFT, "reversal:3", lines, entry_id=8, number=5, fiscal_year=2026, prev_hash=GENESIS
    )
    reversal = posted_entry(
        DRAFT,
        "reversal:3",
        lines,
        entry_id=8,
        number=5,
        fiscal_year=2026,
        prev_hash=GENESIS,
        reverses_id=3,
    )
    assert reversal.reverses_id == 3
    assert reversal.hash != plain.hash
