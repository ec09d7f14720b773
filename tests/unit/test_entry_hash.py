"""The chain hash each posted entry carries (DESIGN, invariant 6: `verify` proves no change).

Every part of an entry a bookkeeper or auditor reads must move the hash, the text form must be
unambiguous (no two entries give one string), and the form must stay what the books already
hold: a changed form would make ``verify`` call every existing entry altered.
"""

import hashlib
from dataclasses import replace
from datetime import date

import pytest

from ledger.entries import PostedEntry, PostedLine, entry_hash

PREV = "ab" * 32
GIFT = PostedLine(1, "1930", 25000, 0, "SEK", None, None)
INCOME = PostedLine(2, "3993", 0, 25000, "SEK", 7, 42)


def _fields(**over):
    base = dict(
        id=11,
        series="B",
        number=3,
        fiscal_year=2026,
        date=date(2026, 3, 9),
        text="Gåva Swish",
        source_kind="swish",
        source_key="SWISH:1234",
        reverses_id=None,
        prev_hash=PREV,
        lines=(GIFT, INCOME),
    )
    base.update(over)
    return base


def _hash(**over):
    return entry_hash(**_fields(**over))


def _sha(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def test_the_hash_is_the_documented_text_form_the_books_already_hold():
    assert _hash() == _sha(
        "kassan-entry-v1",
        "11",
        "B",
        "3",
        "2026",
        "2026-03-09",
        "10:Gåva Swish",
        "swish",
        "10:SWISH:1234",
        "",
        PREV,
        "1,1930,25000,0,SEK,,",
        "2,3993,0,25000,SEK,7,42",
    )


def test_a_reversal_hashes_the_id_of_the_entry_it_reverses():
    assert _hash(reverses_id=5) == _sha(
        "kassan-entry-v1",
        "11",
        "B",
        "3",
        "2026",
        "2026-03-09",
        "10:Gåva Swish",
        "swish",
        "10:SWISH:1234",
        "5",
        PREV,
        "1,1930,25000,0,SEK,,",
        "2,3993,0,25000,SEK,7,42",
    )


@pytest.mark.parametrize(
    "change",
    [
        {"id": 12},
        {"series": "A"},
        {"number": 4},
        {"fiscal_year": 2027},
        {"date": date(2026, 3, 10)},
        {"text": "Gåva Swisj"},
        {"source_kind": "bank"},
        {"source_key": "SWISH:1235"},
        {"reverses_id": 5},
        {"reverses_id": 0},
        {"prev_hash": "ac" * 32},
        {"lines": (GIFT,)},
        {"lines": (INCOME, GIFT)},
        {"lines": (GIFT._replace(line_no=3), INCOME)},
        {"lines": (GIFT._replace(account="1910"), INCOME)},
        {"lines": (GIFT._replace(debit_ore=25001), INCOME)},
        {"lines": (GIFT._replace(credit_ore=1), INCOME)},
        {"lines": (GIFT._replace(currency="EUR"), INCOME)},
        {"lines": (GIFT._replace(network_id=7), INCOME)},
        {"lines": (GIFT._replace(contributor_id=42), INCOME)},
        {"lines": (GIFT, INCOME._replace(network_id=None))},
        {"lines": (GIFT, INCOME._replace(contributor_id=None))},
        {"lines": (GIFT, INCOME._replace(network_id=0))},
        {"lines": (GIFT, INCOME._replace(contributor_id=0))},
    ],
    ids=lambda change: ",".join(change),
)
def test_every_part_of_an_entry_changes_its_hash(change):
    assert _hash(**change) != _hash()


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ({"text": "ab", "source_key": "c"}, {"text": "a", "source_key": "bc"}),
        ({"text": "a\x1fb"}, {"text": "a", "series": "B\x1fb"}),
        ({"text": "1:a", "source_key": "b"}, {"text": "1", "source_key": "a:b"}),
        ({"source_key": "k\x1fswish"}, {"source_key": "k", "source_kind": "swish\x1fswish"}),
    ],
)
def test_length_prefixes_keep_text_and_key_from_running_into_their_neighbours(one, other):
    assert _hash(**one) != _hash(**other)


def test_a_posted_entry_hashes_its_own_content_and_the_hash_before_it():
    entry = PostedEntry(**_fields(), hash="")
    assert entry.content_hash() == _hash()
    for name, value in {
        "id": 12,
        "series": "A",
        "number": 4,
        "fiscal_year": 2027,
        "date": date(2026, 3, 10),
        "text": "Gåva",
        "source_kind": "bank",
        "source_key": "SWISH:1235",
        "reverses_id": 5,
        "prev_hash": "ac" * 32,
        "lines": (GIFT,),
    }.items():
        changed = replace(entry, **{name: value})
        assert changed.content_hash() == _hash(**{name: value}), name
        assert changed.content_hash() != entry.content_hash(), name


def test_the_stored_hash_and_the_reversing_entry_are_not_part_of_the_content():
    entry = PostedEntry(**_fields(), hash="")
    assert replace(entry, hash="ff" * 32, reversed_by_id=99).content_hash() == _hash()
