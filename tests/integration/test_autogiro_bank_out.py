"""Money once, the other way and after the desk: an Autogiro refund or payout to a payer (TK77,
TK32; booked 3993/1930 by the payment specification) leaves our bank account as a debit the
bank's camt reports too, and whichever comes first the other books nothing new on 1930. A bank
line finance allocated at the desk before the specification came is never booked twice: the
specification lists its records as conflicts for finance."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from ledger.chart import BANK, GIFT_INCOME, SUSPENSE
from ledger.db import tables as t
from ledger.services import reconcile
from tests.integration.test_autogiro_bank import _autogiro, _balance, _line, _mandates, _spec
from tests.support.autogiro_files import BANKGIRO, payment_specification
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Tx, camt_bytes
from webhooks.autogiro.incoming import import_autogiro

REFUND_DAY = date(2027, 2, 10)  # a Wednesday


def _refund_spec(engine: Engine, payer: int, ore: int = 15000):
    data = payment_specification(REFUND_DAY, refunds=[(payer, ore, REFUND_DAY, "01")])
    with engine.begin() as conn:
        return import_autogiro(conn, BANKGIRO, data, "refund.txt")


def _debit(ore: int, day: date = date(2027, 2, 11), created: str = "06") -> bytes:
    """The bank's camt.054 debit: Bankgirot takes the refunds of the section off our account."""
    entry = Entry(
        (Tx(-ore, "AG-0210-1", name="Bankgirot"),),
        day,
        "AG-0210",
        code="AUTOGIRO",
        info="AUTOGIRO ÅTERBETALNING",
    )
    return camt_bytes([entry], created=f"2027-02-11T{created}:00:00")


def test_a_refund_booked_by_the_specification_is_confirmed_by_the_bank_debit(engine):
    _, a, _ = _mandates(engine)
    assert _refund_spec(engine, a).ok
    assert _balance(engine, BANK) == -15000

    result = import_ours(engine, _debit(15000), "day.054.xml")

    assert (result.counts.booked_count, result.counts.confirmed_count) == (0, 1)
    assert (_balance(engine, BANK), _balance(engine, SUSPENSE)) == (-15000, 0)
    (line,) = _line(engine)
    with engine.connect() as conn:
        deposit = conn.execute(select(t.autogiro_deposits)).one()
    assert (line.match_kind, line.direction, line.channel) == ("confirmed", "out", "autogiro")
    assert "Autogiro-återbetalning 2027-02-10 (1 st)" in line.note
    assert (deposit.bank_line_id, deposit.amount_ore) == (line.id, -15000)
    again = import_ours(engine, _debit(15000, created="18"), "day.053.xml")
    assert again.counts.confirmed_count == 1 and _balance(engine, BANK) == -15000


def test_a_refund_the_bank_reported_first_is_booked_against_suspense(engine):
    cid, a, _ = _mandates(engine)
    first = import_ours(engine, _debit(15000), "day.054.xml")
    assert (first.counts.booked_count, first.counts.unmatched_count) == (1, 1)
    assert (_balance(engine, BANK), _balance(engine, SUSPENSE)) == (-15000, 15000)

    result = _refund_spec(engine, a)

    assert result.ok, result
    assert (result.file_ore, result.booked_ore) == (-15000, -15000)
    assert (_balance(engine, BANK), _balance(engine, SUSPENSE)) == (-15000, 0)
    assert _balance(engine, GIFT_INCOME) == 15000
    (line,) = _line(engine)
    assert line.open_ore == 0 and "Autogiro-återbetalning 2027-02-10" in line.note
    jl = t.journal_lines.c
    with engine.connect() as conn:
        income = conn.execute(select(jl.contributor_id).where(jl.account == GIFT_INCOME)).one()
        deposit = conn.execute(select(t.autogiro_deposits)).one()
    assert income.contributor_id == cid
    assert (deposit.bank_line_id, deposit.bank_first, deposit.amount_ore) == (line.id, True, -15000)


def test_a_refund_debit_of_another_amount_is_not_confirmed(engine):
    _, a, _ = _mandates(engine)
    assert _refund_spec(engine, a).ok
    result = import_ours(engine, _debit(14000), "day.054.xml")
    assert (result.counts.confirmed_count, result.counts.unmatched_count) == (0, 1)
    with engine.connect() as conn:
        assert conn.scalar(select(t.autogiro_deposits.c.bank_line_id)) is None


def test_a_deposit_finance_allocated_before_the_specification_is_not_booked_again(engine):
    _, a, b = _mandates(engine)
    import_ours(engine, _autogiro(35000), "day.054.xml")
    (line,) = _line(engine)
    with engine.begin() as conn:
        reconcile.allocate(
            conn,
            line.id,
            [reconcile.Part(reconcile.Target("network", network_id=None), 35000)],
            token="agdesk0001",
        )
    assert (_balance(engine, BANK), _balance(engine, SUSPENSE)) == (35000, 0)

    result = _spec(engine, a, b)

    assert not result.ok and len(result.conflicts) == 2 and result.booked == []
    assert all(f"bankrad {line.id} (2027-01-29)" in c.what for c in result.conflicts)
    assert "redan fördelad av ekonomi" in result.conflicts[0].what
    assert (_balance(engine, BANK), _balance(engine, SUSPENSE)) == (35000, 0)
    with engine.connect() as conn:
        assert conn.scalar(select(t.autogiro_deposits.c.id)) is None
