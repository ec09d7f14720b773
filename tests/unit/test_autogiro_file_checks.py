"""What the Autogiro readers check in a file from Bankgirot, field by field: every total at
every one of its positions, every record's payer number, amount and days read exactly, and
every fault named by file, line, field and message in Swedish. The inputs are Bankgirot's
published examples made real files (``_real``), changed one field at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from ledger.money import Money
from tests.unit.test_autogiro_files import _real, sample
from webhooks.bankfiles.autogiro import (
    Direction,
    FileKind,
    PaymentStatus,
    detect_autogiro,
    parse_autogiro,
)
from webhooks.bankfiles.autogiro.codes import AmendmentOutcome
from webhooks.bankfiles.autogiro.records import (
    AmendmentRequest,
    AmendmentResult,
    MandateAdvice,
    Opening,
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


# --- the payment specification, record by record --------------------------------------------


def test_each_record_of_the_payment_specification_is_read_whole() -> None:
    read = parse_autogiro(_real(SPEC), "spec.txt")
    account = "00000000000000000008901003232323232"
    assert read.records[0] == Section(
        2, "15", account, date(2009, 11, 10), "00001", Money(1500000), 5
    )
    assert read.records[2] == PaymentResult(
        4,
        2,
        Direction.DEBIT,
        date(2009, 11, 10),
        "5",
        6,
        "0000000000000102",
        Money(300000),
        "0009912346",
        "0000000FAKTNR156",
        PaymentStatus.APPROVED,
    )
    assert read.records[9] == Section(
        11, "16", account, date(2009, 11, 10), "00001", Money(300000), 3
    )
    assert read.records[15] == Refund(
        17,
        16,
        date(2009, 11, 3),
        "0000000000000114",
        Money(20000),
        "0009912346",
        "0000000FAKTNR150",
        date(2009, 11, 10),
        "02",
    )


def test_a_debit_of_a_billion_kronor_is_read_to_the_first_digit_of_its_field() -> None:
    lines = _put(_lines(SPEC), 3, 32, "100000300000")
    lines = _put(lines, 2, 51, "000000100001500000")
    read = parse_autogiro(_file(lines), "spec.txt")
    assert read.of(PaymentResult)[0].amount == Money(100000300000)
    assert read.of(Section)[0].amount == Money(100001500000)
    assert all(c.ok for c in read.controls)


def test_every_digit_of_a_sections_amount_and_count_is_checked() -> None:
    lines = _put(_lines(SPEC), 2, 51, "1")
    lines = _put(lines, 2, 72, "1")
    assert _faults(_file(lines), "spec.txt") == [
        (
            "spec.txt",
            2,
            "summering",
            "insättningar (TK15) rad 2: belopp (öre): "
            "filen säger 100000000001500000, posterna ger 1500000",
        ),
        (
            "spec.txt",
            2,
            "summering",
            "insättningar (TK15) rad 2: antal: filen säger 10000005, posterna ger 5",
        ),
    ]


def test_a_section_with_something_in_its_blank_positions_is_refused() -> None:
    lines = _put(_lines(SPEC), 2, 69, "X")
    lines = _put(lines, 2, 80, "X")
    assert _faults(_file(lines), "spec.txt") == [
        ("spec.txt", 2, "reservfält (pos 69-71)", "ska vara blankt, innehåller 'X'"),
        ("spec.txt", 2, "reservfält (pos 80-80)", "ska vara blankt, innehåller 'X'"),
    ]


@pytest.mark.parametrize(
    ("start", "text", "field", "message"),
    [
        (38, "2009111X", "betalningsdag", "är inget datum (ÅÅÅÅMMDD): '2009111X'"),
        (46, "0000X", "löpnummer", "ska vara 5 siffror, är '0000X'"),
        (51, "00000000000150000X", "belopp", "ska vara 18 siffror, är '00000000000150000X'"),
        (72, "0000000X", "antal poster", "ska vara 8 siffror, är '0000000X'"),
    ],
)
def test_a_section_with_a_bad_field_is_named_and_takes_none_of_its_payments(
    start: int, text: str, field: str, message: str
) -> None:
    lines = _put(_lines(SPEC), 2, start, text)
    assert _faults(_file(lines), "spec.txt")[:2] == [
        ("spec.txt", 2, field, message),
        ("spec.txt", 3, "transaktionskod", "TK82 utanför sitt avsnitt"),
    ]


def test_a_debit_for_another_bankgiro_number_is_refused() -> None:
    lines = _put(_lines(SPEC), 3, 44, "0009912347")
    assert _faults(_file(lines), "spec.txt") == [
        ("spec.txt", 3, BANKGIRO, "0009912347 är inte filens 0009912346")
    ]


@pytest.mark.parametrize(
    ("start", "text", "field", "message"),
    [
        (3, "2009111X", "betalningsdag", "är inget datum (ÅÅÅÅMMDD): '2009111X'"),
        (12, "00X", "antal självförnyande uppdrag", "ska vara 3 siffror, är '00X'"),
        (16, "000000000000010X", "betalarnummer", "ska vara 16 siffror, är '000000000000010X'"),
        (32, "00000030000X", "belopp", "ska vara 12 siffror, är '00000030000X'"),
        (44, "000991234X", BANKGIRO, "ska vara 10 siffror, är '000991234X'"),
        (80, "X", "betalningsstatuskod (pos 80)", "okänd kod 'X'"),
    ],
)
def test_a_debit_with_a_bad_field_is_named(start: int, text: str, field: str, message: str) -> None:
    lines = _put(_lines(SPEC), 3, start, text)
    assert _faults(_file(lines), "spec.txt")[0] == ("spec.txt", 3, field, message)


@pytest.mark.parametrize(
    ("start", "text", "field", "message"),
    [
        (3, "2009110X", "betalningsdag", "är inget datum (ÅÅÅÅMMDD): '2009110X'"),
        (16, "000000000000011X", "betalarnummer", "ska vara 16 siffror, är '000000000000011X'"),
        (32, "00000002000X", "belopp", "ska vara 12 siffror, är '00000002000X'"),
        (70, "2009111X", "återbetalningsdag", "är inget datum (ÅÅÅÅMMDD): '2009111X'"),
        (78, "0X", "kommentarskod", "ska vara 2 siffror, är '0X'"),
    ],
)
def test_a_refund_with_a_bad_field_is_named_and_not_counted(
    start: int, text: str, field: str, message: str
) -> None:
    lines = _put(_lines(SPEC), 17, start, text)
    assert _faults(_file(lines), "spec.txt") == [
        ("spec.txt", 17, field, message),
        (
            "spec.txt",
            16,
            "summering",
            "återbetalningar (TK17) rad 16: belopp (öre): filen säger 20000, posterna ger 0",
        ),
        (
            "spec.txt",
            16,
            "summering",
            "återbetalningar (TK17) rad 16: antal: filen säger 1, posterna ger 0",
        ),
        (
            "spec.txt",
            20,
            "summering",
            "antal återbetalningar (TK77): filen säger 2, posterna ger 1",
        ),
    ]


def test_every_debit_section_is_checked_also_when_one_follows_another() -> None:
    lines = _lines(SPEC)
    # the debits split in two sections of 9 000 kr (three) and 6 000 kr (two), the second
    # declaring 6 000,01 kr
    first = _put([lines[1]], 1, 51, "000000000000900000")[0]
    first = _put([first], 1, 72, "00000003")[0]
    second = _put([first], 1, 51, "000000000000600001")[0]
    second = _put([second], 1, 72, "00000002")[0]
    closing = _put([lines[19]], 1, 15, "000002")[0]
    split = [lines[0], first, *lines[2:5], second, *lines[5:19], closing]
    assert _faults(_file(split), "spec.txt") == [
        (
            "spec.txt",
            6,
            "summering",
            "insättningar (TK15) rad 6: belopp (öre): filen säger 600001, posterna ger 600000",
        )
    ]


@pytest.mark.parametrize(
    ("line", "start", "text", "faults"),
    [
        (1, 11, "X", [(1, "reservfält (pos 11-24)", "ska vara blankt, innehåller 'X'")]),
        (1, 65, "47111X", [(1, "kundnummer", "ska vara 6 siffror, är '47111X'")]),
        (20, 3, "2009113X", [(20, "skrivdag", "är inget datum (ÅÅÅÅMMDD): '2009113X'")]),
        (20, 11, "9901", [(20, "clearingnummer", "ska vara '9900', är '9901'")]),
        (
            20,
            15,
            "00000X",
            [(20, "antal insättningsavsnitt (TK15)", "ska vara 6 siffror, är '00000X'")],
        ),
        (20, 69, "X", [(20, "reservfält (pos 69-80)", "ska vara blankt, innehåller 'X'")]),
        (
            11,
            1,
            "18",
            [
                (11, "transaktionskod", "okänd post i betalningsspecifikationen: '18'"),
                (12, "transaktionskod", "TK32 utanför sitt avsnitt"),
            ],
        ),
    ],
)
def test_a_fault_in_the_specifications_opening_or_closing_is_named(
    line: int, start: int, text: str, faults: list[tuple[object, ...]]
) -> None:
    lines = _put(_lines(SPEC), line, start, text)
    found = _faults(_file(lines), "spec.txt")
    assert found[: len(faults)] == [("spec.txt", *f) for f in faults]


@pytest.mark.parametrize(
    ("start", "text", "fault"),
    [
        (25, "2008061X", ("skrivdag", "är inget datum (ÅÅÅÅMMDD): '2008061X'")),
        (33, "X", ("reservfält (pos 33-44)", "ska vara blankt, innehåller 'X'")),
        (71, "000991234X", (BANKGIRO, "ska vara 10 siffror, är '000991234X'")),
    ],
)
def test_a_fault_in_the_mandate_advice_opening_is_the_only_fault_named(
    start: int, text: str, fault: tuple[str, str]
) -> None:
    lines = _put(_lines(ADVICE), 1, start, text)
    assert _faults(_file(lines), "medav.txt") == [("medav.txt", 1, *fault)]


# --- what Kassan writes, byte by byte --------------------------------------------------------


def test_the_payment_orders_kassan_writes_are_the_manuals_records_byte_for_byte() -> None:
    orders = [
        DebitOrder("1001", date(2027, 1, 28), Money(15000), "GÅVA 2027-01"),
        DebitOrder("1002", date(2027, 2, 1), Money(1), ""),
    ]
    data = payment_order_file(date(2027, 1, 10), "471117", "9912346", orders)
    assert data.decode("iso-8859-1").split("\r\n") == [
        "0120270110AUTOGIRO" + " " * 44 + "4711170009912346  ",
        "82202701280    00000000000010010000000150000009912346GÅVA 2027-01" + " " * 15,
        "82202702010    00000000000010020000000000010009912346" + " " * 27,
        "",
    ]


def test_the_mandate_file_kassan_writes_is_the_manuals_records_byte_for_byte() -> None:
    new = [NewMandate("1001", "83279", "9876543210", "198001011234")]
    data = mandate_file(date(2026, 12, 3), "471117", "9912346", new, cancelled=["977"])
    assert data.decode("iso-8859-1").split("\r\n") == [
        "0120261203AUTOGIRO" + " " * 44 + "4711170009912346  ",
        "04" + "0009912346" + "0000000000001001" + "8327009876543210" + "198001011234" + " " * 24,
        "030009912346" + "0000000000000977" + " " * 52,
        "",
    ]


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (
            lambda: account_field("33001", "123"),
            "clearing",
            "clearingnummer ska vara 4 siffror: '33001'",
        ),
        (
            lambda: account_field("3300", "12X"),
            "kontonummer",
            "kontonummer ska vara högst 12 siffror: '12X'",
        ),
        (
            lambda: mandate_file(date(2026, 12, 3), "47111X", "9912346"),
            "kundnummer",
            "kundnummer ska vara högst 6 siffror: '47111X'",
        ),
        (
            lambda: mandate_file(date(2026, 12, 3), "471117", "99123460000"),
            "bankgironummer",
            "bankgironummer ska vara högst 10 siffror: '99123460000'",
        ),
        (
            lambda: mandate_file(
                date(2026, 12, 3), "471117", "9912346", [NewMandate("1", "3300", "1", "1980X")]
            ),
            "person-/organisationsnummer",
            "person-/organisationsnummer ska vara högst 12 siffror: '1980X'",
        ),
        (
            lambda: mandate_file(date(2026, 12, 3), "471117", "9912346", cancelled=["9X"]),
            "betalarnummer",
            "betalarnummer ska vara högst 16 siffror: '9X'",
        ),
        (
            lambda: payment_order_file(date(2027, 1, 10), "471117", "99123460000", []),
            "bankgironummer",
            "bankgironummer ska vara högst 10 siffror: '99123460000'",
        ),
        (
            lambda: payment_order_file(
                date(2027, 1, 10),
                "471117",
                "9912346",
                [DebitOrder("1", date(2027, 1, 28), Money(10**12), "")],
            ),
            "belopp",
            "belopp ska vara högst 12 siffror: '1000000000000'",
        ),
        (
            lambda: payment_order_file(
                date(2027, 1, 10),
                "471117",
                "9912346",
                [DebitOrder("1", date(2027, 1, 28), Money(0), "")],
            ),
            "belopp",
            "beloppet ska vara över noll kronor: 0,00\xa0kr",
        ),
        (
            lambda: payment_order_file(
                date(2027, 1, 10),
                "471117",
                "9912346",
                [DebitOrder("1", date(2027, 1, 28), Money(100), "GÅVA ☃")],
            ),
            "referens",
            "referens har tecken utanför ISO-8859-1: 'GÅVA ☃'",
        ),
    ],
)
def test_what_kassan_cannot_write_is_refused_naming_the_field_and_why(
    call: Callable[[], bytes], field: str, message: str
) -> None:
    with pytest.raises(AutogiroRecordInvalid) as caught:
        call()
    assert (caught.value.field, caught.value.message) == (field, message)


# --- every digit of the other reports' totals ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "starts", "faults"),
    [
        (
            REJECTED,
            (15, 21, 33, 39),
            [
                "antal utbetalningar (TK32): filen säger 100005, posterna ger 5",
                "belopp utbetalningar (TK32) (öre): filen säger 100000128200, posterna ger 128200",
                "antal debiteringar (TK82): filen säger 100003, posterna ger 3",
                "belopp debiteringar (TK82) (öre): filen säger 100000087551, posterna ger 87551",
            ],
        ),
        (
            AMENDMENTS,
            (29, 41, 47, 57),
            [
                "antal utbetalningar (TK32): filen säger 100002, posterna ger 2",
                "belopp utbetalningar (TK32) (öre): filen säger 100000577500, posterna ger 577500",
                "antal debiteringar (TK82): filen säger 100004, posterna ger 4",
                "belopp debiteringar (TK82) (öre): filen säger 100000111000, posterna ger 111000",
            ],
        ),
    ],
)
def test_every_digit_of_a_reports_totals_is_checked(
    name: str, starts: tuple[int, ...], faults: list[str]
) -> None:
    lines = _lines(name)
    for start in starts:
        lines = _put(lines, len(lines), start, "1")
    found = _faults(_file(lines), "r.txt", lenient=True)
    assert found == [("r.txt", len(lines), "summering", f) for f in faults]


def test_a_rejected_order_of_a_billion_kronor_is_read_to_the_first_digit_of_its_field() -> None:
    lines = _put(_lines(REJECTED), 2, 31, "100000007500")
    lines = _put(lines, 10, 39, "100000087551")
    read = parse_autogiro(_file(lines), "r.txt", lenient=True)
    assert read.of(RejectedOrder)[0].amount == Money(100000007500)
    assert all(c.ok for c in read.controls)


def test_an_amendment_result_and_an_amendment_request_are_read_whole() -> None:
    result = parse_autogiro(_real(AMENDMENTS), "m.txt", lenient=True).of(AmendmentResult)[5]
    assert result == AmendmentResult(
        7,
        "03",
        date(2008, 6, 11),
        "0000000000000101",
        Direction.DEBIT,
        Money(15000),
        None,
        "0000000000000000",
        "12",
        AmendmentOutcome.CANCELLED,
    )
    name = "autogiro_exempelfilermakulerings-andringsunderlag_sv.txt"
    request = parse_autogiro(_real(name), "a.txt").of(AmendmentRequest)[5]
    assert request == AmendmentRequest(
        7,
        "25",
        "0009912346",
        "0000000000000105",
        date(2008, 6, 16),
        Money(27500),
        Direction.DEBIT,
        None,
        "UTBETALN1",
    )


def test_the_e_mandates_and_rejected_orders_name_their_payee_and_day() -> None:
    e = parse_autogiro(_real(E_MANDATES), "e.txt")
    assert e.opening == Opening(1, datetime(2008, 6, 11), "AG-EMEDGIV", "0009912346")
    rejected = parse_autogiro(_real(REJECTED), "r.txt", lenient=True)
    assert rejected.opening == Opening(
        1, datetime(2008, 6, 11), "AVVISADE BET UPPDR", "0009912346", "471117"
    )


def test_an_e_mandate_for_another_bankgiro_number_is_refused() -> None:
    lines = _put(_lines(E_MANDATES), 2, 3, "0009912347")
    assert _faults(_file(lines), "e.txt") == [
        ("e.txt", 2, BANKGIRO, "0009912347 är inte öppningspostens 0009912346")
    ]


@pytest.mark.parametrize(
    ("start", "text", "field", "message"),
    [
        (3, "000991234X", BANKGIRO, "ska vara 10 siffror, är '000991234X'"),
        (13, "000000000000010X", "betalarnummer", "ska vara 16 siffror, är '000000000000010X'"),
        (62, "0X", "informationskod", "ska vara 2 siffror, är '0X'"),
    ],
)
def test_a_mandate_advice_with_a_bad_field_is_named_and_not_counted(
    start: int, text: str, field: str, message: str
) -> None:
    lines = _put(_lines(ADVICE), 2, start, text)
    assert _faults(_file(lines), "medav.txt") == [
        ("medav.txt", 2, field, message),
        (
            "medav.txt",
            12,
            "summering",
            "antal medgivandeposter (TK73): filen säger 10, posterna ger 9",
        ),
    ]


def test_an_amendment_request_of_a_billion_kronor_is_read_to_the_first_digit() -> None:
    name = "autogiro_exempelfilermakulerings-andringsunderlag_sv.txt"
    lines = _put(_lines(name), 7, 37, "100000027500")
    request = parse_autogiro(_file(lines), "a.txt").of(AmendmentRequest)[5]
    assert request.amount == Money(100000027500)
