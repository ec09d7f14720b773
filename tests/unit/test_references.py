"""OCR references: Bankgirot's variable-length control with length digit and Luhn check digit,
checked against the references in Bankgirot's own BgMax example file for that agreement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from ledger.references import is_valid_reference, make_reference, normalise

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "samples"
    / "bgmax"
    / "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt"
)


def _sample_references() -> list[tuple[str, str]]:
    """(reference, reference code) from the file's payment records (TK20-23, positions 13-37
    and 56: code 2 is a correct OCR reference, 3 a wrong one or free text)."""
    found = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        if line[:2] in ("20", "21", "22", "23") and line[12:37].strip():
            found.append((line[12:37].strip(), line[55]))
    return found


def test_bankgirots_correct_references_pass_and_the_wrong_ones_fail():
    references = _sample_references()
    correct = [ref for ref, code in references if code == "2"]
    wrong = [ref for ref, code in references if code == "3"]
    assert "655969" in correct and len(correct) >= 8
    assert all(is_valid_reference(ref) for ref in correct)
    assert wrong and not any(is_valid_reference(ref) for ref in wrong)


def test_a_serial_gets_its_length_digit_then_its_check_digit():
    # 6559 + length 6 -> "65596", Luhn check digit 9: Bankgirot's own "655969".
    assert make_reference(6559) == "655969"
    # "1000018": from the right 8*2=16 -> 7, then 1, 0, 0, 0, 0, 1*2=2; sum 10 -> check 0.
    assert make_reference(100001) == "10000180"


@pytest.mark.parametrize(
    "bad",
    [
        "655968",  # wrong check digit
        "655979",  # wrong length digit
        "65596",  # too short for its length digit
        "",
        "1",
        "6559a9",
        "12345678901234567890123459",  # 26 digits
        "٦٥٥٩٦٩",  # Arabic-Indic digits pass str.isdigit but are not OCR digits
    ],
)
def test_bad_references_are_refused(bad):
    assert not is_valid_reference(bad)


def test_spaces_are_ignored_when_reading_a_typed_reference():
    assert normalise(" 6559 69 ") == "655969"
    assert is_valid_reference("655 969")


@pytest.mark.parametrize("serial", [-1, True, 10**23])
def test_a_serial_that_cannot_make_a_reference_is_refused(serial):
    with pytest.raises(ValueError):
        make_reference(serial)


@given(st.integers(min_value=0, max_value=10**23 - 1))
def test_every_reference_made_is_valid_and_ends_with_its_length(serial):
    reference = make_reference(serial)
    assert is_valid_reference(reference)
    assert reference.startswith(str(serial))
    assert int(reference[-2]) == len(reference) % 10


@given(st.integers(min_value=0, max_value=10**20), st.data())
def test_any_single_digit_typo_is_caught(serial, data):
    reference = make_reference(serial)
    position = data.draw(st.integers(min_value=0, max_value=len(reference) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != reference[position]]))
    typo = reference[:position] + wrong + reference[position + 1 :]
    assert not is_valid_reference(typo)


def test_hyphens_are_ignored_when_reading_a_typed_reference():
    ref = make_reference(1_234_567)
    assert normalise(f"{ref[:4]}-{ref[4:]}") == ref
    assert is_valid_reference(f"{ref[:4]}-{ref[4:]}")


def test_the_shortest_reference_has_two_digits_its_length_and_its_check_digit():
    shortest = "2" + luhn.calc_check_digit("2")
    assert is_valid_reference(shortest)
    assert not is_valid_reference(shortest[:1])


def test_only_text_can_be_a_reference():
    assert not is_valid_reference(None)  # type: ignore[arg-type]
    assert not is_valid_reference(1234567897)  # type: ignore[arg-type]


@pytest.mark.parametrize("serial", ["5", 2.0, None])
def test_a_serial_that_is_not_a_whole_number_is_refused_saying_so(serial):
    with pytest.raises(
        ValueError,
        match="^"
        + re.escape(f"a reference serial is a non-negative integer, not {serial!r}")
        + "$",
    ):
        make_reference(serial)


def test_a_negative_serial_is_refused_saying_so():
    with pytest.raises(ValueError, match=r"^a reference serial is a non-negative integer, not -1$"):
        make_reference(-1)


def test_a_serial_too_long_for_a_reference_is_refused_saying_so():
    with pytest.raises(ValueError, match=r"^serial 10+ is too long for a 25-digit reference$"):
        make_reference(10**23)
