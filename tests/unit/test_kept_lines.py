"""The lines a check read, kept on disk and replayed to the booking pass unchanged."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.money import Money
from tests.support.camt_files import camt_bytes, swedish_entries
from webhooks.bankfiles import CamtReader
from webhooks.bankfiles.kept_lines import KeptLines
from webhooks.bankfiles.records import BankFile, BankLine, ExtraReference


def _full_line(line_no: int) -> BankLine:
    return BankLine(
        line_no=line_no,
        source_line=10 + line_no,
        key=f"bank:{line_no}",
        booking_date=date(2026, 12, 1),
        amount=Money(-12_50 * line_no, "SEK"),
        channel="bankgiro",
        account="9912346",
        value_date=date(2026, 12, 2),
        reference="100000090",
        message="Gåva till Fred",
        payer_name="Åsa Öberg",
        payer_account="5000-1234",
        extra_references=(ExtraReference("100000199", Money(5_00)), ExtraReference("42")),
        raw=(("entry_ref", "N1"), ("reversal", "true")),
    )


def _summary() -> BankFile:
    zero = Money.zero()
    return BankFile(
        format="camt.054.001.02",
        created_at=None,
        accounts=("9912346",),
        currency="SEK",
        period_start=None,
        period_end=None,
        balances=(),
        controls=(),
        line_count=3,
        credit_total=zero,
        debit_total=zero,
        skipped=0,
    )


def test_kept_batches_come_back_equal_in_order_with_their_positions():
    batches = [[_full_line(1), _full_line(2)], [_full_line(3)]]
    with KeptLines() as kept:
        kept.add(batches[0], 100)
        kept.add(batches[1], 250)
        kept.close_with(_summary(), "camt.054.001.02")
        seen = []
        for batch in kept.batches():
            seen.append((batch, kept.position))
        assert seen == [(batches[0], 100), (batches[1], 250)]
        assert list(kept.batches()) == batches  # a second replay reads from the start
        assert kept.file == _summary()
        assert kept.format == "camt.054.001.02"


def test_every_field_of_a_bank_line_survives_the_round_trip():
    line = _full_line(7)
    with KeptLines() as kept:
        kept.add([line], 1)
        (back,) = next(kept.batches())
    for name in BankLine.__slots__:
        assert getattr(back, name) == getattr(line, name), name
    assert isinstance(back.amount, Money)


def test_parsed_camt_lines_replay_equal_to_the_parse():
    lines = list(CamtReader(camt_bytes(swedish_entries(), kind="054"), "s.xml"))
    with KeptLines() as kept:
        kept.add(lines, 0)
        assert next(kept.batches()) == lines


def test_the_summary_is_not_there_before_the_check_ends():
    with KeptLines() as kept, pytest.raises(RuntimeError):
        _ = kept.file
