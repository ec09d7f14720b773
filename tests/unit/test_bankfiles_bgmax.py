"""BgMax: Bankgirot's own example files read with the totals counted by hand from them, and
broken copies refused whole with the record number and field."""

from __future__ import annotations

from datetime import date
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


def _payment_with(reference: str, code: str) -> str:
    """The first TK20 of the plain sample with another reference and reference code."""
    records = _records(NO_CHECKS_LF)
    tk20 = next(i for i, r in enumerate(records) if r.startswith("20"))
    rec = records[tk20]
    records[tk20] = rec[:12] + reference.ljust(25) + rec[37:55] + code + rec[56:]
    return parse_bgmax("\n".join(records).encode("iso-8859-1")).lines[0]


def test_a_deposit_whose_payment_count_does_not_match_is_refused_with_its_record():
    records = _records(NO_CHECKS_LF)
    tk15 = next(i for i, r in enumerate(records) if r.startswith("15"))
    records[tk15] = records[tk15][:71] + "00000006" + records[tk15][79:]
    assert _refused(records) == [
        (
            tk15 + 1,
            "insättningspost",
            "insättning 1: antal betalningar: filen säger 6, posterna ger 5",
        ),
    ]


def test_a_deposit_in_euro_gives_lines_and_totals_in_euro():
    records = _records(NO_CHECKS_LF)
    tk05 = next(i for i, r in enumerate(records) if r.startswith("05"))
    records[tk05] = records[tk05][:22] + "EUR" + records[tk05][25:]
    parsed = parse_bgmax("\n".join(records).encode("iso-8859-1"))
    assert {line.amount.currency for line in parsed.lines} == {"EUR"}
    assert parsed.file.currency == "EUR"
    assert parsed.file.credit_total == Money(85000, "EUR")


def test_a_reference_bankgirot_checked_as_ocr_is_the_lines_reference():
    line = _payment_with("65581", "2")
    assert (line.reference, line.message) == ("65581", "Här är betalning från mig till dig")


def test_a_reference_the_payer_typed_is_a_reference_only_when_it_passes_the_check_digit():
    line = _payment_with("1234567897", "4")  # Luhn-valid
    assert line.reference == "1234567897"
    line = _payment_with("1234567890", "4")  # the check digit is wrong
    assert line.reference is None
    assert line.message is not None and line.message.startswith("1234567890\n")


def test_a_reference_of_another_kind_is_kept_as_text_never_as_our_reference():
    line = _payment_with("1234567897", "3")  # a reference Bankgirot did not check
    assert line.reference is None
    assert line.message is not None and line.message.startswith("1234567897\n")


def test_a_bgmax_line_keeps_its_numbers_account_and_the_raw_fields_for_the_desk():
    parsed = parse_bgmax(_read(NO_CHECKS_LF))
    first = parsed.lines[0]
    assert [line.line_no for line in parsed.lines] == [1, 2, 3, 4, 5]
    assert (first.source_line, first.account) == (3, "9912346")
    assert dict(first.raw) == {
        "record": "20",
        "bgc_serial": "000000000001",
        "reference_code": "3",
        "reference_text": "65598",
        "payment_channel": "leverantörsbetalning",
        "image": "0",
        "deposit_account": "00000000000000000005841000001009823",
        "deposit_serial": "00005",
        "name": "Kalles Plåt AB",
        "address": "Storgatan 2",
        "postcode": "12345",
        "city": "Storåker",
        "org_no": "005500001234",
    }
    assert (parsed.file.period_start, parsed.file.period_end) == (date(2004, 5, 25),) * 2
    assert parsed.file.test is False


def test_a_file_marked_as_a_test_file_says_so():
    records = _records(NO_CHECKS_LF)
    records[0] = records[0][:44] + "T" + records[0][45:]
    assert parse_bgmax("\n".join(records).encode("iso-8859-1")).file.test is True


def test_the_country_of_a_payer_abroad_is_kept():
    records = _records(NO_CHECKS_LF)
    tk28 = next(i for i, r in enumerate(records) if r.startswith("28"))
    records[tk28] = "28" + "Oslo".ljust(35) + "Norge".ljust(35) + "NO"
    first = parse_bgmax("\n".join(records).encode("iso-8859-1")).lines[0]
    assert (first.detail("city"), first.detail("country"), first.detail("country_code")) == (
        "Oslo",
        "Norge",
        "NO",
    )


def test_an_extra_reference_without_an_amount_has_none():
    records = _records(NO_CHECKS_LF)
    tk20 = next(i for i, r in enumerate(records) if r.startswith("20"))
    records.insert(tk20 + 1, "22" + " " * 10 + "7495575".ljust(25) + "0" * 18 + "3")
    records = [r if not r.startswith("70") else r[:18] + "00000001" + r[26:] for r in records]
    first = parse_bgmax("\n".join(records).encode("iso-8859-1")).lines[0]
    assert [(x.reference, x.amount) for x in first.extra_references] == [("7495575", None)]


def test_a_one_ore_payment_counts_in_the_files_credit_total():
    records = _records(NO_CHECKS_LF)
    tk20 = next(i for i, r in enumerate(records) if r.startswith("20"))
    records[tk20] = records[tk20][:37] + "1".rjust(18, "0") + records[tk20][55:]
    tk15 = next(i for i, r in enumerate(records) if r.startswith("15"))
    records[tk15] = records[tk15][:50] + str(85000 - 10000 + 1).rjust(18, "0") + records[tk15][68:]
    parsed = parse_bgmax("\n".join(records).encode("iso-8859-1"))
    assert parsed.file.credit_total == Money(75001)
    assert parsed.file.debit_total == Money(0)


