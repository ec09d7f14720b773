"""The import's check that every krona of a file reached the books, without a database
(``webhooks.bankfiles.tally``): the file's totals per deposit or account beside what was booked
now, what was booked before with the same content, and what is in conflict."""

from __future__ import annotations

from datetime import date

from ledger.money import Money
from webhooks.bankfiles.decide import Match, MatchKind
from webhooks.bankfiles.records import BANKGIRO, Balance, BankLine
from webhooks.bankfiles.tally import Tally, group_of

DAY = date(2026, 3, 16)
IBAN = "SE4550000000058398257466"


def _line(ore: int, no: int = 1, account: str = IBAN, **raw: str) -> BankLine:
    return BankLine(
        line_no=no,
        source_line=no,
        key=f"bank:{no}",
        booking_date=DAY,
        amount=Money(ore),
        channel=BANKGIRO,
        account=account,
        raw=tuple(raw.items()),
    )


def _tally(lines: list[BankLine], kinds: list[MatchKind]) -> Tally:
    tally = Tally()
    tally.add(lines, [Match(k) for k in kinds])
    return tally


def test_a_file_booked_whole_or_already_booked_has_no_difference():
    tally = _tally(
        [_line(500_00), _line(-40_00, 2), _line(100_00, 3)],
        [MatchKind.UNMATCHED, MatchKind.UNMATCHED, MatchKind.CONFIRMED],
    )
    (group,) = tally.totals()
    assert (group.file_ore, group.booked_ore, group.already_ore) == (560_00, 460_00, 100_00)
    assert group.difference_ore == 0
    assert tally.problems() == []


def test_a_line_in_conflict_is_the_difference_and_the_check_names_it():
    tally = _tally([_line(500_00), _line(100_00, 2)], [MatchKind.OCR, MatchKind.CONFLICT])
    (group,) = tally.totals()
    assert (group.difference_ore, group.conflict_count, group.conflict_ore) == (100_00, 1, 100_00)
    assert tally.problems() == [
        f"{IBAN}: filen 600,00\xa0kr, bokfört nu 500,00\xa0kr och redan bokfört 0,00\xa0kr; "
        "skillnad 100,00\xa0kr (1 i konflikt, inte bokförda)"
    ]


def test_bgmax_deposits_are_checked_one_by_one():
    lines = [
        _line(100_00, 1, "9912346", deposit_serial="00054"),
        _line(200_00, 2, "9912346", deposit_serial="00055"),
    ]
    tally = _tally(lines, [MatchKind.UNMATCHED, MatchKind.CONFLICT])
    assert [g.group for g in tally.totals()] == [
        "9912346 insättning 00054",
        "9912346 insättning 00055",
    ]
    assert [g.difference_ore for g in tally.totals()] == [0, 200_00]
    assert group_of(lines[0]) == "9912346 insättning 00054"


def test_opening_plus_what_was_booked_must_reach_the_closing_balance():
    balance = Balance(IBAN, Money(1_000_00), Money(1_600_00))
    booked = _tally([_line(500_00), _line(100_00, 2)], [MatchKind.OCR, MatchKind.CONFIRMED])
    assert booked.problems([balance]) == []
    short = _tally([_line(500_00), _line(100_00, 2)], [MatchKind.OCR, MatchKind.CONFLICT])
    assert short.problems([balance])[1] == (
        f"{IBAN}: ingående saldo 1\xa0000,00\xa0kr + bokfört 500,00\xa0kr ger "
        "1\xa0500,00\xa0kr, men utgående saldo är 1\xa0600,00\xa0kr"
    )


def test_other_currencies_are_totalled_apart():
    lines = [_line(500_00), BankLine(2, 2, "bank:2", DAY, Money(500_00, "EUR"), BANKGIRO, IBAN)]
    tally = _tally(lines, [MatchKind.UNMATCHED, MatchKind.UNMATCHED])
    assert sorted((g.currency, g.file_ore) for g in tally.totals()) == [
        ("EUR", 500_00),
        ("SEK", 500_00),
    ]
