from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.entries import Draft, LineDraft, PostedLine, entry_hash
from ledger.errors import InvalidEntry, UnbalancedEntry


def draft(*lines: LineDraft, **kw) -> Draft:
    return Draft(
        date=kw.pop("on", date(2026, 1, 5)), text=kw.pop("text", "Gåva"), lines=lines, **kw
    )


def test_a_balanced_draft_is_valid():
    draft(LineDraft("1930", 500, 0), LineDraft("3993", 0, 500)).validate()


def test_an_unbalanced_draft_names_the_lines():
    with pytest.raises(UnbalancedEntry) as err:
        draft(LineDraft("1930", 500, 0), LineDraft("3993", 0, 400)).validate()
    assert err.value.field == "lines"


def test_balance_is_checked_per_currency():
    with pytest.raises(UnbalancedEntry, match="EUR"):
        draft(
            LineDraft("1930", 500, 0, "SEK"),
            LineDraft("3993", 0, 500, "EUR"),
        ).validate()


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (LineDraft("1930", -5, 0), "lines[0].debit_ore"),
        (LineDraft("1930", 5, 5), "lines[0].debit_ore"),
        (LineDraft("1930", 0, 0), "lines[0].debit_ore"),
        (LineDraft("1930", 1.5, 0), "lines[0].debit_ore"),  # type: ignore[arg-type]
        (LineDraft("1930", True, 0), "lines[0].debit_ore"),  # type: ignore[arg-type]
        (LineDraft("19300", 5, 0), "lines[0].account"),
        (LineDraft("1930", 5, 0, "kronor"), "lines[0].currency"),
    ],
)
def test_a_bad_line_is_refused_naming_its_field(line, field):
    with pytest.raises(InvalidEntry) as err:
        draft(line, LineDraft("3993", 0, 5)).validate()
    assert err.value.field == field


def test_one_line_is_not_an_entry():
    with pytest.raises(InvalidEntry, match="two lines"):
        draft(LineDraft("1930", 5, 0)).validate()


def test_unknown_series_and_empty_text_are_refused():
    lines = (LineDraft("1930", 5, 0), LineDraft("3993", 0, 5))
    with pytest.raises(InvalidEntry) as err:
        draft(*lines, series="Q").validate()
    assert err.value.field == "series"
    with pytest.raises(InvalidEntry) as err:
        draft(*lines, text="  ").validate()
    assert err.value.field == "text"


def _hash(**over):
    base = dict(
        id=1,
        series="B",
        number=1,
        fiscal_year=2026,
        date=date(2026, 1, 1),
        text="a",
        source_kind="k",
        source_key="s",
        reverses_id=None,
        prev_hash="0" * 64,
        lines=[PostedLine(1, "1930", 5, 0, "SEK", None, None)],
    )
    base.update(over)
    return entry_hash(**base)


@pytest.mark.parametrize(
    "change",
    [
        {"text": "b"},
        {"number": 2},
        {"prev_hash": "1" * 64},
        {"date": date(2026, 1, 2)},
        {"lines": [PostedLine(1, "1930", 6, 0, "SEK", None, None)]},
        {"lines": [PostedLine(1, "1930", 5, 0, "SEK", 1, None)]},
        {"text": "a", "source_key": "s2"},
    ],
)
def test_the_hash_changes_with_any_part_of_the_entry(change):
    assert _hash(**change) != _hash()


def test_length_prefixes_keep_text_and_key_from_running_together():
    assert _hash(text="ab", source_key="c") != _hash(text="a", source_key="bc")


@given(
    st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=8),
    st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=8),
)
def test_drafts_validate_exactly_when_debits_equal_credits(debits, credits):
    lines = [LineDraft("1930", d, 0) for d in debits] + [LineDraft("3993", 0, c) for c in credits]
    d = draft(*lines)
    if sum(debits) == sum(credits):
        d.validate()
    else:
        with pytest.raises(UnbalancedEntry):
            d.validate()
