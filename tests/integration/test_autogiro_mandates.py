"""Autogiro mandates on a real database: taken in, sent in a mandate file, made active,
cancelled; each month's debit orders written once; the two commands that write the files."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kassan.cli.main import main
from ledger.db import tables as t
from ledger.errors import MandateRefused
from ledger.money import Money
from ledger.services import contributors, pii
from ledger.services.autogiro import mandates
from ledger.statuses import DebitStatus, MandateStatus
from webhooks.autogiro import outgoing
from webhooks.bankfiles.autogiro import parse_autogiro
from webhooks.bankfiles.autogiro.records import MandateRequest, PaymentOrder

CRYPT = pii.cipher({})
SETTINGS = outgoing.Settings(bankgiro="9912346", customer_number="471117", debit_day=28)
CONSENT = "Jag medger att betalning får göras genom uttag från angivet konto ..."
PERSON = "19811218-9876"
ORGNR = "802000-1239"


def donor(conn, name="Sara Lind"):
    return contributors.create(conn, CRYPT, "person", {"name": name})


def draft(cid, identity=PERSON, clearing="8327-9", account="912 345 670-0", kronor="150"):
    return mandates.MandateDraft(cid, None, Money.kr(kronor), identity, clearing, account, CONSENT)


def activate(conn, payer_number):
    mandates.record_status(conn, payer_number, MandateStatus.ACTIVE, "medgivandeavisering")


def test_a_mandate_gets_a_payer_number_of_its_own_and_keeps_its_data_encrypted(engine):
    with engine.begin() as conn:
        cid = donor(conn)
        first = mandates.create(conn, CRYPT, draft(cid))
        second = mandates.create(
            conn, CRYPT, draft(cid, identity=ORGNR, clearing="6000", account="123456789")
        )
        mandate = mandates.get(conn, first)
        row = conn.execute(
            select(t.autogiro_mandates).where(t.autogiro_mandates.c.payer_number == first)
        ).one()
        history = mandates.history(conn, first)
    assert second != first
    assert mandate.status is MandateStatus.NEW and mandate.amount == Money(15000)
    assert mandate.identity_masked == "19811218-****" and mandate.account_masked == "******6700"
    assert mandate.consent_text == CONSENT and mandate.clearing == "83279"
    assert "9876" not in row.identity_enc and "9123456700" not in row.account_enc
    assert pii.decrypt(CRYPT, row.identity_enc) == "198112189876"
    assert [(h.status, h.source) for h in history] == [("new", "gåvoformuläret")]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"identity": "19811218-9875"}, "identity"),
        ({"account": "9123456701"}, "account"),
        ({"clearing": "9999", "account": "1234567"}, "account"),
        ({"kronor": "0.50"}, "amount"),
    ],
)
def test_a_mandate_that_fails_its_checks_is_refused_in_swedish(engine, changes, field):
    with engine.begin() as conn:
        cid = donor(conn)
        with pytest.raises(MandateRefused) as caught:
            mandates.create(conn, CRYPT, draft(cid, **changes))
    assert caught.value.field == field
    assert any(w in caught.value.message for w in ("giltig", "krona"))


def test_the_mandate_file_sends_new_mandates_and_cancellations_once(engine):
    with engine.begin() as conn:
        cid = donor(conn)
        sent = mandates.create(conn, CRYPT, draft(cid))
        never_sent = mandates.create(
            conn, CRYPT, draft(cid, identity=ORGNR, clearing="6000", account="123456789")
        )
        mandates.cancel(conn, never_sent, "givarens stopplänk")
        made = outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 3))
    assert made is not None and (made.new, made.cancelled) == (1, 0)
    (record,) = parse_autogiro(made.content, made.filename).of(MandateRequest)
    assert (record.code, record.payer_number, record.account, record.identity) == (
        "04",
        f"{sent:016d}",
        "8327009123456700",
        "198112189876",
    )
    with engine.begin() as conn:
        assert mandates.get(conn, sent).status is MandateStatus.SENT
        assert outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 4)) is None
        activate(conn, sent)
        assert mandates.cancel(conn, sent, "givarens stopplänk") is True
        assert mandates.cancel(conn, sent, "givarens stopplänk") is False
        again = outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 5))
        history = [h.status for h in mandates.history(conn, sent)]
    assert again is not None and (again.new, again.cancelled) == (1 - 1, 1)
    (cancel,) = parse_autogiro(again.content, again.filename).of(MandateRequest)
    assert (cancel.code, cancel.payer_number) == ("03", f"{sent:016d}")
    assert history == ["new", "sent", "active", "cancelled", "cancelled"]


def test_a_refused_mandate_cannot_be_made_active(engine):
    with engine.begin() as conn:
        payer = mandates.create(conn, CRYPT, draft(donor(conn)))
        outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 3))
        mandates.record_status(conn, payer, MandateStatus.REFUSED, "medgivandeavisering")
        with pytest.raises(MandateRefused):
            activate(conn, payer)


def test_each_month_orders_one_debit_per_active_mandate_on_the_next_banking_day(engine):
    with engine.begin() as conn:
        cid = donor(conn)
        first = mandates.create(conn, CRYPT, draft(cid))
        second = mandates.create(conn, CRYPT, draft(cid, kronor="250"))
        waiting = mandates.create(conn, CRYPT, draft(cid, kronor="99"))
        outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 3))
        activate(conn, first)
        activate(conn, second)
        december = outgoing.payments_out(conn, SETTINGS, "2026-12", date(2026, 12, 10))
        assert outgoing.payments_out(conn, SETTINGS, "2026-12", date(2026, 12, 11)) is None
        activate(conn, waiting)
        late = outgoing.payments_out(conn, SETTINGS, "2026-12", date(2026, 12, 12))
        debits = conn.execute(select(t.autogiro_debits).order_by(t.autogiro_debits.c.id)).all()
    assert december is not None and december.due == date(2026, 12, 28)  # 28th is a Monday
    orders = parse_autogiro(december.content, december.filename).of(PaymentOrder)
    assert [(o.payer_number, o.amount, o.due, o.reference) for o in orders] == [
        (f"{first:016d}", Money(15000), date(2026, 12, 28), "GÅVA 2026-12"),
        (f"{second:016d}", Money(25000), date(2026, 12, 28), "GÅVA 2026-12"),
    ]
    assert late is not None and late.new == 1
    assert [(d.payer_number, d.status) for d in debits] == [
        (first, DebitStatus.ORDERED),
        (second, DebitStatus.ORDERED),
        (waiting, DebitStatus.ORDERED),
    ]


def test_a_cancelled_mandate_is_not_debited(engine):
    with engine.begin() as conn:
        payer = mandates.create(conn, CRYPT, draft(donor(conn)))
        outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 3))
        activate(conn, payer)
        mandates.cancel(conn, payer, "givarens stopplänk")
        assert outgoing.payments_out(conn, SETTINGS, "2027-01", date(2027, 1, 10)) is None


@pytest.mark.parametrize(
    ("month", "day", "due"),
    [
        ("2026-12", 24, date(2026, 12, 28)),  # Christmas Eve, Christmas, Boxing Day, Sunday
        ("2026-06", 19, date(2026, 6, 22)),  # Midsummer Eve (a Friday), then the weekend
        ("2027-01", 1, date(2027, 1, 4)),  # New Year's Day (Friday), then the weekend
        ("2027-01", 6, date(2027, 1, 7)),  # Epiphany
        ("2027-03", 3, date(2027, 3, 3)),  # an ordinary Wednesday
    ],
)
def test_the_debit_day_moves_to_the_next_swedish_banking_day(month, day, due):
    assert outgoing.due_day(month, day) == due


def test_the_commands_write_the_files_and_say_when_there_is_nothing_new(app, cli, tmp_path):
    app.config.update(BANKGIRO="991-2346", AUTOGIRO_CUSTOMER_NUMBER="471117")
    engine = app.extensions["kassan.engine"]
    with engine.begin() as conn:
        payer = mandates.create(conn, CRYPT, draft(donor(conn)))
    out = tmp_path / "medgivanden.txt"
    result = cli.invoke(main, ["autogiro", "mandates-out", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 nya medgivanden, 0 makuleringar" in result.output
    assert parse_autogiro(out.read_bytes(), out.name).of(MandateRequest)[0].code == "04"
    result = cli.invoke(main, ["autogiro", "mandates-out", "-o", str(tmp_path / "igen.txt")])
    assert "ingen fil skriven" in result.output and not (tmp_path / "igen.txt").exists()
    with engine.begin() as conn:
        activate(conn, payer)
    pay = tmp_path / "betalningar.txt"
    result = cli.invoke(main, ["autogiro", "payments-out", "--month", "2027-01", "-o", str(pay)])
    assert result.exit_code == 0, result.output
    assert "1 dragningar för 2027-01, betalningsdag 2027-01-28" in result.output
    result = cli.invoke(
        main, ["autogiro", "payments-out", "--month", "2027-01", "-o", str(tmp_path / "x.txt")]
    )
    assert result.exit_code == 0 and "redan en dragning" in result.output
    with engine.begin() as conn:
        kept = conn.scalar(select(func.count()).select_from(t.autogiro_files))
    assert kept == 2
    result = cli.invoke(main, ["autogiro", "payments-out", "--month", "2027-13", "-o", "y"])
    assert result.exit_code == 2 and "ÅÅÅÅ-MM" in result.output


def test_the_commands_refuse_when_autogiro_is_not_set_up(app, cli, tmp_path):
    result = cli.invoke(main, ["autogiro", "mandates-out", "-o", str(tmp_path / "m.txt")])
    assert result.exit_code == 1
    assert "KASSAN_AUTOGIRO_CUSTOMER_NUMBER" in result.output
