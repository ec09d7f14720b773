"""A key is never proof (issue 11, rule 1), against a real database: a bank line whose key is
booked already counts as "already booked" only when the booking says the same thing; the same
key with another amount, currency, date or bank account is a conflict, booked nowhere, stored
beside the entry it collides with, and the bank account does not move."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select

from ledger.chart import BANK, CARD_PROCESSOR, SUSPENSE
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.services import bank_accounts, posting
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Statement, Tx, camt_bytes

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
# Bankgirot's two example files give BGC serial 10 of bankgiro 9912346 on 2004-05-25 to a
# 1 000,00 kr payment in one and to a 100,00 kr payment in the other.
BGMAX_1000 = (
    SAMPLES
    / "bgmax"
    / ("bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt")
)
BGMAX_100 = SAMPLES / "bgmax" / "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt"
SERIAL_10 = "bgc:9912346:2004-05-25:000000000010"
DAY = date(2026, 12, 1)


def _bank(engine: Engine) -> int:
    jl = t.journal_lines.c
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.coalesce(func.sum(jl.debit_ore - jl.credit_ore), 0)).where(
                    jl.account == BANK
                )
            ).scalar_one()
        )


def _line(engine: Engine, import_id: int, key: str) -> tuple:
    b = t.bank_lines.c
    with engine.connect() as conn:
        row = conn.execute(
            select(b.match_kind, b.entry_id, b.conflict_entry_id, b.open_ore, b.note).where(
                b.import_id == import_id, b.key == key
            )
        ).one()
    return tuple(row)


def _entry_of(engine: Engine, key: str) -> int:
    e = t.journal_entries.c
    with engine.connect() as conn:
        return int(conn.execute(select(e.id).where(e.source_key == key)).scalar_one())


def test_a_payment_with_a_booked_serial_but_another_amount_is_a_conflict_not_a_confirmation(
    engine,
):
    first = import_ours(engine, BGMAX_1000.read_bytes(), BGMAX_1000.name)
    before = _bank(engine)
    second = import_ours(engine, BGMAX_100.read_bytes(), BGMAX_100.name)
    kind, entry_id, conflict_with, open_ore, note = _line(engine, second.id, SERIAL_10)
    assert (kind, entry_id, open_ore) == ("conflict", None, 0)
    assert conflict_with == _entry_of(engine, SERIAL_10)
    assert note == "krock: belopp 100,00\xa0kr, bokfört 1\xa0000,00\xa0kr"
    assert second.counts.conflict_count == 1
    assert second.counts.confirmed_count == 0
    # the other three payments of the 100 kr file are booked; serial 10 moves nothing
    assert second.counts.booked_count == 3
    assert _bank(engine) - before == 900_00 + 600_00 + 500_00
    assert first.counts.conflict_count == 0


def test_a_transaction_booked_under_its_reference_for_another_amount_is_a_conflict(engine):
    import_ours(engine, camt_bytes([Entry((Tx(1_000_00, "T1"),), DAY, "E1")]), "a.xml")
    before = _bank(engine)
    result = import_ours(engine, camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")]), "b.xml")
    assert (result.counts.conflict_count, result.counts.booked_count) == (1, 0)
    assert _line(engine, result.id, "bank:T1")[:2] == ("conflict", None)
    assert _bank(engine) == before


def test_a_transaction_booked_on_another_bank_account_is_a_conflict(engine):
    entries = [Entry((Tx(250_00, "T1"),), DAY, "E1")]
    statement = camt_bytes([], kind="053", version="08", statement=Statement(entries))
    import_ours(engine, statement, "ours.053.xml")
    elsewhere = statement.replace(b"SE4550000000058398257466", b"SE3550000000054910000003")
    with engine.begin() as conn:  # our second account, so its statement is imported at all
        bank_accounts.add(conn, "SE3550000000054910000003", "1930", "Sparkonto")
    before = _bank(engine)
    result = import_ours(engine, elsewhere, "theirs.053.xml")
    assert (result.counts.conflict_count, result.counts.confirmed_count) == (1, 0)
    assert _bank(engine) == before


def test_a_key_another_source_booked_for_the_same_amount_and_day_is_already_booked(engine):
    with engine.begin() as conn:
        booked = _post(conn, "bank:T7", 300_00)
    result = import_ours(engine, camt_bytes([Entry((Tx(300_00, "T7"),), DAY, "E7")]), "a.xml")
    assert (result.counts.confirmed_count, result.counts.booked_count) == (1, 0)
    assert _line(engine, result.id, "bank:T7")[:3] == ("confirmed", booked, None)
    assert _bank(engine) == 300_00


def test_a_key_another_source_booked_for_another_amount_is_a_conflict(engine):
    with engine.begin() as conn:
        booked = _post(conn, "bank:T7", 300_00)
    result = import_ours(engine, camt_bytes([Entry((Tx(350_00, "T7"),), DAY, "E7")]), "a.xml")
    assert (result.counts.conflict_count, result.counts.booked_count) == (1, 0)
    assert _line(engine, result.id, "bank:T7")[:3] == ("conflict", None, booked)
    assert _bank(engine) == 300_00


def test_two_lines_of_one_file_with_one_reference_and_other_amounts_book_the_first_only(engine):
    entries = [Entry((Tx(400_00, "T1"),), DAY, "E1"), Entry((Tx(40_00, "T1"),), DAY, "E2")]
    result = import_ours(engine, camt_bytes(entries), "a.xml")
    assert (result.counts.booked_count, result.counts.conflict_count) == (1, 1)
    b = t.bank_lines.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(b.match_kind, b.entry_id, b.conflict_entry_id).order_by(b.line_no)
        ).all()
    (kind1, entry1, _), (kind2, entry2, with2) = rows
    assert (kind1, kind2, entry2) == ("unmatched", "conflict", None)
    assert with2 == entry1 is not None
    assert _bank(engine) == 400_00


def test_a_conflict_does_not_stand_in_for_the_key_when_the_next_file_says_it_again(engine):
    import_ours(engine, camt_bytes([Entry((Tx(1_000_00, "T1"),), DAY, "E1")]), "a.xml")
    import_ours(engine, camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")]), "b.xml")
    again = import_ours(
        engine, camt_bytes([Entry((Tx(1_000_00, "T1"),), DAY, "E1")], version="08"), "c.xml"
    )
    assert (again.counts.confirmed_count, again.counts.conflict_count) == (1, 0)
    assert _bank(engine) == 1_000_00


def test_a_stripe_payout_booked_from_stripe_is_confirmed_by_the_bank_line_naming_it(engine):
    with engine.begin() as conn:
        payout = _post(conn, "stripe:payout:po_1Abc", 4_321_00, CARD_PROCESSOR, "stripe")
    entries = [Entry((Tx(4_321_00, "T1", message="STRIPE PAYOUT po_1Abc"),), DAY, "E1")]
    result = import_ours(engine, camt_bytes(entries), "a.xml")
    assert (result.counts.confirmed_count, result.counts.booked_count) == (1, 0)
    assert _line(engine, result.id, "bank:T1")[:2] == ("confirmed", payout)
    assert result.ok and _bank(engine) == 4_321_00


def test_a_bank_line_naming_a_stripe_payout_of_another_amount_is_a_conflict(engine):
    with engine.begin() as conn:
        payout = _post(conn, "stripe:payout:po_1Abc", 4_321_00, CARD_PROCESSOR, "stripe")
    entries = [Entry((Tx(4_320_00, "T1", message="STRIPE PAYOUT po_1Abc"),), DAY, "E1")]
    result = import_ours(engine, camt_bytes(entries), "a.xml")
    assert (result.counts.conflict_count, result.counts.booked_count) == (1, 0)
    assert _line(engine, result.id, "bank:T1")[:3] == ("conflict", None, payout)
    assert not result.ok and _bank(engine) == 4_321_00


def test_a_stripe_payout_is_confirmed_by_one_bank_line_only(engine):
    with engine.begin() as conn:
        _post(conn, "stripe:payout:po_1Abc", 4_321_00, CARD_PROCESSOR, "stripe")
    import_ours(engine, camt_bytes([Entry((Tx(4_321_00, "T1"),), DAY, "E1")]), "a.xml")
    second = import_ours(engine, camt_bytes([Entry((Tx(4_321_00, "T2"),), DAY, "E2")]), "b.xml")
    assert (second.counts.confirmed_count, second.counts.booked_count) == (0, 1)
    assert _bank(engine) == 2 * 4_321_00


def _post(  # type: ignore[no-untyped-def]
    conn, key: str, ore: int, other: str = SUSPENSE, kind: str = "bank"
) -> int:
    amount = Money(ore)
    draft = Draft(
        date=DAY,
        text="bokförd från annat håll",
        lines=(LineDraft.debit(BANK, amount), LineDraft.credit(other, amount)),
        series="B",
        source_kind=kind,
        source_key=key,
    )
    return posting.post_once(conn, draft)[0].id
