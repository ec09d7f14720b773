"""What the Autogiro readers check in a file from Bankgirot, field by field: every total at
every one of its positions, every record's payer number, amount and days read exactly, and
every fault named by file, line, field and message in Swedish. The inputs are Bankgirot's
published examples made real files (``_real``), changed one field at a time."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ledger.money import Money
from tests.unit.test_autogiro_files import _real, sample
from webhooks.bankfiles.autogiro import Direction, FileKind, detect_autogiro, parse_autogiro
from webhooks.bankfiles.autogiro.records import (
    AmendmentResult,
    MandateAdvice,
    Opening,
    PaymentOrder,
    RegisterMandate,
    RejectedOrder,
    WatchedPayment,
)
from webhooks.bankfiles.autogiro.writer import (
    DebitOrder,
    NewMandate,
    account_field,
    mandate_file,
    payment_order_file,
)
from webhooks.bankfiles.records import ControlTotal
from webhooks.errors import AutogiroRecordInvalid, BankFileInvalid

SPEC = "autogiro_exempelfil_bet-spec-o-tk_sv.txt"
ADVICE = "autogiro_exempelfiler_medgivandeavisering_sv.txt"
E_MANDATES = "autogiro_exempelfil_nya_medgivanden_via_internetbank_sv.txt"
WATCH = "autogiro_exempelfilutdrag-ur-bevakningsregistret_sv.txt"
REJECTED = "autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt"
AMENDMENTS = "autogiro_exempelfilermakuleringar_andringar-av-betalningar_sv.txt"
ORDERS = "autogiro_exempelfil-betalningsunderlag_sv.txt"
REGISTER = "autogiro_exempelfil-utdrag-ur-medgivanderegistret_sv.txt"
BANKGIRO = "betalningsmottagarens bankgironummer"


def _lines(name: str) -> list[str]:
    """The records of a published example made a real file, one string of 80 per line."""
    return _real(name).decode("iso-8859-1").split("\r\n")[:-1]


def _file(lines: list[str]) -> bytes:
    return "".join(f"{x}\r\n" for x in lines).encode("iso-8859-1")


def _put(lines: list[str], line: int, start: int, text: str) -> list[str]:
    """``text`` written over line ``line`` (1-based) from position ``start`` (1-based)."""
    changed = list(lines)
    record = changed[line - 1]
    changed[line - 1] = record[: start - 1] + text + record[start - 1 + len(text) :]
    assert len(changed[line - 1]) == 80
    return changed


def _faults(data: bytes, name: str, *, lenient: bool = False) -> list[tuple[object, ...]]:
    with pytest.raises(BankFileInvalid) as caught:
        parse_autogiro(data, name, lenient=lenient)
    return [(e.file, e.line, e.field, e.message) for e in caught.value.errors]


# --- the payment specification ---------------------------------------------------------------


def test_the_payment_specification_keeps_every_total_beside_what_its_records_give() -> None:
    read = parse_autogiro(_real(SPEC), "spec.txt")
    assert read.opening == Opening(
        1,
        datetime(2009, 11, 10, 19, 30, 55, 123456),
        "BET. SPEC & STOPP TK",
        "0009912346",
        "471117",
    )
    assert read.controls == (
        ControlTotal("insättningar (TK15) rad 2: belopp (öre)", 1500000, 1500000),
        ControlTotal("insättningar (TK15) rad 2: antal", 5, 5),
        ControlTotal("uttag (TK16) rad 11: belopp (öre)", 300000, 300000),
        ControlTotal("uttag (TK16) rad 11: antal", 3, 3),
        ControlTotal("återbetalningar (TK17) rad 16: belopp (öre)", 20000, 20000),
        ControlTotal("återbetalningar (TK17) rad 16: antal", 1, 1),
        ControlTotal("återbetalningar (TK17) rad 18: belopp (öre)", 50000, 50000),
        ControlTotal("återbetalningar (TK17) rad 18: antal", 1, 1),
        ControlTotal("antal insättningsavsnitt (TK15)", 1, 1),
        ControlTotal("antal godkända debiteringar (TK82)", 5, 5),
        ControlTotal("antal uttagsavsnitt (TK16)", 1, 1),
        ControlTotal("antal godkända utbetalningar (TK32)", 3, 3),
        ControlTotal("antal återbetalningsavsnitt (TK17)", 2, 2),
        ControlTotal("antal återbetalningar (TK77)", 2, 2),
    )


def test_a_payment_specification_without_its_closing_record_is_refused() -> None:
    lines = _lines(SPEC)[:-1]
    assert _faults(_file(lines), "spec.txt") == [
        ("spec.txt", 19, "slutpost", "filen saknar slutpost (TK09)")
    ]


def test_a_record_after_the_specifications_closing_record_is_refused() -> None:
    lines = _lines(SPEC)
    assert _faults(_file([*lines, lines[2]]), "spec.txt") == [
        ("spec.txt", 21, "transaktionskod", "post efter slutposten (TK09)")
    ]


def test_a_specification_whose_time_stamp_is_no_time_is_refused_naming_it() -> None:
    lines = _put(_lines(SPEC), 1, 25, "2009111019305512345X")
    assert _faults(_file(lines), "spec.txt")[0] == (
        "spec.txt",
        1,
        "skrivdag",
        "är ingen tidpunkt: '2009111019305512345X'",
    )


def test_a_section_whose_day_is_no_date_takes_none_of_its_payments_even_in_an_example() -> None:
    # A published example's impossible day is only noted (a deviation), but the section it
    # opens is not read: its debits cannot be counted against a section that is not there.
    lines = _put(_lines(SPEC), 2, 38, "20091131")
    faults = _faults(_file(lines), "spec.txt", lenient=True)
    assert faults[:2] == [
        ("spec.txt", 3, "transaktionskod", "TK82 utanför sitt avsnitt"),
        ("spec.txt", 4, "transaktionskod", "TK82 utanför sitt avsnitt"),
    ]
    assert (
        "spec.txt",
        20,
        "summering",
        "antal godkända debiteringar (TK82): filen säger 5, posterna ger 0",
    ) in faults


# --- the mandate advice and e-mandates -------------------------------------------------------


def test_the_mandate_advice_names_its_payee_and_day() -> None:
    read = parse_autogiro(_real(ADVICE), "medav.txt")
    assert read.opening == Opening(1, datetime(2008, 6, 11), "AG-MEDAVI", "0009912346", "471117")
    assert read.controls == (ControlTotal("antal medgivandeposter (TK73)", 10, 10),)
    assert read.of(MandateAdvice)[0].day == date(2008, 6, 11)


def test_each_bad_field_of_a_mandate_advice_is_named_and_the_record_not_counted() -> None:
    lines = _put(_lines(ADVICE), 2, 45, "19680305000X")
    lines = _put(lines, 2, 64, "3X20081399")
    assert _faults(_file(lines), "medav.txt") == [
        ("medav.txt", 2, "person-/organisationsnummer", "ska vara 12 siffror, är '19680305000X'"),
        ("medav.txt", 2, "kommentarskod", "ska vara 2 siffror, är '3X'"),
        ("medav.txt", 2, "datum", "är inget datum (ÅÅÅÅMMDD): '20081399'"),
        (
            "medav.txt",
            12,
            "summering",
            "antal medgivandeposter (TK73): filen säger 10, posterna ger 9",
        ),
    ]


def test_a_mandate_advice_for_another_bankgiro_number_is_refused() -> None:
    lines = _put(_lines(ADVICE), 3, 3, "0009912347")
    assert _faults(_file(lines), "medav.txt") == [
        ("medav.txt", 3, BANKGIRO, "0009912347 är inte öppningspostens 0009912346")
    ]


def test_a_record_after_the_mandate_advice_closing_record_is_refused() -> None:
    lines = _lines(ADVICE)
    assert _faults(_file([*lines, lines[1]]), "medav.txt") == [
        ("medav.txt", 13, "transaktionskod", "post efter slutposten (TK09)")
    ]


def test_an_e_mandate_file_whose_opening_names_more_than_ag_emedgiv_is_refused() -> None:
    lines = _put(_lines(E_MANDATES), 1, 35, "X")
    assert _faults(_file(lines), "e.txt") == [
        ("e.txt", 1, "innehåll", "ska vara 'AG-EMEDGIV', är 'AG-EMEDGIVX'")
    ]


def test_a_record_after_the_e_mandates_closing_record_is_refused() -> None:
    lines = _lines(E_MANDATES)
    assert _faults(_file([*lines, lines[1]]), "e.txt") == [
        ("e.txt", 23, "transaktionskod", "post efter slutposten (TK59)")
    ]


# --- which file ------------------------------------------------------------------------------


def test_a_file_that_opens_with_no_autogiro_record_is_refused_naming_its_opening() -> None:
    lines = _put(_lines(E_MANDATES), 1, 25, "AG-EMEDGIX")
    assert _faults(_file(lines), "e.txt") == [
        (
            "e.txt",
            1,
            "öppningspost",
            "första posten är ingen Autogirofils öppningspost (TK01, TK51) "
            "och inget utdrag ur medgivanderegistret",
        )
    ]


def test_a_register_extract_whose_first_mandate_has_no_bank_account_is_still_one() -> None:
    lines = _lines(REGISTER)
    first_without_account = [lines[2], *lines[:2], *lines[3:]]
    data = _file(first_without_account)
    assert detect_autogiro(data) is FileKind.MANDATE_REGISTER
    read = parse_autogiro(data, "register.txt")
    assert read.records[0] == RegisterMandate(
        1,
        "0009912346",
        "005556000521",
        "0000000007771014",
        None,
        "1081",
        date(2008, 1, 31),
        date(2008, 2, 28),
    )


# --- the watch register ----------------------------------------------------------------------


def test_the_watch_register_reads_payee_payer_numbers_amounts_and_periods_exactly() -> None:
    read = parse_autogiro(_real(WATCH), "bev.txt")
    assert read.opening == Opening(
        1, datetime(2008, 6, 11), "BEVAKNINGSREG", "0009912346", "471117"
    )
    assert read.of(WatchedPayment)[:2] == (
        WatchedPayment(
            2,
            Direction.DEBIT,
            date(2008, 6, 30),
            "0",
            None,
            "0000000000000101",
            Money(12000),
            "FAKTURANR122",
        ),
        WatchedPayment(
            3,
            Direction.DEBIT,
            date(2008, 6, 30),
            "1",
            6,
            "0000000000000102",
            Money(550555),
            "FAKTURANR120",
        ),
    )
    assert read.of(WatchedPayment)[5].payer_number == "0000000007771014"
    assert read.controls == (
        ControlTotal("antal utbetalningar (TK32)", 5, 5),
        ControlTotal("belopp utbetalningar (TK32) (öre)", 231625, 231625),
        ControlTotal("antal debiteringar (TK82)", 5, 5),
        ControlTotal("belopp debiteringar (TK82) (öre)", 655055, 655055),
    )


def test_a_watched_debit_of_a_billion_kronor_is_read_to_the_first_digit_of_its_field() -> None:
    lines = _put(_lines(WATCH), 2, 32, "100000012000")
    lines = _put(lines, 12, 57, "100000655055")
    read = parse_autogiro(_file(lines), "bev.txt")
    assert read.of(WatchedPayment)[0].amount == Money(100000012000)
    assert read.controls[-1] == ControlTotal(
        "belopp debiteringar (TK82) (öre)", 100000655055, 100000655055
    )


def test_every_digit_of_the_watch_registers_totals_is_checked() -> None:
    lines = _put(_lines(WATCH), 12, 29, "1")
    lines = _put(lines, 12, 41, "1")
    assert _faults(_file(lines), "bev.txt") == [
        (
            "bev.txt",
            12,
            "summering",
            "antal utbetalningar (TK32): filen säger 100005, posterna ger 5",
        ),
        (
            "bev.txt",
            12,
            "summering",
            "belopp utbetalningar (TK32) (öre): filen säger 100000231625, posterna ger 231625",
        ),
    ]


def test_a_watched_payment_with_something_where_the_manual_has_blanks_is_refused() -> None:
    lines = _put(_lines(WATCH), 2, 44, "0")
    lines = _put(lines, 1, 63, "47111X")
    assert _faults(_file(lines), "bev.txt") == [
        ("bev.txt", 1, "kundnummer", "ska vara 6 siffror, är '47111X'"),
        ("bev.txt", 2, "reservfält (pos 44-53)", "ska vara blankt, innehåller '0'"),
    ]


def test_a_record_after_the_watch_registers_closing_record_is_refused() -> None:
    lines = _lines(WATCH)
    assert _faults(_file([*lines, lines[1]]), "bev.txt") == [
        ("bev.txt", 13, "transaktionskod", "post efter slutposten (TK09)")
    ]


# --- rejected orders and amendments ----------------------------------------------------------


def test_a_rejected_order_is_read_with_its_period_repeats_payer_amount_and_comment() -> None:
    read = parse_autogiro(_real(REJECTED), "avv.txt", lenient=True)
    assert read.of(RejectedOrder)[0] == RejectedOrder(
        2,
        Direction.DEBIT,
        date(2008, 6, 11),
        "5",
        6,
        "0000000000003333",
        Money(7500),
        "RIDLEKTION",
        "02",
    )


def test_a_rejected_order_with_a_bad_payer_number_is_named_and_left_out_of_the_totals() -> None:
    lines = _put(_lines(REJECTED), 2, 15, "000000000000333X")
    faults = _faults(_file(lines), "avv.txt", lenient=True)
    assert faults == [
        ("avv.txt", 2, "betalarnummer", "ska vara 16 siffror, är '000000000000333X'"),
        ("avv.txt", 10, "summering", "antal debiteringar (TK82): filen säger 3, posterna ger 2"),
        (
            "avv.txt",
            10,
            "summering",
            "belopp debiteringar (TK82) (öre): filen säger 87551, posterna ger 80051",
        ),
    ]


def test_an_amendment_result_is_read_with_its_comment_and_outcome() -> None:
    read = parse_autogiro(_real(AMENDMENTS), "mak.txt", lenient=True)
    results = read.of(AmendmentResult)
    assert [(r.line, r.comment) for r in results[:4]] == [
        (2, "12"),
        (3, "12"),
        (4, "12"),
        (5, "01"),
    ]
    assert results[13].comment == "06" and results[13].new_due == date(2008, 6, 21)


def test_an_amendment_result_whose_payment_day_is_no_date_is_refused_naming_the_day() -> None:
    lines = _put(_lines(AMENDMENTS), 4, 3, "2008061X")
    assert _faults(_file(lines), "mak.txt", lenient=True) == [
        ("mak.txt", 4, "betalningsdag", "är inget datum (ÅÅÅÅMMDD): '2008061X'")
    ]


# --- files to Bankgirot ----------------------------------------------------------------------


def test_a_second_section_of_a_file_to_bankgirot_is_checked_like_the_first() -> None:
    lines = _lines(ORDERS)
    second = lines[0][:17] + "X" + lines[0][18:]  # AUTOGIRX
    assert _faults(_file([*lines, second, lines[1]]), "b.txt") == [
        ("b.txt", 11, "layoutnamn", "ska vara 'AUTOGIRO', är 'AUTOGIRX'")
    ]


def test_a_debit_order_of_nothing_or_with_period_code_9_is_refused() -> None:
    lines = _put(_lines(ORDERS), 2, 32, "000000000000")
    lines = _put(lines, 3, 11, "9")
    assert _faults(_file(lines), "b.txt") == [
        ("b.txt", 2, "belopp", "beloppet är noll"),
        ("b.txt", 3, "periodkod", "ska vara 0-8, är '9'"),
    ]
    read = parse_autogiro(_real(ORDERS), "b.txt")
    assert read.of(PaymentOrder)[2].period == "5" and read.of(PaymentOrder)[2].repeats == 6


# --- lenient reading of the examples ---------------------------------------------------------


def test_a_control_character_at_the_end_of_an_examples_record_is_still_refused() -> None:
    text = sample(ADVICE).decode("iso-8859-1").replace("\r\n", "\n").split("\n")
    at = next(i for i, x in enumerate(text) if x.startswith("73"))
    text[at] = text[at].rstrip() + "\x0c"
    data = "\r\n".join(text).encode("iso-8859-1")
    (fault,) = _faults(data, "medav.txt", lenient=True)
    assert fault[0:2] == ("medav.txt", at + 1)
    assert fault[3] == "tecknet '\\x0c' är inget skrivbart ISO-8859-1-tecken"


# --- what Kassan writes ----------------------------------------------------------------------


def test_a_reference_of_exactly_sixteen_characters_is_written_whole() -> None:
    order = DebitOrder("1001", date(2027, 1, 28), Money(15000), "GÅVA 2027-01 NR1")
    data = payment_order_file(date(2027, 1, 10), "471117", "9912346", [order])
    (read,) = parse_autogiro(data, "b.txt").of(PaymentOrder)
    assert read.reference == "GÅVA 2027-01 NR1" and read.amount == Money(15000)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("X" * 17, "referens får vara högst 16 tecken: 'XXXXXXXXXXXXXXXXX'"),
        ("GÅVA\t1", "referens har tecken som inte kan skrivas: 'GÅVA\\t1'"),
    ],
)
def test_a_reference_that_cannot_be_written_is_refused_saying_why(
    reference: str, message: str
) -> None:
    order = DebitOrder("1001", date(2027, 1, 28), Money(15000), reference)
    with pytest.raises(AutogiroRecordInvalid) as caught:
        payment_order_file(date(2027, 1, 10), "471117", "9912346", [order])
    assert (caught.value.field, caught.value.message) == ("referens", message)


def test_a_clearing_or_payer_number_with_a_letter_is_refused_naming_the_field() -> None:
    with pytest.raises(AutogiroRecordInvalid) as caught:
        account_field("33X0", "123456")
    assert caught.value.field == "clearingnummer"
    with pytest.raises(AutogiroRecordInvalid) as caught:
        mandate_file(date(2026, 12, 3), "471117", "9912346", [NewMandate("10X1", "3300", "1", "1")])
    assert caught.value.field == "betalarnummer"
