"""Invoices against a real database: booking in series F, an unbroken number series, the invoice
run and the reminders (each idempotent, through the CLI), credit notes, and payment by a camt.054
bank file that clears 1510 (exactly, short, or with a surplus to 2890)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kassan.cli.invoices import invoices_cli
from ledger.db import tables as t
from ledger.errors import LedgerError, PeriodClosed
from ledger.money import Money
from ledger.services import balances, invoice_run, invoices, journal, pledge_status, pledges
from ledger.services.periods import close_through
from tests.support.camt_files import Entry, Tx, camt_bytes
from tests.support.invoicing import add_network, add_org

DAY = date(2026, 12, 15)


@pytest.fixture
def org(engine):
    with engine.begin() as conn:
        add_network(conn)
        return add_org(conn)


def _issue(engine, org, ore=500_000, *, on=DAY, network="fred"):
    with engine.begin() as conn:
        invoice, new = invoices.issue(
            conn,
            contributor_id=org,
            network=network,
            lines=[("Gåva till Fred och demokrati 2027", Money(ore))],
            issue_date=on,
            due_days=30,
        )
    assert new
    return invoice


def _count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def _balance(engine, account, contributor=None):
    ln = t.journal_lines.c
    query = select(func.coalesce(func.sum(ln.debit_ore - ln.credit_ore), 0)).where(
        ln.account == account
    )
    if contributor is not None:
        query = query.where(ln.contributor_id == contributor)
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def test_issuing_an_invoice_books_1510_against_3993_in_series_f(engine, org):
    invoice = _issue(engine, org)
    with engine.connect() as conn:
        entry = journal.get_entry(conn, invoice.entry_id)
        fred = journal.network_id(conn, "fred")
    assert (entry.series, entry.number, entry.source_key) == ("F", 1, "invoice:1")
    assert [(ln.account, ln.debit_ore, ln.credit_ore) for ln in entry.lines] == [
        ("1510", 500_000, 0),
        ("3993", 0, 500_000),
    ]
    assert entry.lines[1].network_id == fred
    assert {ln.contributor_id for ln in entry.lines} == {org}
    assert invoice.number == 1
    assert invoice.due_date == date(2027, 1, 14)
    assert invoice.recipient.address == ("Storgatan 1", "Plan 3", "411 01 Göteborg")
    assert invoice.reference and invoice.status(DAY) == "open"


def test_a_failed_issue_leaves_no_gap_in_the_number_series(engine, org):
    assert _issue(engine, org).number == 1
    with engine.begin() as conn:
        close_through(conn, date(2026, 12, 31))
    with pytest.raises(PeriodClosed):
        _issue(engine, org, on=DAY)
    with pytest.raises(LedgerError):
        _issue(engine, org, network="saknas", on=date(2027, 1, 2))
    assert _issue(engine, org, on=date(2027, 1, 2)).number == 2
    with engine.connect() as conn:
        numbers = conn.execute(select(t.invoices.c.number)).scalars().all()
        refs = conn.execute(select(func.count()).select_from(t.expected_payments)).scalar()
    assert sorted(numbers) == [1, 2]
    assert refs == 2  # the failed issue's expected payment went with it


def _invoice_pledge(engine, org, instalments=3):
    with engine.begin() as conn:
        return pledges.create(
            conn,
            pledges.validate(
                {
                    "contributor_id": org,
                    "network": "fred",
                    "amount_ore": 250_000,
                    "period": "month",
                    "start_date": "2027-01-01",
                    "instalments": instalments,
                    "payment_way": "invoice",
                }
            ),
        )


def test_the_invoice_run_twice_issues_nothing_twice(engine, org, cli, app):
    app.config.update(INVOICE_LEAD_DAYS=30)
    pledge_id = _invoice_pledge(engine, org)
    first = cli.invoke(invoices_cli, ["run", "--date", "2026-12-15", "--workers", "2"])
    assert first.exit_code == 0, first.output
    assert "utfärdade 1, e-postade 1" in first.output
    again = cli.invoke(invoices_cli, ["run", "--date", "2026-12-15"])
    assert "utfärdade 0, e-postade 0" in again.output
    assert _count(engine, t.invoices) == 1
    assert _count(engine, t.journal_entries) == 1
    assert _count(engine, t.email_outbox) == 1
    later = cli.invoke(invoices_cli, ["run", "--date", "2027-01-10", "--workers", "1"])
    assert "utfärdade 1, e-postade 1" in later.output  # February's instalment is now within 30 days
    with engine.connect() as conn:
        view = pledge_status.get(conn, pledge_id, today=date(2027, 1, 10))
        attachments = conn.execute(select(t.email_attachments.c.filename)).scalars().all()
    assert [i.invoice_number for i in view.instalments] == [1, 2, None]
    assert view.invoiced == Money(500_000)
    assert sorted(attachments) == ["faktura-1.pdf", "faktura-2.pdf"]


def test_two_issues_for_one_instalment_make_one_invoice(engine, org):
    _invoice_pledge(engine, org, instalments=1)
    with engine.connect() as conn:
        (instalment_id,) = invoice_run.due_instalments(conn, date(2027, 1, 1))
    with engine.begin() as conn:
        one, new = invoice_run.issue_instalment(conn, instalment_id, on=DAY, due_days=30)
        two, again = invoice_run.issue_instalment(conn, instalment_id, on=DAY, due_days=30)
    assert (new, again) == (True, False)
    assert one.number == two.number == 1
    with engine.connect() as conn:
        assert invoice_run.due_instalments(conn, date(2027, 12, 31)) == []


def test_a_partial_credit_note_books_back_and_lowers_what_is_expected(engine, org):
    invoice = _issue(engine, org)
    with engine.begin() as conn:
        note = invoices.credit(
            conn, 1, on=date(2026, 12, 20), amount=Money(200_000), reason="Halva året"
        )
        entry = journal.get_entry(conn, note.entry_id)
        after = invoices.get(conn, 1)
        ep = conn.execute(
            select(t.expected_payments).where(t.expected_payments.c.reference == invoice.reference)
        ).one()
    assert (note.kind, note.number, note.credits_number) == ("credit_note", 2, 1)
    assert entry.series == "F" and entry.source_key == "invoice:2"
    assert [(ln.account, ln.debit_ore, ln.credit_ore) for ln in entry.lines] == [
        ("3993", 200_000, 0),
        ("1510", 0, 200_000),
    ]
    assert note.lines[0].description == "Kreditering av faktura 1: Halva året"
    assert (ep.amount_ore, ep.status) == (300_000, "open")
    assert after.credited_ore == 200_000 and after.outstanding == Money(300_000)
    assert _balance(engine, "1510", org) == 300_000


def test_crediting_more_than_is_unpaid_is_refused_and_books_nothing(engine, org):
    _issue(engine, org)
    with pytest.raises(LedgerError) as caught, engine.begin() as conn:
        invoices.credit(conn, 1, on=DAY, amount=Money(500_001))
    assert caught.value.field == "amount"
    assert _count(engine, t.journal_entries) == 1
    with engine.begin() as conn:
        whole = invoices.credit(conn, 1, on=DAY)
        with pytest.raises(LedgerError):
            invoices.credit(conn, 1, on=DAY)  # nothing left
        with pytest.raises(LedgerError):
            invoices.credit(conn, whole.number, on=DAY)  # a credit note is not credited
    with engine.connect() as conn:
        assert invoices.get(conn, 1).status(DAY) == "credited"
    assert whole.total_ore == 500_000
    assert _balance(engine, "1510") == 0


def test_reminders_go_out_once_per_number_after_the_due_date(engine, org, cli):
    _issue(engine, org)  # due 2027-01-14
    before = cli.invoke(invoices_cli, ["remind", "--date", "2027-01-20"])
    assert "påminnelser 0" in before.output
    first = cli.invoke(invoices_cli, ["remind", "--date", "2027-01-28"])
    assert "påminnelser 1, e-postade 1" in first.output, first.output
    same = cli.invoke(invoices_cli, ["remind", "--date", "2027-02-05"])
    assert "påminnelser 0" in same.output
    second = cli.invoke(invoices_cli, ["remind", "--date", "2027-02-11"])
    assert "påminnelser 1, e-postade 1" in second.output
    third = cli.invoke(invoices_cli, ["remind", "--date", "2027-06-01"])
    assert "påminnelser 0" in third.output  # at most two
    with engine.connect() as conn:
        keys = conn.execute(select(t.email_outbox.c.dedupe_key)).scalars().all()
        status = conn.execute(select(t.expected_payments.c.status)).scalar()
    assert sorted(keys) == ["invoice:1:reminder:1", "invoice:1:reminder:2"]
    assert status == "overdue"


def _pay(engine, reference, ore, key):
    from tests.support.bank_accounts import import_ours

    data = camt_bytes([Entry((Tx(ore, key, ocr=reference, name="IF Metall avd 3"),), DAY, key)])
    return import_ours(engine, data, f"{key}.054.xml")


@pytest.mark.parametrize(
    ("paid", "status", "receivable", "suspense"),
    [
        (500_000, "paid", 0, 0),
        (300_000, "partly_paid", 200_000, 0),
        (520_000, "paid", 0, -20_000),
    ],
    ids=["exact", "short", "over"],
)
def test_a_camt054_payment_clears_the_receivable(engine, org, paid, status, receivable, suspense):
    invoice = _issue(engine, org)
    _pay(engine, invoice.reference, paid, "BG-1")
    with engine.connect() as conn:
        after = invoices.get(conn, invoice.number)
    assert after.expected_status == status
    assert after.paid_ore == min(paid, 500_000)
    assert after.outstanding == Money(receivable)
    assert _balance(engine, "1510") == receivable
    assert _balance(engine, "1930") == paid
    assert _balance(engine, "2890") == suspense
    assert _balance(engine, "3993") == -500_000
    with engine.connect() as conn:
        assert balances.account_totals(conn)  # the kept balances moved with the entries


def test_issues_at_once_share_one_unbroken_series_and_an_instalment_gets_one_invoice(engine, org):
    from concurrent.futures import ThreadPoolExecutor

    _invoice_pledge(engine, org, instalments=1)
    with engine.connect() as conn:
        (instalment_id,) = invoice_run.due_instalments(conn, date(2027, 1, 1))

    def work(n: int) -> None:
        for i in range(3):
            if n % 3 == 0 and i == 1:
                with pytest.raises(LedgerError):
                    _issue(engine, org, network="saknas")  # fails and gives its number back
                continue
            with engine.begin() as conn:
                invoice_run.issue_instalment(conn, instalment_id, on=DAY, due_days=30)
            _issue(engine, org)

    with ThreadPoolExecutor(max_workers=6) as pool:
        for done in [pool.submit(work, n) for n in range(6)]:
            done.result()  # re-raises a thread's failure here
    with engine.connect() as conn:
        numbers = sorted(conn.execute(select(t.invoices.c.number)).scalars())
        entries = sorted(
            conn.execute(
                select(t.journal_entries.c.number).where(t.journal_entries.c.series == "F")
            ).scalars()
        )
        per_instalment = conn.execute(
            select(func.count()).where(t.invoices.c.pledge_instalment_id == instalment_id)
        ).scalar()
    issued = 6 * 3 - 2 + 1  # 16 by hand, one for the instalment
    assert numbers == list(range(1, issued + 1))
    assert entries == list(range(1, issued + 1))
    assert per_instalment == 1
