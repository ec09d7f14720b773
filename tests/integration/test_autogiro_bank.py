"""Money once: Bankgirot's deposit of a day's approved Autogiro debits reaches the bank account
as one credit, which the bank's camt reports too. Whichever comes first, the payment
specification or the bank file, the other books nothing new on 1930: the bank line confirms
the specification's entries, or the specification moves the bank line's money out of suspense
(2890/3993, network and contributor). Another amount, or a key booked with other content,
never confirms."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, func, select

from ledger.chart import BANK, GIFT_INCOME, SUSPENSE
from ledger.db import tables as t
from ledger.money import Money
from ledger.services import contributors, dimensions, pii
from ledger.services.autogiro import mandates
from tests.support.autogiro_files import BANKGIRO, Debit, mandate_advice, payment_specification
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Tx, camt_bytes
from webhooks.autogiro import outgoing
from webhooks.autogiro.incoming import import_autogiro

CRYPT = pii.cipher({})
SETTINGS = outgoing.Settings(bankgiro=BANKGIRO, customer_number="471117", debit_day=28)
PAY_DAY = date(2027, 1, 28)  # a Thursday
NEXT_DAY = date(2027, 1, 29)


def _mandates(engine: Engine) -> tuple[int, int, int]:
    with engine.begin() as conn:
        network = dimensions.create_network(conn, "bolivia", "Bolivia")
        cid = contributors.create(conn, CRYPT, "person", {"name": "Sara Lind"})
        make = mandates.MandateDraft
        a = mandates.create(
            conn,
            CRYPT,
            make(cid, network, Money.kr(150), "19811218-9876", "8327-9", "9123456700", "Jag ..."),
        )
        b = mandates.create(
            conn,
            CRYPT,
            make(cid, None, Money.kr(200), "19811218-9876", "6000", "123456789", "Jag ..."),
        )
        outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 1))
        advice = mandate_advice(date(2026, 12, 3), [(a, "04", "32"), (b, "04", "32")])
        assert import_autogiro(conn, BANKGIRO, advice, "medav.txt").ok
        outgoing.payments_out(conn, SETTINGS, "2027-01", date(2027, 1, 10))
    return cid, a, b


def _spec(engine: Engine, a: int, b: int, name: str = "spec.txt"):
    data = payment_specification(
        PAY_DAY, [Debit(a, 15000, "0", "GÅVA 2027-01"), Debit(b, 20000, "0", "GÅVA 2027-01")]
    )
    with engine.begin() as conn:
        return import_autogiro(conn, BANKGIRO, data, name)


def _deposit(
    ore: int, day: date = NEXT_DAY, ref: str = "AG-0128", created: str = "06", **kw: object
) -> bytes:
    """The bank's camt.054 credit for the deposit: one entry, Bankgirot as the payer;
    ``created``: the hour the bank wrote the file (another file, the same payment)."""
    entry = Entry((Tx(ore, f"{ref}-1", name="Bankgirot"),), day, ref, **kw)  # type: ignore[arg-type]
    return camt_bytes([entry], created=f"2027-01-29T{created}:00:00")


def _autogiro(ore: int, day: date = NEXT_DAY, ref: str = "AG-0128", created: str = "06") -> bytes:
    return _deposit(ore, day, ref, created, code="AUTOGIRO", info="AUTOGIRO INSÄTTNING")


def _balance(engine: Engine, account: str) -> int:
    jl = t.journal_lines.c
    with engine.connect() as conn:
        total = conn.scalar(
            select(func.coalesce(func.sum(jl.debit_ore - jl.credit_ore), 0)).where(
                jl.account == account
            )
        )
    return int(total or 0)


def _line(engine: Engine):
    with engine.connect() as conn:
        return conn.execute(select(t.bank_lines).order_by(t.bank_lines.c.id)).all()


def test_a_deposit_booked_by_the_specification_is_confirmed_by_the_bank_not_booked_again(engine):
    _, a, b = _mandates(engine)
    assert _spec(engine, a, b).ok
    assert _balance(engine, BANK) == 35000

    result = import_ours(engine, _autogiro(35000), "day.054.xml")

    assert (result.counts.booked_count, result.counts.confirmed_count) == (0, 1)
    assert _balance(engine, BANK) == 35000
    assert _balance(engine, SUSPENSE) == 0
    (line,) = _line(engine)
    with engine.connect() as conn:
        deposit = conn.execute(select(t.autogiro_deposits)).one()
        entries = conn.scalars(select(t.autogiro_deposit_entries.c.entry_id)).all()
    assert (line.match_kind, line.open_ore, line.channel) == ("confirmed", 0, "autogiro")
    assert "Autogiro-insättning 2027-01-28 (2 dragningar)" in line.note
    assert (deposit.bank_line_id, deposit.bank_first, deposit.amount_ore) == (line.id, False, 35000)
    assert line.entry_id in entries and len(entries) == 2

    # the day's camt.053 reports the same credit again: its key confirms it, nothing more
    again = import_ours(engine, _autogiro(35000, created="18"), "day.053.xml")
    assert again.counts.confirmed_count == 1 and _balance(engine, BANK) == 35000


def test_a_deposit_the_bank_reported_first_is_moved_out_of_suspense_by_the_specification(engine):
    cid, a, b = _mandates(engine)
    first = import_ours(engine, _autogiro(35000), "day.054.xml")
    assert (first.counts.booked_count, first.counts.unmatched_count) == (1, 1)
    assert (_balance(engine, BANK), _balance(engine, SUSPENSE)) == (35000, -35000)

    result = _spec(engine, a, b)

    assert result.ok, result
    assert (result.file_ore, result.booked_ore) == (35000, 35000)
    assert _balance(engine, BANK) == 35000
    assert _balance(engine, SUSPENSE) == 0
    assert _balance(engine, GIFT_INCOME) == -35000
    (line,) = _line(engine)
    assert line.open_ore == 0
    assert "fördelad av betalningsspecifikationen" in line.note
    jl, e = t.journal_lines.c, t.journal_entries.c
    with engine.connect() as conn:
        income = conn.execute(
            select(jl.contributor_id, jl.credit_ore, e.series, e.text)
            .join(t.journal_entries, e.id == jl.entry_id)
            .where(jl.account == GIFT_INCOME)
        ).all()
        deposit = conn.execute(select(t.autogiro_deposits)).one()
        debit = conn.execute(
            select(t.autogiro_debits).where(t.autogiro_debits.c.payer_number == a)
        ).one()
    assert sorted(r.credit_ore for r in income) == [15000, 20000]
    assert {(r.contributor_id, r.series) for r in income} == {(cid, "G")}
    assert all(f"bankrad {line.id}" in r.text and "Sara" not in r.text for r in income)
    assert (deposit.bank_line_id, deposit.bank_first) == (line.id, True)
    assert debit.status == "approved"


def test_an_autogiro_credit_of_another_amount_is_no_deposit_in_either_order(engine):
    _, a, b = _mandates(engine)
    assert _spec(engine, a, b).ok
    result = import_ours(engine, _autogiro(34000), "day.054.xml")
    assert (result.counts.confirmed_count, result.counts.unmatched_count) == (0, 1)
    (line,) = _line(engine)
    assert line.open_ore == 34000  # waits in suspense for finance: never confirmed
    with engine.connect() as conn:
        assert conn.scalar(select(t.autogiro_deposits.c.bank_line_id)) is None


def test_a_bank_line_first_of_another_amount_is_left_in_suspense_by_the_specification(engine):
    _, a, b = _mandates(engine)
    import_ours(engine, _autogiro(34000), "day.054.xml")
    assert _spec(engine, a, b).ok
    (line,) = _line(engine)
    assert line.open_ore == 34000
    with engine.connect() as conn:
        assert conn.scalar(select(t.autogiro_deposits.c.bank_line_id)) is None


def test_a_credit_the_bank_does_not_call_autogiro_is_no_deposit(engine):
    _, a, b = _mandates(engine)
    assert _spec(engine, a, b).ok
    result = import_ours(engine, _deposit(35000), "day.054.xml")
    assert (result.counts.confirmed_count, result.counts.unmatched_count) == (0, 1)


def test_a_deposit_more_than_two_banking_days_late_is_not_confirmed(engine):
    _, a, b = _mandates(engine)
    assert _spec(engine, a, b).ok
    # Thursday 28th: Friday and Monday are the two banking days after it; Tuesday is too late
    late = import_ours(engine, _autogiro(35000, date(2027, 2, 2)), "late.054.xml")
    assert late.counts.confirmed_count == 0
    on_time = import_ours(engine, _autogiro(35000, date(2027, 2, 1), "AG-0201"), "m.054.xml")
    assert on_time.counts.confirmed_count == 1


def test_the_same_bank_key_with_another_amount_is_a_conflict_not_a_second_deposit(engine):
    _, a, b = _mandates(engine)
    assert _spec(engine, a, b).ok
    assert import_ours(engine, _autogiro(35000), "day.054.xml").counts.confirmed_count == 1
    other = import_ours(engine, _autogiro(36000), "day.053.xml")
    assert (other.counts.conflict_count, other.counts.confirmed_count) == (1, 0)
    assert _balance(engine, BANK) == 35000
