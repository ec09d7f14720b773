"""What is stored of a bank line (``webhooks.bankfiles.ledgering._row``): every field in its
column, money as an unsigned amount with its direction and currency, long texts cut to their
columns' lengths."""

from __future__ import annotations

from datetime import date

from ledger.money import Money
from webhooks.bankfiles.decide import Match, MatchKind
from webhooks.bankfiles.ledgering import _row
from webhooks.bankfiles.records import SWISH, BankLine

DAY = date(2026, 12, 1)


def _line(ore: int, **fields: object) -> BankLine:
    values: dict[str, object] = {
        "line_no": 3,
        "source_line": 9,
        "key": "swish:1234567890123456",
        "booking_date": DAY,
        "value_date": date(2026, 12, 2),
        "amount": Money(ore, "EUR"),
        "channel": SWISH,
        "reference": "1234567897",
        "message": "Gåva",
        "payer_name": "Anna",
        "payer_account": "+46701234567",
        "account": "1231181189",
    }
    values.update(fields)
    return BankLine(**values)  # type: ignore[arg-type]


def test_a_stored_line_keeps_every_field_and_its_currency():
    row = _row(7, _line(-120_00), Match(MatchKind.UNMATCHED, note="n"), 41, 0, 40)
    assert row == {
        "import_id": 7,
        "line_no": 3,
        "key": "swish:1234567890123456",
        "booking_date": DAY,
        "value_date": date(2026, 12, 2),
        "direction": "out",
        "amount_ore": 120_00,
        "currency": "EUR",
        "reference": "1234567897",
        "message": "Gåva",
        "payer_name": "Anna",
        "payer_account": "+46701234567",
        "account": "1231181189",
        "channel": "swish",
        "match_kind": "unmatched",
        "expected_payment_id": None,
        "entry_id": 41,
        "conflict_entry_id": 40,
        "open_ore": 0,
        "note": "n",
    }


def test_long_texts_are_cut_to_their_columns():
    line = _line(
        500_00,
        key="k" * 250,
        reference="1" * 40,
        message="m" * 600,
        payer_name="p" * 200,
        payer_account="a" * 60,
        account="b" * 60,
        channel="c" * 30,
    )
    row = _row(7, line, Match(MatchKind.UNMATCHED), None, 500_00)
    lengths = {k: len(row[k]) for k in ("key", "reference", "message", "payer_name")}
    assert lengths == {"key": 200, "reference": 35, "message": 500, "payer_name": 140}
    assert (len(row["payer_account"]), len(row["account"]), len(row["channel"])) == (50, 50, 20)
    assert (row["direction"], row["amount_ore"]) == ("in", 500_00)
