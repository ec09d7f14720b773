"""Every Autogiro example file Bankgirot publishes, read with its totals checked, and the files
Kassan writes, read back by the same parser record by record."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ledger.money import Money
from webhooks.bankfiles.autogiro import (
    Direction,
    FileKind,
    MandateOutcome,
    PaymentStatus,
    detect_autogiro,
    parse_autogiro,
)
from webhooks.bankfiles.autogiro.records import (
    AmendmentRequest,
    AmendmentResult,
    EMandate,
    MandateAdvice,
    MandateRequest,
    PaymentOrder,
    PaymentResult,
    Refund,
    RegisterMandate,
    RejectedOrder,
    Section,
    WatchedPayment,
)
from webhooks.bankfiles.autogiro.writer import (
    DebitOrder,
    NewMandate,
    account_field,
    mandate_file,
    payment_order_file,
)
from webhooks.errors import AutogiroRecordInvalid, BankFileInvalid

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "autogiro"

# file -> (kind, records read, controls checked, days in the example that are no date)
EXPECTED = {
    "autogiro_exempelfil-betalningsunderlag_sv.txt": (FileKind.REQUESTS, 9, 0, 0),
    "autogiro_exempelfil-utdrag-ur-medgivanderegistret_sv.txt": (
        FileKind.MANDATE_REGISTER,
        7,
        0,
        0,
    ),
    "autogiro_exempelfil_bet-spec-o-tk_sv.txt": (FileKind.PAYMENT_SPECIFICATION, 18, 14, 0),
    "autogiro_exempelfil_medgivandeunderlag_sv.txt": (FileKind.REQUESTS, 13, 0, 0),
    "autogiro_exempelfil_nya_medgivanden_via_internetbank_sv.txt": (FileKind.E_MANDATES, 4, 1, 0),
    "autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt": (FileKind.REJECTED_ORDERS, 8, 4, 1),
    "autogiro_exempelfiler_medgivandeavisering_sv.txt": (FileKind.MANDATE_ADVICE, 10, 1, 0),
    "autogiro_exempelfilermakuleringar_andringar-av-betalningar_sv.txt": (
        FileKind.AMENDMENTS,
        18,
        4,
        2,
    ),
    "autogiro_exempelfilermakulerings-andringsunderlag_sv.txt": (FileKind.REQUESTS, 17, 0, 0),
    "autogiro_exempelfilutdrag-ur-bevakningsregistret_sv.txt": (FileKind.WATCH_REGISTER, 10, 4, 0),
}


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_every_published_example_is_covered() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_file_is_read_whole_and_its_totals_agree(name: str) -> None:
    kind, count, controls, deviations = EXPECTED[name]
    read = parse_autogiro(sample(name), name, lenient=True)
    assert read.kind is kind
    assert len(read.records) == count
    assert len(read.controls) == controls
    assert all(c.ok for c in read.controls), read.controls
    assert len(read.deviations) == deviations
    assert all("är inget datum" in str(d) for d in read.deviations)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_example_is_refused_as_a_real_file_because_of_its_title_lines(name: str) -> None:
    with pytest.raises(BankFileInvalid) as caught:
        parse_autogiro(sample(name), name)
    first = caught.value.errors[0]
    assert first.file == name and first.line == 1
    # a title line is too short or holds Windows-1252's dash; the ruler line is no record
    assert any(x in first.message for x in ("inte 80", "ISO-8859-1", "ingen Autogirofil"))


def test_the_payment_specification_reads_sections_statuses_and_refunds() -> None:
    name = "autogiro_exempelfil_bet-spec-o-tk_sv.txt"
    read = parse_autogiro(sample(name), name, lenient=True)
    assert read.opening is not None and read.opening.bankgiro == "0009912346"
    assert read.opening.customer_number == "471117"
    assert [s.code for s in read.of(Section)] == ["15", "16", "17", "17"]
    debits = [p for p in read.of(PaymentResult) if p.direction is Direction.DEBIT]
    assert [p.status for p in debits].count(PaymentStatus.APPROVED) == 5
    assert {p.status for p in debits} == set(PaymentStatus)
    first = debits[0]
    assert (first.payer_number, first.amount, first.due) == (
        "0000000000000101",
        Money(300000),
        date(2009, 11, 10),
    )
    assert first.reference == "000000RIDLEKTION"
    refunds = read.of(Refund)
    assert [(r.amount, r.refunded_on, r.code) for r in refunds] == [
        (Money(20000), date(2009, 11, 10), "02"),
        (Money(50000), date(2009, 11, 10), "01"),
    ]


def test_mandate_advice_tells_what_became_of_each_mandate() -> None:
    name = "autogiro_exempelfiler_medgivandeavisering_sv.txt"
    advice = parse_autogiro(sample(name), name, lenient=True).of(MandateAdvice)
    by_line = {(a.payer_number[-4:], a.information, a.comment): a.outcome for a in advice}
    assert by_line[("0103", "04", "32")] is MandateOutcome.ACTIVE
    assert by_line[("2101", "46", "02")] is MandateOutcome.CANCELLED
    assert by_line[("0102", "43", "07")] is MandateOutcome.CANCELLED
    assert by_line[("1022", "04", "29")] is MandateOutcome.REFUSED
    assert advice[0].account == "5001000001000020" and advice[0].identity == "196803050000"
    assert advice[1].account is None and "makulerat" in advice[1].text


def test_e_mandates_carry_the_payers_name_address_and_message() -> None:
    name = "autogiro_exempelfil_nya_medgivanden_via_internetbank_sv.txt"
    mandates = parse_autogiro(sample(name), name, lenient=True).of(EMandate)
    first = mandates[0]
    assert first.payer_number == "0000000000000111"
    assert first.account == "8901003232323232" and first.identity == "005556000521"
    assert first.information == "JAG ÖNSKAR BETALA MÅNADSVIS"
    assert first.name == ("ANDERS JOHANSSON", "C/O ANNA NILSSON")
    assert (first.address, first.postcode, first.city) == (("LUGNA GATAN 5",), "12838", "SKARPNÄCK")
    assert mandates[2].city == "USA" and mandates[2].postcode == "00000"


def test_files_to_bankgirot_read_as_mandates_orders_and_amendments() -> None:
    mandates = parse_autogiro(
        sample("autogiro_exempelfil_medgivandeunderlag_sv.txt"), "m", lenient=True
    ).of(MandateRequest)
    assert [m.code for m in mandates].count("04") == 8
    assert [m.reply for m in mandates if m.reply] == ["AV", "AV"]
    assert mandates[-1].code == "05" and mandates[-1].new_payer_number == "0000000003330202"
    orders = parse_autogiro(
        sample("autogiro_exempelfil-betalningsunderlag_sv.txt"), "b", lenient=True
    ).of(PaymentOrder)
    assert orders[4].due is None and orders[4].reference == "KUNDNR5"  # GENAST
    assert [o.direction for o in orders].count(Direction.CREDIT) == 4
    amendments = parse_autogiro(
        sample("autogiro_exempelfilermakulerings-andringsunderlag_sv.txt"), "a", lenient=True
    ).of(AmendmentRequest)
    assert [a.code for a in amendments][:4] == ["23", "23", "23", "24"]
    assert amendments[9].code == "26" and amendments[9].new_due == date(2008, 6, 30)
    assert amendments[9].payer_number is None


def test_reports_of_rejected_orders_amendments_and_registers() -> None:
    rejected = parse_autogiro(
        sample("autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt"), "r", lenient=True
    ).of(RejectedOrder)
    assert (rejected[0].payer_number, rejected[0].amount, rejected[0].comment) == (
        "0000000000003333",
        Money(7500),
        "02",
    )
    results = parse_autogiro(
        sample("autogiro_exempelfilermakuleringar_andringar-av-betalningar_sv.txt"),
        "m",
        lenient=True,
    ).of(AmendmentResult)
    assert sum(r.outcome.value in ("12", "14") for r in results) == 10
    watched = parse_autogiro(
        sample("autogiro_exempelfilutdrag-ur-bevakningsregistret_sv.txt"), "w", lenient=True
    ).of(WatchedPayment)
    assert watched[1].amount == Money(550555)
    register = parse_autogiro(
        sample("autogiro_exempelfil-utdrag-ur-medgivanderegistret_sv.txt"), "u", lenient=True
    ).of(RegisterMandate)
    assert register[0].account == "8901003232323232" and register[2].account is None


def _real(name: str) -> bytes:
    """A published example made a real file: no title lines, records padded to 80."""
    text = sample(name).decode("iso-8859-1").replace("\r\n", "\n")
    lines = [x.rstrip(" \t") for x in text.split("\n")]
    records = [x.ljust(80) for x in lines if x[:2].isdigit()]
    return "".join(f"{r}\r\n" for r in records).encode("iso-8859-1")


def test_a_wrong_total_names_file_line_and_field_in_swedish() -> None:
    name = "autogiro_exempelfil_bet-spec-o-tk_sv.txt"
    data = _real(name).replace(b"00000005 \r\n", b"00000006 \r\n")
    with pytest.raises(BankFileInvalid) as caught:
        parse_autogiro(data, "spec.txt")
    (error,) = caught.value.errors
    assert (error.file, error.line, error.field) == ("spec.txt", 2, "summering")
    assert "filen säger 6, posterna ger 5" in error.message


def test_a_bad_field_and_a_short_record_are_each_named() -> None:
    data = _real("autogiro_exempelfiler_medgivandeavisering_sv.txt")
    lines = data.split(b"\r\n")
    lines[1] = lines[1][:40] + b"X" + lines[1][41:]
    lines[3] = lines[3][:79]
    with pytest.raises(BankFileInvalid) as caught:
        parse_autogiro(b"\r\n".join(lines), "medav.txt")
    assert [(e.line, e.field) for e in caught.value.errors] == [(4, None)]
    del lines[3]
    with pytest.raises(BankFileInvalid) as caught:
        parse_autogiro(b"\r\n".join(lines), "medav.txt")
    messages = [str(e) for e in caught.value.errors]
    assert messages[0].startswith("medav.txt, rad 2 (bankkontonummer): ska vara 16 siffror")
    assert "antal medgivandeposter (TK73): filen säger 10, posterna ger 9" in messages[1]


def test_a_utf8_file_is_refused_for_its_characters() -> None:
    data = _real("autogiro_exempelfil_nya_medgivanden_via_internetbank_sv.txt")
    utf8 = data.decode("iso-8859-1").encode("utf-8")
    with pytest.raises(BankFileInvalid) as caught:
        parse_autogiro(utf8, "e.txt")
    assert any("ISO-8859-1" in e.message for e in caught.value.errors)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_kind_is_detected_from_its_first_record(name: str) -> None:
    assert detect_autogiro(_real(name)) is EXPECTED[name][0]


def test_detect_leaves_other_bank_files_alone() -> None:
    assert detect_autogiro(b"01BGMAX               0120080411120000000000P\r\n") is None
    assert detect_autogiro(b"<?xml version='1.0'?>") is None


def test_the_mandate_file_kassan_writes_reads_back_record_by_record() -> None:
    new = [
        NewMandate("1001", "8327-9".replace("-", ""), "9876543210", "198001011234"),
        NewMandate("1002", "3300", "8001011234", "198001011234"),
    ]
    data = mandate_file(date(2026, 12, 3), "471117", "9912346", new, cancelled=["977"])
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and all(len(line) == 80 for line in lines[:-1])
    read = parse_autogiro(data, "medgivanden.txt")
    assert read.kind is FileKind.REQUESTS
    assert read.opening is not None and read.opening.customer_number == "471117"
    assert read.records == (
        MandateRequest(
            2, "04", "0009912346", "0000000000001001", "8327009876543210", "198001011234"
        ),
        MandateRequest(
            3, "04", "0009912346", "0000000000001002", "3300008001011234", "198001011234"
        ),
        MandateRequest(4, "03", "0009912346", "0000000000000977"),
    )


def test_the_payment_orders_kassan_writes_read_back_record_by_record() -> None:
    orders = [
        DebitOrder("1001", date(2027, 1, 28), Money(15000), "GÅVA 2027-01"),
        DebitOrder("1002", date(2027, 1, 28), Money(123456), ""),
    ]
    data = payment_order_file(date(2027, 1, 10), "471117", "9912346", orders)
    assert "GÅVA".encode("iso-8859-1") in data
    read = parse_autogiro(data, "betalningar.txt")
    assert read.records == (
        PaymentOrder(
            2,
            Direction.DEBIT,
            date(2027, 1, 28),
            "0",
            None,
            "0000000000001001",
            Money(15000),
            "0009912346",
            "GÅVA 2027-01",
        ),
        PaymentOrder(
            3,
            Direction.DEBIT,
            date(2027, 1, 28),
            "0",
            None,
            "0000000000001002",
            Money(123456),
            "0009912346",
            "",
        ),
    )


@pytest.mark.parametrize(
    ("order", "field"),
    [
        (DebitOrder("1" * 17, date(2027, 1, 28), Money(100), ""), "betalarnummer"),
        (DebitOrder("1", date(2027, 1, 28), Money(0), ""), "belopp"),
        (DebitOrder("1", date(2027, 1, 28), Money(100), "GÅVA ☃"), "referens"),
        (DebitOrder("1", date(2027, 1, 28), Money(100), "X" * 17), "referens"),
    ],
)
def test_a_value_that_does_not_fit_its_field_is_refused_not_cut(
    order: DebitOrder, field: str
) -> None:
    with pytest.raises(AutogiroRecordInvalid) as caught:
        payment_order_file(date(2027, 1, 10), "471117", "9912346", [order])
    assert caught.value.field == field


def test_bank_accounts_take_four_clearing_digits_and_twelve_account_digits() -> None:
    assert account_field("83279", "9876543210") == "8327009876543210"
    assert account_field("6000", "123456789") == "6000000123456789"
    with pytest.raises(AutogiroRecordInvalid):
        account_field("600", "123")
