"""BgMax: Bankgirot's own example files read with the totals counted by hand from them, and
broken copies refused whole with the record number and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.money import Money
from webhooks.bankfiles.bgmax import parse_bgmax
from webhooks.errors import BankFileInvalid

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "bgmax"
NO_CHECKS = "bangiroinbetalningar_exempelfil_avtalutantillval_kontroller_sv.txt"
NO_CHECKS_LF = "bangiroinbetalningar_exempelfil_avtalutantillval_kontroller_sv-with-new-line.txt"
EXTENDED = (
    "bankgiroinbetalningar_avtal-ocr-kontroll_utokad-blankettregistrering-ocr-kontroll_"
    "exempelfil.txt"
)
IMAGES = (
    "bankgiroinbetalningar_bildfil_avtal-ocr-kontroll_utokad-blankettregistrering-ocr-kontroll_"
    "exempelfil.txt"
)
LENGTH_DIGIT = "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt"
OCR = "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt"


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# Counted by hand from the TK20/TK21 records of each file: (payments, deductions, öre in,
# öre out, öre per deposit in file order).
EXPECTED = {
    NO_CHECKS: (5, 0, 85000, 0, [85000]),
    NO_CHECKS_LF: (5, 0, 85000, 0, [85000]),
    EXTENDED: (7, 0, 860000, 0, [370000, 200000, 290000]),
    IMAGES: (6, 0, 353300, 0, [353300]),
    LENGTH_DIGIT: (6, 1, 1040000, -50000, [190000, 800000]),
    OCR: (4, 0, 210000, 0, [210000]),
}


def test_every_sample_file_is_covered():
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sample_file_parses_with_the_totals_read_by_hand(name):
    payments, deductions, money_in, money_out, deposits = EXPECTED[name]
    parsed = parse_bgmax(_read(name), name)
    lines = parsed.lines

    assert len(lines) == payments + deductions == parsed.file.line_count
    assert sum(1 for line in lines if line.amount.ore < 0) == deductions
    assert parsed.file.credit_total == Money(money_in)
    assert parsed.file.debit_total == Money(money_out)
    controls = {c.what: c for c in parsed.file.controls}
    assert [
        controls[f"insättning {n}: belopp (öre)"].declared for n in range(1, len(deposits) + 1)
    ] == deposits
    assert controls["antal betalningsposter"].declared == payments
    assert controls["antal avdragsposter"].declared == deductions
    assert all(c.ok for c in parsed.file.controls)
    assert parsed.file.format == "bgmax"
    assert parsed.file.accounts == ("9912346",)
    assert len({line.key for line in lines}) == len(lines)


def test_records_with_and_without_line_breaks_read_the_same():
    assert parse_bgmax(_read(NO_CHECKS)).lines == parse_bgmax(_read(NO_CHECKS_LF)).lines


def test_crlf_line_ends_read_the_same_as_lf():
    crlf = _read(NO_CHECKS_LF).replace(b"\n", b"\r\n")
    assert parse_bgmax(crlf).lines == parse_bgmax(_read(NO_CHECKS_LF)).lines


def test_the_utf8_sample_is_decoded_as_utf8_and_the_others_as_latin1():
    assert parse_bgmax(_read(LENGTH_DIGIT)).lines[0].payer_name == "Kalles Plåt AB"
    first = parse_bgmax(_read(NO_CHECKS)).lines[0]
    assert first.payer_name == "Kalles Plåt AB"
    assert first.detail("city") == "Storåker"


def test_a_payment_carries_its_reference_name_address_and_key():
    first = parse_bgmax(_read(LENGTH_DIGIT)).lines[0]
    assert first.key == "bgc:9912346:2004-05-25:000000000010"
    assert first.amount == Money(100000)
    assert first.reference == "655969"  # OCR with length digit (6) and check digit (9)
    assert first.payer_account == "3783511"
    assert first.booking_date.isoformat() == "2004-05-25"
    assert (first.detail("address"), first.detail("postcode"), first.detail("org_no")) == (
        "Storgatan 2",
        "12345",
        "005500001234",
    )
    assert first.channel == "bankgiro"


def test_a_deduction_is_a_negative_line():
    deduction = parse_bgmax(_read(LENGTH_DIGIT)).lines[1]
    assert deduction.amount == Money(-50000)
    assert deduction.detail("record") == "21"
    assert deduction.detail("deduction_code") == "0"
    assert deduction.reference is None
    assert deduction.message == "89853"


def test_extra_references_are_attached_with_their_signed_amounts():
    line = parse_bgmax(_read(EXTENDED)).lines[6]
    assert line.amount == Money(140000)
    assert [(x.reference, x.amount) for x in line.extra_references] == [
        ("7495575", Money(100000)),
        ("695668", Money(50000)),
        ("8988777", Money(40000)),
        ("744565", Money(-50000)),
    ]
    assert sum(x.amount for x in line.extra_references if x.amount) == line.amount


def test_information_records_become_the_message():
    line = parse_bgmax(_read(OCR)).lines[3]
    assert line.reference == "65581"
    assert line.message == "Faktura65581 Kundnr1233"


def test_a_repeated_bgc_serial_still_gives_distinct_keys():
    keys = [line.key for line in parse_bgmax(_read(LENGTH_DIGIT)).lines]
    assert keys[-2:] == [
        "bgc:9912346:2004-05-25:000000000016",
        "bgc:9912346:2004-05-25:000000000016-2",
    ]


def _records(name: str) -> list[str]:
    return _read(name).decode("iso-8859-1").split("\n")


def _refused(records: list[str]) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(BankFileInvalid) as caught:
        parse_bgmax("\n".join(records).encode("iso-8859-1"), "fel.txt")
    assert all(e.file == "fel.txt" for e in caught.value.errors)
    return [(e.line, e.field, e.message) for e in caught.value.errors]


def test_a_deposit_sum_that_does_not_match_is_refused_with_its_record():
    records = _records(NO_CHECKS_LF)
    tk15 = next(i for i, r in enumerate(records) if r.startswith("15"))
    records[tk15] = records[tk15][:50] + "000000000000085001" + records[tk15][68:]
    assert _refused(records) == [
        (
            tk15 + 1,
            "insättningspost",
            "insättning 1: belopp (öre): filen säger 85001, posterna ger 85000",
        ),
    ]


def test_a_missing_amount_and_a_wrong_tk70_count_are_both_reported():
    records = _records(NO_CHECKS_LF)
    records[2] = records[2][:37] + " " * 18 + records[2][55:]
    records[-1 if records[-1].strip() else -2] = "70" + "00000009" + "0" * 24
    errors = _refused(records)
    assert (3, "belopp", "belopp saknas") in errors
    assert any(field == "slutpost" and "säger 9" in msg for _, field, msg in errors)


def test_a_file_without_end_record_is_refused():
    records = [r for r in _records(NO_CHECKS_LF) if not r.startswith("70")]
    assert _refused(records) == [(None, "slutpost", "filen saknar slutpost (TK70)")]


def test_a_file_that_is_not_bgmax_is_refused():
    assert _refused(["01SOMETHINGELSE"]) == [
        (1, "startpost", "filen börjar inte med en BgMax-startpost (01BGMAX)")
    ]
