"""The bank's Swish report: Handelsbanken's four published examples (comma and semicolon,
daily and intraday) read with their totals, and broken copies refused whole."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from ledger.money import Money
from webhooks.bankfiles.swish_report import parse_swish_report
from webhooks.errors import BankFileInvalid

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "swish"
NAMES = sorted(p.name for p in SAMPLES.iterdir())
COMMA_DAILY = "handelsbanken-swishrapport-kommaseparerad-daglig.csv"
SEMICOLON_INTRADAY = "handelsbanken-swishrapport-semikolonseparerad-intradag.csv"


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_there_are_four_sample_reports():
    assert len(NAMES) == 4


@pytest.mark.parametrize("name", NAMES)
def test_every_sample_report_parses_with_its_totals(name):
    parsed = parse_swish_report(_read(name), name)
    # Read by hand from each file: 1 500,00 kr from Anna Swish and 2 300,50 kr from Sven
    # Svensson on 2015-04-16, and "03,2" at the end.
    assert [line.amount for line in parsed.lines] == [Money(150000), Money(230050)]
    assert parsed.file.credit_total == Money(380050)
    assert parsed.file.controls[0].declared == parsed.file.controls[0].computed == 2
    assert [line.key for line in parsed.lines] == [
        "swish:4469411476093487",
        "swish:4469411476093492",
    ]
    first = parsed.lines[0]
    assert (first.payer_name, first.payer_account, first.account) == (
        "Anna Swish",
        "+46709879879",
        "1235524400",
    )
    assert first.message == "Meddelande från Anna"
    assert first.booking_date == date(2015, 4, 16)
    assert first.channel == "swish"
    assert parsed.file.period_start == parsed.file.period_end == date(2015, 4, 16)


def test_the_intraday_report_carries_its_cut_off_time():
    assert parse_swish_report(_read(SEMICOLON_INTRADAY)).file.created_at == datetime(
        2015, 4, 16, 10, 0
    )
    assert parse_swish_report(_read(COMMA_DAILY)).file.created_at == datetime(2015, 4, 17)


def test_an_iso_8859_1_copy_reads_the_same():
    text = _read(COMMA_DAILY).decode("utf-8")
    latin = parse_swish_report(text.encode("iso-8859-1"))
    assert latin.lines == parse_swish_report(_read(COMMA_DAILY)).lines


def _lines() -> list[str]:
    return _read(COMMA_DAILY).decode("utf-8").splitlines()


def test_a_message_with_an_unquoted_comma_and_an_ocr_reference_is_read_whole():
    lines = _lines()
    lines[1] = lines[1].replace("Meddelande från Anna", "Gåva, ref 1000173")
    parsed = parse_swish_report("\n".join(lines).encode())
    assert parsed.lines[0].message == "Gåva, ref 1000173"
    lines[1] = lines[1].replace("Gåva, ref 1000173", "1000173")
    assert parse_swish_report("\n".join(lines).encode()).lines[0].reference == "1000173"


def test_a_refund_is_a_negative_line():
    lines = _lines()
    lines[2] = lines[2].replace(",SWH,", ",SWR,")
    lines[2] = lines[2].replace("4469411476093492", "4469411476093999")
    parsed = parse_swish_report("\n".join(lines).encode())
    assert parsed.lines[1].amount == Money(-230050)
    assert parsed.file.debit_total == Money(-230050)


def _refused(lines: list[str]) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(BankFileInvalid) as caught:
        parse_swish_report("\n".join(lines).encode(), "swish.csv")
    return [(e.line, e.field, e.message) for e in caught.value.errors]


def test_a_missing_amount_and_a_wrong_count_are_both_reported():
    lines = _lines()
    lines[1] = lines[1].replace(",1500.00,", ",,")
    lines[3] = "03,3"
    assert _refused(lines) == [
        (2, "belopp", "beloppet saknas"),
        (4, "antal", "slutposten säger 3 transaktioner, filen har 2"),
    ]


def test_the_same_payment_reference_twice_is_refused():
    lines = _lines()
    lines[2] = lines[2].replace("4469411476093492", "4469411476093487")
    assert _refused(lines) == [
        (3, "betalningsreferens", "betalningsreferensen 4469411476093487 finns två gånger")
    ]


def test_a_report_without_end_record_is_refused():
    assert _refused(_lines()[:-1]) == [(None, "slutpost", "filen saknar slutpost (03)")]


def test_a_swish_line_keeps_its_order_id_and_the_raw_fields_for_the_desk():
    lines = _lines()
    lines[1] = lines[1].replace(",,2015-04-16T13:32", ",1000173,2015-04-16T13:32")
    lines[1] += ",något banken lade till"
    parsed = parse_swish_report("\n".join(lines).encode())
    first = parsed.lines[0]
    assert dict(first.raw) == {
        "org_no": "5566778899",
        "bank_account": "123456789",
        "bic": "HANDSESS",
        "type": "SWH",
        "order_id": "1000173",
        "timestamp": "2015-04-16T13:32:22:683413",
        "extra": "något banken lade till",
    }
    assert (first.line_no, first.source_line, first.account) == (1, 2, "1235524400")
    assert (first.payer_name, first.payer_account) == ("Anna Swish", "+46709879879")
    assert parsed.lines[1].line_no == 2
    assert parsed.file.accounts == ("1235524400",)


def test_each_swish_number_of_the_report_is_listed_once():
    lines = _lines()
    lines.insert(3, lines[2].replace("1235524400", "1231181189").replace("93492", "93499"))
    lines[-1] = "03,3"
    parsed = parse_swish_report("\n".join(lines).encode())
    assert parsed.file.accounts == ("1235524400", "1231181189")


def test_a_report_of_only_payments_in_has_no_money_out_and_counts_its_transactions():
    parsed = parse_swish_report(_read(COMMA_DAILY))
    assert parsed.file.debit_total == Money(0)
    assert parsed.file.created_at == datetime(2015, 4, 17)
    assert [(c.what, c.declared, c.computed) for c in parsed.file.controls] == [
        ("antal transaktioner", 2, 2)
    ]


def test_a_start_record_without_a_report_date_takes_the_created_date():
    lines = _lines()
    lines[0] = "01,2015-04-17"
    parsed = parse_swish_report("\n".join(lines).encode())
    assert (parsed.file.period_start, parsed.file.period_end) == (date(2015, 4, 17),) * 2


def test_broken_records_are_refused_naming_line_field_and_what_was_wrong():
    assert _refused(["02,x"]) == [
        (1, "startpost", "filen börjar inte med Swish-rapportens startpost (01)")
    ]
    assert (5, "post", "post efter slutposten (03)") in _refused([*_lines(), _lines()[1]])
    unknown = _lines()
    unknown.insert(1, "07,x")
    assert (2, "posttyp", "okänd posttyp '07'") in _refused(unknown)
    second_start = _lines()
    second_start.insert(1, second_start[0])
    assert (2, "startpost", "en andra startpost (01)") in _refused(second_start)
    bad_start = _lines()
    bad_start[0] = "01,17 april"
    assert (
        1,
        "startpost",
        "startposten har inga giltiga datum: ['01', '17 april']",
    ) in _refused(bad_start)
    bad_count = _lines()
    bad_count[-1] = "03,två"
    assert _refused(bad_count) == [(4, "antal", "slutpostens antal är inget tal: 'två'")]
    no_count = _lines()
    no_count[-1] = "03"
    assert _refused(no_count) == [(4, "antal", "slutpostens antal är inget tal: ''")]


def test_a_transaction_with_a_bad_date_is_refused_and_not_counted_as_a_line():
    lines = _lines()
    lines[1] = lines[1].replace(",2015-04-16,SWH", ",16 april,SWH")
    assert _refused(lines) == [(2, "datum", "transaktionsdatum är inget datum: '16 april'")]


def test_a_payment_in_euro_is_read_in_euro_one_without_currency_in_kronor_and_no_mixed_total():
    lines = _lines()
    lines[1] = lines[1].replace(",SEK,", ",EUR,")
    lines[2] = lines[2].replace(",SEK,", ",,")
    parsed = parse_swish_report("\n".join(lines).encode())
    assert [line.amount for line in parsed.lines] == [Money(150000, "EUR"), Money(230050, "SEK")]
    assert parsed.lines[1].amount.currency == "SEK"
    assert (parsed.file.credit_total, parsed.file.debit_total) == (None, None)
    lines[2] = lines[2].replace(",,+46", ",EUR,+46")
    euro = parse_swish_report("\n".join(lines).encode())
    assert (euro.file.currency, euro.file.credit_total) == ("EUR", Money(380050, "EUR"))


def test_a_transaction_with_too_few_fields_or_no_timestamp_is_refused():
    expected = "transaktionen har {n} fält, väntade minst 15 med en tidsstämpel"
    short = _lines()
    fields = short[1].split(",")
    short[1] = ",".join(fields[:12] + fields[-1:])  # 13 fields, the timestamp last
    assert _refused(short) == [(2, "transaktion", expected.format(n=13))]
    no_stamp = _lines()
    no_stamp[1] = no_stamp[1].replace(",2015-04-16T13:32:22:683413", ",inte en tid")
    assert _refused(no_stamp) == [(2, "transaktion", expected.format(n=15))]


def test_a_bad_amount_and_a_bad_payment_reference_are_refused_naming_them():
    lines = _lines()
    lines[1] = lines[1].replace(",1500.00,", ",femton,")
    lines[2] = lines[2].replace("4469411476093492", "44694114-7609")
    assert _refused(lines) == [
        (2, "belopp", "beloppet är inget belopp: 'femton'"),
        (
            3,
            "betalningsreferens",
            "betalningsreferensen saknas eller är felaktig: '44694114-7609'",
        ),
    ]
