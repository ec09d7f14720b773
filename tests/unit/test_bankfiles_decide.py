"""The matcher's decision steps, without a database: a batch of bank lines and what the
look-ups found go in, one match per line comes out (``webhooks.bankfiles.decide``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ledger.money import Money
from ledger.references import make_reference
from ledger.services.expected import ExpectedPayment
from webhooks.bankfiles.decide import (
    Booked,
    Deposit,
    Found,
    MatchKind,
    Payout,
    candidate_references,
    decide,
    differences,
)
from webhooks.bankfiles.records import AUTOGIRO, BANKGIRO, SWISH, BankLine

DAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
REF = make_reference(1_234_567)  # 9 digits: the text is searched for 8 or more
OTHER_REF = make_reference(1_234_568)


def _line(ore: int = 500_00, key: str = "bank:1", **fields: object) -> BankLine:
    values: dict[str, object] = {
        "line_no": 1,
        "source_line": 1,
        "key": key,
        "booking_date": DAY,
        "amount": Money(ore, "SEK"),
        "channel": BANKGIRO,
    }
    values.update(fields)
    return BankLine(**values)  # type: ignore[arg-type]


def _expected(
    id_: int = 7, reference: str = REF, amount_ore: int | None = 500_00, payer: str | None = None
) -> ExpectedPayment:
    return ExpectedPayment(
        id=id_,
        reference=reference,
        kind="gift",
        gift_id=None,
        network_id=None,
        contributor_id=None,
        amount_ore=amount_ore,
        currency="SEK",
        due_date=None,
        repeating=False,
        status="open",
        paid_ore=0,
        payer_name=payer,
        payer_id=None,
        created_at=NOW,
        updated_at=NOW,
    )


def _kinds(matches: list) -> list[str]:
    return [m.kind for m in matches]


def test_a_line_whose_key_is_booked_already_is_confirmed_with_that_entry():
    booked = Booked(41, Money(500_00, "SEK"), DAY)
    (match,) = decide(
        [_line(key="swish:1234567890123456")], Found(booked={"swish:1234567890123456": booked})
    )
    assert match.kind == MatchKind.CONFIRMED
    assert match.entry_id == 41


def test_a_payment_with_a_booked_serial_but_another_amount_is_a_conflict_not_a_confirmation():
    key = "bgc:9912346:2026-03-16:0001"
    booked = Booked(41, Money(100_00, "SEK"), DAY, "9912346")
    (match,) = decide([_line(1_000_00, key=key, account="9912346")], Found(booked={key: booked}))
    assert (match.kind, match.entry_id) == (MatchKind.CONFLICT, 41)
    assert match.note == "krock: belopp 1\xa0000,00\xa0kr, bokfört 100,00\xa0kr"


def test_a_sek_line_under_a_key_booked_in_usd_is_a_conflict():
    booked = Booked(41, Money(500_00, "USD"), DAY)
    (match,) = decide([_line()], Found(booked={"bank:1": booked}))
    assert (match.kind, match.entry_id) == (MatchKind.CONFLICT, 41)


def test_a_line_booked_under_its_key_on_another_day_is_a_conflict():
    booked = Booked(41, Money(500_00, "SEK"), date(2026, 3, 15))
    (match,) = decide([_line()], Found(booked={"bank:1": booked}))
    assert match.kind == MatchKind.CONFLICT
    assert "datum 2026-03-16, bokfört 2026-03-15" in (match.note or "")


def test_a_line_booked_under_its_key_for_another_bank_account_is_a_conflict():
    booked = Booked(41, Money(500_00, "SEK"), DAY, "SE45 5000 0000 0583 9825 7466")
    (match,) = decide(
        [_line(account="CH93 0076 2011 6238 5295 7")], Found(booked={"bank:1": booked})
    )
    assert match.kind == MatchKind.CONFLICT


def test_the_same_account_written_with_or_without_spaces_is_the_same_account():
    booked = Booked(41, Money(500_00, "SEK"), DAY, "SE45 5000 0000 0583 9825 7466")
    line = _line(account="se4550000000058398257466")
    assert differences(line, booked) == ()


def test_money_out_under_a_key_booked_as_money_in_is_a_conflict():
    booked = Booked(41, Money(500_00, "SEK"), DAY)
    (match,) = decide([_line(-500_00)], Found(booked={"bank:1": booked}))
    assert match.kind == MatchKind.CONFLICT


def test_the_same_key_twice_in_a_batch_confirms_the_second_by_the_first():
    first, second = decide([_line(), _line(line_no=2)], Found())
    assert first.kind == MatchKind.UNMATCHED
    assert second.kind == MatchKind.CONFIRMED
    assert second.same_as == "bank:1"


def test_two_lines_of_one_file_with_one_key_and_other_amounts_are_a_conflict():
    first, second = decide([_line(), _line(100_00, line_no=2)], Found())
    assert first.kind == MatchKind.UNMATCHED
    assert (second.kind, second.same_as) == (MatchKind.CONFLICT, "bank:1")
    assert second.note == "krock: belopp 100,00\xa0kr, bokfört 500,00\xa0kr"


def test_money_out_is_never_matched_even_with_a_known_reference():
    (match,) = decide([_line(-500_00, reference=REF)], Found(by_ref={REF: _expected()}))
    assert match.kind == MatchKind.UNMATCHED
    assert match.expected is None


def test_a_valid_structured_reference_of_an_expected_payment_matches_by_ocr():
    payment = _expected()
    (match,) = decide([_line(reference=REF)], Found(by_ref={REF: payment}))
    assert match.kind == MatchKind.OCR
    assert match.expected == payment


def test_a_reference_in_the_message_matches_by_text():
    payment = _expected()
    (match,) = decide([_line(message=f"gåva {REF} tack")], Found(by_ref={REF: payment}))
    assert match.kind == MatchKind.TEXT
    assert match.expected == payment


def test_the_structured_reference_wins_over_one_in_the_text():
    ocr, text = _expected(1, REF), _expected(2, OTHER_REF)
    line = _line(reference=REF, message=OTHER_REF)
    (match,) = decide([line], Found(by_ref={REF: ocr, OTHER_REF: text}))
    assert (match.kind, match.expected) == (MatchKind.OCR, ocr)


def test_an_invalid_reference_is_not_looked_for():
    broken = REF[:-1] + str((int(REF[-1]) + 1) % 10)
    assert candidate_references(_line(reference=broken, message=broken)) == (None, [])


def test_a_swish_reports_order_id_comes_before_the_structured_reference():
    line = _line(channel=SWISH, reference=REF, raw=(("order_id", OTHER_REF),))
    assert candidate_references(line) == (OTHER_REF, [REF])


def test_a_swish_payment_the_callback_booked_is_confirmed_once_per_entry():
    found = Found(swish={REF: [(90, 500_00)]}, by_ref={REF: _expected()})
    first, second = decide(
        [_line(reference=REF), _line(reference=REF, key="bank:2", line_no=2)], found
    )
    assert (first.kind, first.entry_id) == (MatchKind.CONFIRMED, 90)
    assert second.kind == MatchKind.OCR  # the callback's entry is taken: the rest is a payment


def test_a_swish_report_line_whose_order_id_the_callback_booked_for_another_amount_is_a_conflict():
    line = _line(channel=SWISH, raw=(("order_id", REF),))
    (match,) = decide([line], Found(swish={REF: [(90, 499_00)]}, by_ref={REF: _expected()}))
    assert (match.kind, match.entry_id) == (MatchKind.CONFLICT, 90)


def test_a_swish_booking_of_another_amount_does_not_confirm_the_line():
    (match,) = decide([_line(reference=REF)], Found(swish={REF: [(90, 499_00)]}))
    assert match.kind == MatchKind.UNMATCHED


def test_a_stripe_payout_named_in_the_text_is_confirmed():
    payouts = (
        Payout(60, "stripe:payout:po_other", DAY, 500_00),
        Payout(61, "stripe:payout:po_123", date(2026, 3, 1), 500_00),  # named: any day
    )
    (match,) = decide([_line(message="STRIPE po_123")], Found(payouts=payouts))
    assert (match.kind, match.entry_id) == (MatchKind.CONFIRMED, 61)


def test_a_payout_named_in_the_text_with_another_amount_is_a_conflict():
    payouts = (Payout(61, "stripe:payout:po_123", DAY, 400_00),)
    (match,) = decide([_line(message="STRIPE po_123")], Found(payouts=payouts))
    assert (match.kind, match.entry_id) == (MatchKind.CONFLICT, 61)


def test_a_payout_of_another_amount_is_not_confirmed_by_date():
    payouts = (Payout(60, "stripe:payout:po_1", DAY, 499_00),)
    (match,) = decide([_line()], Found(payouts=payouts))
    assert match.kind == MatchKind.UNMATCHED


def test_the_one_payout_of_the_same_amount_within_two_days_is_confirmed():
    payouts = (Payout(60, "stripe:payout:po_1", date(2026, 3, 14), 500_00),)
    (match,) = decide([_line()], Found(payouts=payouts))
    assert (match.kind, match.entry_id) == (MatchKind.CONFIRMED, 60)


def test_a_payout_three_days_away_is_not_taken_by_amount():
    payouts = (Payout(60, "stripe:payout:po_1", date(2026, 3, 13), 500_00),)
    (match,) = decide([_line()], Found(payouts=payouts))
    assert match.kind == MatchKind.UNMATCHED


def test_two_payouts_of_the_same_amount_confirm_neither():
    payouts = (
        Payout(60, "stripe:payout:po_1", DAY, 500_00),
        Payout(61, "stripe:payout:po_2", DAY, 500_00),
    )
    (match,) = decide([_line()], Found(payouts=payouts))
    assert match.kind == MatchKind.UNMATCHED


def test_one_open_payment_with_the_amount_and_payer_name_matches_by_amount_and_name():
    payment = _expected(payer="Metall  Klubb 12")
    found = Found(by_amount={500_00: [payment, _expected(8, OTHER_REF, payer="Någon annan")]})
    (match,) = decide([_line(payer_name="metall klubb 12")], found)
    assert (match.kind, match.expected) == (MatchKind.AMOUNT_NAME, payment)


def test_a_payment_of_the_right_amount_from_someone_else_stays_unmatched():
    found = Found(by_amount={500_00: [_expected(payer="Metall klubb 12")]})
    (match,) = decide([_line(payer_name="Kommunal avd 3")], found)
    assert match.kind == MatchKind.UNMATCHED


def test_a_payment_from_the_right_payer_of_another_amount_stays_unmatched():
    found = Found(by_amount={400_00: [_expected(amount_ore=400_00, payer="Anna")]})
    (match,) = decide([_line(payer_name="Anna")], found)
    assert match.kind == MatchKind.UNMATCHED


def test_two_open_payments_with_the_same_amount_and_name_leave_the_line_unmatched():
    found = Found(
        by_amount={500_00: [_expected(7, payer="Anna"), _expected(8, OTHER_REF, payer="Anna")]}
    )
    (match,) = decide([_line(payer_name="Anna")], found)
    assert match.kind == MatchKind.UNMATCHED


def test_a_payment_matched_by_amount_and_name_is_taken_once_per_batch():
    found = Found(by_amount={500_00: [_expected(payer="Anna")]})
    lines = [_line(payer_name="Anna"), _line(payer_name="Anna", key="bank:2", line_no=2)]
    assert _kinds(decide(lines, found)) == [MatchKind.AMOUNT_NAME, MatchKind.UNMATCHED]


def test_a_line_without_a_payer_name_is_not_matched_by_amount():
    found = Found(by_amount={500_00: [_expected(payer="")]})
    (match,) = decide([_line(payer_name=None)], found)
    assert match.kind == MatchKind.UNMATCHED


def test_a_line_nothing_was_found_for_is_unmatched():
    (match,) = decide([_line(reference=REF, payer_name="Anna")], Found())
    assert match.kind == MatchKind.UNMATCHED


def test_match_kinds_are_the_strings_stored_in_bank_lines():
    assert [str(k) for k in MatchKind] == [
        "confirmed",
        "ocr",
        "text",
        "amount_name",
        "unmatched",
        "conflict",
    ]


IBAN_A = "SE45 5000 0000 0583 9825 7466"
IBAN_B = "CH93 0076 2011 6238 5295 7"


def test_every_line_after_a_confirmed_a_repeated_and_an_outgoing_line_is_still_decided():
    booked = {"bank:1": Booked(41, Money(500_00, "SEK"), DAY)}
    lines = [
        _line(key="bank:1"),  # confirmed by its booking
        _line(key="bank:2", line_no=2),
        _line(key="bank:2", line_no=3),  # the same key again in the file
        _line(-100_00, key="bank:3", line_no=4),  # money out
        _line(key="bank:4", line_no=5, reference=REF),
    ]
    matches = decide(lines, Found(booked=booked, by_ref={REF: _expected()}))
    assert _kinds(matches) == [
        MatchKind.CONFIRMED,
        MatchKind.UNMATCHED,
        MatchKind.CONFIRMED,
        MatchKind.UNMATCHED,
        MatchKind.OCR,
    ]


def test_each_confirmation_tells_finance_staff_why_nothing_was_booked():
    found = Found(
        booked={"bank:1": Booked(41, Money(500_00, "SEK"), DAY)},
        swish={REF: [(90, 500_00)]},
        payouts=(
            Payout(60, "stripe:payout:po_123", DAY, 500_00),
            Payout(61, "stripe:payout:po_456", DAY, 700_00),
        ),
    )
    lines = [
        _line(key="bank:1"),
        _line(300_00, key="bank:2", line_no=2),
        _line(300_00, key="bank:2", line_no=3),
        _line(key="bank:3", line_no=4, reference=REF),
        _line(key="bank:4", line_no=5, message="STRIPE po_123"),
        _line(700_00, key="bank:5", line_no=6),
    ]
    notes = [(m.kind, m.note) for m in decide(lines, found)]
    assert notes == [
        (MatchKind.CONFIRMED, "redan bokförd"),
        (MatchKind.UNMATCHED, None),
        (MatchKind.CONFIRMED, "två gånger i filen"),
        (MatchKind.CONFIRMED, "bokförd av Swish"),
        (MatchKind.CONFIRMED, "Stripe-utbetalning"),
        (MatchKind.CONFIRMED, "Stripe-utbetalning"),
    ]


def test_a_payout_conflict_names_both_amounts():
    payouts = (Payout(61, "stripe:payout:po_123", DAY, 400_00),)
    (match,) = decide([_line(message="STRIPE po_123")], Found(payouts=payouts))
    assert match.note == "krock: belopp 500,00\xa0kr, utbetalningen 400,00\xa0kr"


def test_a_payout_named_by_two_bank_lines_confirms_only_the_first():
    payouts = (Payout(61, "stripe:payout:po_123", DAY, 500_00),)
    lines = [
        _line(message="STRIPE po_123"),
        _line(key="bank:2", line_no=2, message="STRIPE po_123"),
    ]
    assert _kinds(decide(lines, Found(payouts=payouts))) == [
        MatchKind.CONFIRMED,
        MatchKind.UNMATCHED,
    ]


def test_a_payout_found_by_amount_confirms_one_bank_line_only():
    payouts = (Payout(60, "stripe:payout:po_1", DAY, 500_00),)
    lines = [_line(), _line(key="bank:2", line_no=2)]
    matches = decide(lines, Found(payouts=payouts))
    assert [(m.kind, m.entry_id) for m in matches] == [
        (MatchKind.CONFIRMED, 60),
        (MatchKind.UNMATCHED, None),
    ]


def test_a_payout_id_in_the_reference_field_is_read_apart_from_the_message():
    payouts = (Payout(61, "stripe:payout:po_123", date(2026, 3, 1), 500_00),)  # named: any day
    (match,) = decide([_line(message="STRIPE", reference="po_123")], Found(payouts=payouts))
    assert (match.kind, match.entry_id) == (MatchKind.CONFIRMED, 61)


def test_two_lines_of_one_file_with_one_key_on_two_bank_accounts_are_a_conflict():
    first, second = decide([_line(account=IBAN_A), _line(line_no=2, account=IBAN_B)], Found())
    assert first.kind == MatchKind.UNMATCHED
    assert (second.kind, second.same_as) == (MatchKind.CONFLICT, "bank:1")


def test_a_line_without_an_account_is_held_against_its_booking_by_amount_and_day_only():
    booked = Booked(41, Money(500_00, "SEK"), DAY, IBAN_A)
    assert differences(_line(account=None), booked) == ()
    assert differences(_line(account=IBAN_A), Booked(41, Money(500_00, "SEK"), DAY)) == ()


def test_a_bankgiro_number_is_not_held_against_an_iban_for_the_same_payment():
    booked = Booked(41, Money(500_00, "SEK"), DAY, IBAN_A)
    assert differences(_line(account="9912346"), booked) == ()
    assert differences(_line(account="991-2346"), booked) == ()


def test_only_an_account_with_a_country_code_check_digits_and_more_is_compared_as_an_iban():
    booked = Booked(41, Money(500_00, "SEK"), DAY, IBAN_A)
    assert differences(_line(account="SE45"), booked) == ()  # too short to be an IBAN
    assert differences(_line(account="ABC12345"), booked) == ()  # no check digits
    assert differences(_line(account=IBAN_B), booked) != ()


def test_only_a_swish_reports_order_id_is_read_as_our_reference():
    line = _line(channel=BANKGIRO, raw=(("order_id", REF),))
    assert candidate_references(line) == (None, [])
    found = Found(swish={REF: [(90, 499_00)]}, by_ref={REF: _expected()})
    (match,) = decide([line], found)
    assert match.kind == MatchKind.UNMATCHED


def test_a_swish_order_id_equal_to_the_structured_reference_is_read_once():
    line = _line(channel=SWISH, reference=REF, raw=(("order_id", REF),))
    assert candidate_references(line) == (REF, [])


def _deposit(id_: int = 3, ore: int = 500_00, first: date = DAY) -> Deposit:
    return Deposit(id_, 40 + id_, first, date(2026, 3, 18), ore, 2)


def test_an_autogiro_line_of_a_deposits_amount_in_its_days_confirms_it_once():
    lines = [_line(channel=AUTOGIRO), _line(key="bank:2", line_no=2, channel=AUTOGIRO)]
    first, second = decide(lines, Found(deposits=[_deposit()]))
    assert (first.kind, first.deposit_id, first.entry_id) == (MatchKind.CONFIRMED, 3, 43)
    assert second.kind == MatchKind.UNMATCHED  # one bank line per deposit


def test_another_amount_another_day_or_no_autogiro_word_confirms_no_deposit():
    found = Found(deposits=[_deposit(first=date(2026, 3, 17))])
    assert decide([_line(channel=AUTOGIRO)], found)[0].kind == MatchKind.UNMATCHED  # too early
    found = Found(deposits=[_deposit()])
    assert decide([_line(499_00, channel=AUTOGIRO)], found)[0].kind == MatchKind.UNMATCHED
    assert decide([_line()], found)[0].kind == MatchKind.UNMATCHED  # a plain bankgiro credit


def test_an_autogiro_debit_confirms_a_refund_section_never_a_deposit_of_the_same_size():
    found = Found(deposits=[_deposit(), _deposit(4, -500_00)])
    (out,) = decide([_line(-500_00, channel=AUTOGIRO)], found)
    assert (out.kind, out.deposit_id, out.entry_id) == (MatchKind.CONFIRMED, 4, 44)
    assert out.note == "Autogiro-återbetalning 2026-03-16 (2 st)"
    refund_only = Found(deposits=[_deposit(4, -500_00)])
    assert decide([_line(channel=AUTOGIRO)], refund_only)[0].kind == MatchKind.UNMATCHED
    assert decide([_line(-500_00)], refund_only)[0].kind == MatchKind.UNMATCHED  # no Autogiro


def test_a_conflict_names_every_difference():
    booked = Booked(41, Money(400_00, "SEK"), date(2026, 3, 15))
    (match,) = decide([_line()], Found(booked={"bank:1": booked}))
    assert match.note == (
        "krock: belopp 500,00\xa0kr, bokfört 400,00\xa0kr; datum 2026-03-16, bokfört 2026-03-15"
    )


def test_a_swish_order_id_the_callback_did_not_book_is_no_conflict():
    line = _line(channel=SWISH, raw=(("order_id", REF),))
    (match,) = decide([line], Found(swish={OTHER_REF: [(90, 499_00)]}, by_ref={REF: _expected()}))
    assert match.kind == MatchKind.OCR


def test_a_swish_booking_in_conflict_is_held_against_one_line_only():
    lines = [
        _line(channel=SWISH, raw=(("order_id", REF),)),
        _line(key="bank:2", line_no=2, channel=SWISH, raw=(("order_id", REF),)),
    ]
    found = Found(swish={REF: [(90, 499_00)]})
    assert [(m.kind, m.entry_id) for m in decide(lines, found)] == [
        (MatchKind.CONFLICT, 90),
        (MatchKind.UNMATCHED, None),
    ]


def test_a_swish_conflict_names_the_amounts_in_the_lines_currency():
    line = _line(channel=SWISH, raw=(("order_id", REF),), amount=Money(500_00, "EUR"))
    (match,) = decide([line], Found(swish={REF: [(90, 499_00)]}))
    assert match.note == "krock: belopp 500,00\xa0€, bokfört av Swish 499,00\xa0€"


def test_the_references_given_must_be_one_per_line():
    with pytest.raises(ValueError, match="zip"):
        decide([_line(), _line(key="bank:2", line_no=2)], Found(), [(None, [])])
