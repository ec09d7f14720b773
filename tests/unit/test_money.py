from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import CurrencyMismatch
from ledger.money import Money, parse_amount
from reports.display import format_money

NBSP = "\u00a0"


def test_money_reads_the_swedish_way():
    assert format_money(Money(123450)) == f"1{NBSP}234,50{NBSP}kr"


def test_money_reads_as_english_readers_expect_with_a_space_after_the_code():
    assert format_money(Money(8_325_000), "en") == f"SEK{NBSP}83,250.00"
    assert format_money(Money(-8_325_000), "en") == f"-SEK{NBSP}83,250.00"
    assert format_money(Money(100, "EUR"), "en") == "€1.00"  # a symbol needs no space
    assert format_money(Money(8_325_000), "de_DE") == f"83.250,00{NBSP}SEK"


def test_money_refuses_floats_and_bools():
    with pytest.raises(TypeError):
        Money(12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True)
    with pytest.raises(TypeError):
        Money.kr(12.5)  # type: ignore[arg-type]


def test_mixing_currencies_raises():
    with pytest.raises(CurrencyMismatch):
        Money(100, "SEK") + Money(100, "EUR")


def test_sum_of_money_starts_from_zero():
    assert sum([Money(100), Money(250)]) == Money(350)


def test_kronor_with_fractions_of_an_ore_are_refused():
    with pytest.raises(ValueError, match="fractions"):
        Money.kr("1.005")


@pytest.mark.parametrize(
    ("typed", "ore"),
    [("1 234,50", 123450), ("1234.5", 123450), ("20", 2000), ("1 234 kr", 123400), ("0,05", 5)],
)
def test_amounts_typed_by_people_parse_exactly(typed, ore):
    assert parse_amount(typed) == Money(ore)


@pytest.mark.parametrize("typed", ["", "abc", "12,345", "1e3", "12..5"])
def test_what_is_not_an_amount_is_refused_with_the_text_named(typed):
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(typed)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_formatting_then_parsing_gives_back_the_same_ore(ore):
    text = format_money(Money(ore)).replace(NBSP, " ").replace("\u2212", "-")
    assert parse_amount(text) == Money(ore)


def test_decimal_view_is_exact():
    assert Money(1).decimal == Decimal("0.01")
