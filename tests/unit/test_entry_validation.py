"""A draft's validation at its edges (``ledger.entries.Draft.validate``): the largest amount,
text and key lengths, the number of lines, the currency, the account, each refusal naming its
field and saying what was wrong."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.entries import MAX_LINES, MAX_ORE, Draft, LineDraft
from ledger.errors import InvalidEntry, UnbalancedEntry
from ledger.money import Money


def _draft(*lines: LineDraft, **kw: object) -> Draft:
    lines = lines or (LineDraft("1930", 500, 0), LineDraft("3993", 0, 500))
    values: dict[str, object] = {"date": date(2026, 1, 5), "text": "Gåva", "lines": lines}
    values.update(kw)
    return Draft(**values)  # type: ignore[arg-type]


def _refusal(draft: Draft) -> tuple[str | None, str]:
    with pytest.raises(InvalidEntry) as caught:
        draft.validate()
    return caught.value.field, str(caught.value)


def test_the_largest_amount_on_either_side_is_accepted_and_one_ore_more_is_refused():
    _draft(LineDraft("1930", MAX_ORE, 0), LineDraft("3993", 0, MAX_ORE)).validate()
    too_much = MAX_ORE + 1
    debit = _draft(LineDraft("1930", too_much, 0), LineDraft("3993", 0, too_much))
    assert _refusal(debit) == ("lines[0].debit_ore", "amount is out of range")
    credit = _draft(LineDraft("3993", 0, too_much), LineDraft("1930", too_much, 0))
    assert _refusal(credit) == ("lines[0].credit_ore", "amount is out of range")
    both = _draft(LineDraft("3993", MAX_ORE, too_much), LineDraft("1930", 1, 0))
    assert _refusal(both) == ("lines[0].credit_ore", "amount is out of range")


def test_a_negative_credit_is_refused_naming_the_credit():
    draft = _draft(LineDraft("1930", 0, -5), LineDraft("3993", 0, 5))
    assert _refusal(draft) == ("lines[0].credit_ore", "amounts are never negative")


def test_an_amount_that_is_not_whole_ore_is_refused_naming_its_side():
    draft = _draft(LineDraft("1930", 5, 0), LineDraft("3993", 0, 5.0))  # type: ignore[arg-type]
    assert _refusal(draft) == ("lines[1].credit_ore", "amounts are whole öre (integers)")


def test_a_line_with_both_sides_or_none_is_refused():
    both = _draft(LineDraft("1930", 5, 5), LineDraft("3993", 0, 0))
    assert _refusal(both) == (
        "lines[0].debit_ore",
        "each line has either a debit or a credit above zero, not both or neither",
    )


def test_a_text_of_500_characters_is_accepted_and_501_refused():
    _draft(text="x" * 500).validate()
    assert _refusal(_draft(text="x" * 501)) == ("text", "text is longer than 500 characters")
    assert _refusal(_draft(text=" ")) == ("text", "an entry needs a text")
    assert _refusal(_draft(text=None)) == ("text", "an entry needs a text")


def test_a_source_key_of_1_to_200_characters_is_accepted():
    _draft(source_key="k").validate()
    _draft(source_key="k" * 200).validate()
    for bad in ("", "k" * 201, 17):
        assert _refusal(_draft(source_key=bad)) == (
            "source_key",
            "source key must be 1-200 characters",
        )


def test_a_source_kind_is_a_short_lowercase_name():
    _draft(source_kind="a" + "b" * 39).validate()
    for bad in ("", "Bank", "a" + "b" * 40, "1bank"):
        assert _refusal(_draft(source_kind=bad)) == ("source_kind", f"bad source kind {bad!r}")


def test_the_date_must_be_a_date_and_the_series_known():
    assert _refusal(_draft(date="2026-01-05")) == ("date", "date must be a date")
    assert _refusal(_draft(series="Q")) == (
        "series",
        "unknown series 'Q'; use one of M, B, K, S, F, A, G",
    )
    one = _draft(LineDraft("1930", 5, 0))
    assert _refusal(one) == ("lines", "an entry needs at least two lines")


def test_an_entry_has_at_most_the_largest_number_of_lines():
    half = MAX_LINES // 2
    lines = (LineDraft("1930", 1, 0),) * half + (LineDraft("3993", 0, 1),) * half
    _draft(*lines).validate()
    over = (*lines, LineDraft("1930", 1, 0), LineDraft("3993", 0, 1))
    assert _refusal(_draft(*over)) == ("lines", f"an entry has at most {MAX_LINES} lines")


def test_a_currency_is_three_capital_letters():
    _draft(LineDraft("1930", 5, 0, "CHF"), LineDraft("3993", 0, 5, "CHF")).validate()
    for bad in ("chf", "CH", "CHFX", None):
        draft = _draft(LineDraft("1930", 5, 0, bad), LineDraft("3993", 0, 5, bad))  # type: ignore[arg-type]
        assert _refusal(draft) == ("lines[0].currency", "currency must be an ISO 4217 code")


def test_an_account_is_four_digits():
    for bad in ("193", "19300", "19a0", 1930):
        draft = _draft(LineDraft(bad, 5, 0), LineDraft("3993", 0, 5))  # type: ignore[arg-type]
        assert _refusal(draft) == ("lines[0].account", "account must be a four-digit BAS account")


def test_an_unbalanced_entry_says_by_how_much_in_which_currency():
    draft = _draft(
        LineDraft("1930", 500, 0, "EUR"),
        LineDraft("3993", 0, 400, "EUR"),
        LineDraft("1930", 100, 0, "SEK"),
        LineDraft("3993", 0, 100, "SEK"),
    )
    with pytest.raises(UnbalancedEntry) as caught:
        draft.validate()
    assert (caught.value.field, str(caught.value)) == (
        "lines",
        "debits and credits differ by 100 öre in EUR",
    )


def test_a_debit_or_credit_line_from_money_keeps_the_amount_currency_and_dimensions():
    amount = Money(123_45, "EUR")
    assert LineDraft.debit("1930", amount) == LineDraft("1930", 123_45, 0, "EUR")
    assert LineDraft.credit("3993", amount, network="fred", contributor_id=7) == LineDraft(
        "3993", 0, 123_45, "EUR", network="fred", contributor_id=7
    )
    assert LineDraft.debit("6570", amount, network="fred", contributor_id=7) == LineDraft(
        "6570", 123_45, 0, "EUR", network="fred", contributor_id=7
    )