def test_a_file_with_deposits_in_two_currencies_has_no_single_total():
    records = _records(NO_CHECKS_LF)
    deposit = [r for r in records if r[:2] in ("05", "20", "25", "26", "27", "28", "29", "15")]
    euro = [("05" + r[2:22] + "EUR" + r[25:]) if r.startswith("05") else r for r in deposit]
    euro = [r[:57] + "9" + r[58:] if r.startswith("20") else r for r in euro]  # other serials
    end = "70" + "00000010" + "0" * 16 + "00000002"
    text = "\n".join([records[0], *deposit, *euro, end])
    parsed = parse_bgmax(text.encode("iso-8859-1"))
    assert {line.amount.currency for line in parsed.lines} == {"SEK", "EUR"}
    assert (parsed.file.credit_total, parsed.file.debit_total) == (None, None)


def _errors_of(edit) -> list[tuple[int | None, str | None, str]]:
    records = [r for r in _records(NO_CHECKS_LF) if r.strip()]
    edit(records)
    return _refused(records)


def _at(records: list[str], code: str) -> int:
    return next(i for i, r in enumerate(records) if r.startswith(code))


def test_a_record_after_the_end_record_is_refused_with_its_number():
    errors = _errors_of(lambda rs: rs.append(rs[2]))
    assert errors == [(29, "transaktionskod", "post efter slutposten (TK70)")]


def test_a_record_longer_than_80_characters_is_refused_with_its_number():
    def edit(rs: list[str]) -> None:
        rs[3] = rs[3].ljust(81, "x")

    assert (4, None, "posten är 81 tecken lång, inte 80") in _errors_of(edit)


def test_an_unknown_record_of_letters_is_refused_and_one_of_digits_skipped():
    def letters(rs: list[str]) -> None:
        rs.insert(1, "XX")

    assert _errors_of(letters) == [(2, "transaktionskod", "okänd post: 'XX'")]
    records = [r for r in _records(NO_CHECKS_LF) if r.strip()]
    records.insert(1, "99 a record type Bankgirot may add later")
    assert len(parse_bgmax("\n".join(records).encode("iso-8859-1")).lines) == 5


def test_a_deposit_without_its_closing_record_is_refused_at_its_opening():
    assert (2, "insättningspost", "insättningen saknar TK15") in _errors_of(
        lambda rs: rs.pop(_at(rs, "15"))
    )

    def twice(rs: list[str]) -> None:
        rs.insert(_at(rs, "15"), rs[1])

    assert (2, "insättningspost", "insättningen saknar TK15") in _errors_of(twice)


def test_records_out_of_order_are_refused_naming_what_they_lack():
    def orphans(rs: list[str]) -> None:
        rs.insert(2, "25Ett meddelande")
        rs.insert(2, "22" + " " * 10 + "7495575".ljust(25) + "0" * 18)
        rs.insert(2, "29005500001234")

    errors = _errors_of(orphans)
    assert (3, "transaktionskod", "TK29 utan föregående betalningspost") in errors
    assert (4, "transaktionskod", "TK22 utan föregående betalningspost") in errors
    assert (5, "transaktionskod", "TK25 utan föregående betalningspost") in errors

    def before_opening(rs: list[str]) -> None:
        rs.insert(1, rs[2])

    assert (2, "transaktionskod", "TK20 före öppningspost (TK05)") in _errors_of(before_opening)
    assert (2, "insättningspost", "TK15 utan öppningspost (TK05)") in _errors_of(
        lambda rs: rs.insert(1, rs[_at(rs, "15")])
    )


def test_bad_fields_are_refused_naming_record_field_and_value():
    def no_serial(rs: list[str]) -> None:
        rs[2] = rs[2][:57] + " " * 12 + rs[2][69:]

    assert (3, "BGC-löpnummer", "BGC-löpnumret saknas") in _errors_of(no_serial)

    def letters_for_amount(rs: list[str]) -> None:
        rs[2] = rs[2][:37] + "abc".rjust(18) + rs[2][55:]

    assert (3, "belopp", "belopp är inte ett tal: 'abc'") in _errors_of(letters_for_amount)

    def bad_day(rs: list[str]) -> None:
        i = _at(rs, "15")
        rs[i] = rs[i][:37] + "20040532" + rs[i][45:]

    assert (27, "betalningsdag", "betalningsdag är inget datum: '20040532'") in _errors_of(bad_day)

    def bad_stamp(rs: list[str]) -> None:
        rs[0] = rs[0][:24] + "2004-05-25 17:30:35." + rs[0][44:]

    assert _errors_of(bad_stamp) == [
        (1, "skrivdag", "skrivdag är ingen tidpunkt: '2004-05-25 17:30:35.'")
    ]


def test_what_stands_in_the_reserved_positions_changes_no_count_and_no_message():
    records = [r for r in _records(NO_CHECKS_LF) if r.strip()]
    tk15, tk70 = _at(records, "15"), _at(records, "70")
    records[tk15] = records[tk15].ljust(80)[:79] + "9"
    records[tk70] = records[tk70].ljust(80)[:34] + "9" * 46
    tk25 = _at(records, "25")
    records[tk25] = "25" + " " * 50 + "9" * 28
    parsed = parse_bgmax("\n".join(records).encode("iso-8859-1"))
    assert len(parsed.lines) == 5
    assert all(c.ok for c in parsed.file.controls)
    assert parsed.lines[0].message == "65598"
