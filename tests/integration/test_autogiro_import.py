"""Bankgirot's reports through ``kassan import``'s Autogiro path on a real database: mandate
advice makes mandates active, refused or cancelled; the payment specification books approved
debits once (series G, 1930/3993 with network and contributor), lists failed ones, books
refunds' reversal; keys and conflicts as for bank files; the file's net beside the books."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kassan.cli.main import main
from ledger.chart import BANK, GIFT_INCOME, SUSPENSE
from ledger.db import tables as t
from ledger.money import Money
from ledger.services import contributors, dimensions, journal, pii
from ledger.services.autogiro import mandates
from ledger.statuses import DebitStatus, MandateStatus
from reports import dashboard
from reports.funding import funding_gap
from tests.support.autogiro_files import BANKGIRO, Debit, mandate_advice, payment_specification
from webhooks.autogiro import outgoing
from webhooks.autogiro.incoming import import_autogiro
from webhooks.errors import BankFileConflict, BankFileInvalid

CRYPT = pii.cipher({})
NETWORK = 0  # the network the first mandate gives to, set by _setup
SETTINGS = outgoing.Settings(bankgiro=BANKGIRO, customer_number="471117", debit_day=28)


def _setup(conn):
    global NETWORK
    network = NETWORK = dimensions.create_network(conn, "bolivia", "Bolivia")
    cid = contributors.create(conn, CRYPT, "person", {"name": "Sara Lind"})
    make = mandates.MandateDraft
    a = mandates.create(
        conn,
        CRYPT,
        make(
            cid, network, Money.kr(150), "19811218-9876", "8327-9", "9123456700", "Jag medger ..."
        ),
    )
    b = mandates.create(
        conn,
        CRYPT,
        make(cid, None, Money.kr(200), "19811218-9876", "6000", "123456789", "Jag medger ..."),
    )
    outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 1))
    return cid, a, b


def _entries(conn, key_prefix="autogiro:"):
    e = t.journal_entries.c
    keys = conn.scalars(select(e.source_key).where(e.source_key.like(f"{key_prefix}%"))).all()
    return [journal.find_by_source_key(conn, k) for k in sorted(keys)]


def test_mandate_advice_makes_mandates_active_refused_and_cancelled(engine):
    with engine.begin() as conn:
        _, a, b = _setup(conn)
        result = import_autogiro(
            conn,
            BANKGIRO,
            mandate_advice(date(2026, 12, 3), [(a, "04", "32"), (b, "04", "23")]),
            "medav1.txt",
        )
        assert result.ok and [o.payer_number for o in result.listed] == [a, b]
        assert mandates.get(conn, a).status is MandateStatus.ACTIVE
        assert mandates.get(conn, b).status is MandateStatus.REFUSED
        later = import_autogiro(
            conn, BANKGIRO, mandate_advice(date(2027, 2, 3), [(a, "46", "02")]), "medav2.txt"
        )
        history = mandates.history(conn, a)
        assert later.ok and mandates.get(conn, a).status is MandateStatus.CANCELLED
        assert outgoing.payments_out(conn, SETTINGS, "2027-03", date(2027, 3, 1)) is None
        assert outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2027, 3, 1)) is None  # no TK03
    assert [h.status for h in history] == ["new", "sent", "active", "cancelled"]
    assert history[-1].source == "medgivandeavisering medav2.txt rad 2"
    assert "initierad av betalaren" in history[-1].note


def test_an_advice_for_an_unknown_payer_number_is_listed_not_guessed(engine):
    with engine.begin() as conn:
        _setup(conn)
        result = import_autogiro(
            conn, BANKGIRO, mandate_advice(date(2026, 12, 3), [(999, "04", "32")]), "m.txt"
        )
    assert not result.ok and "999 finns inte" in result.problems[0]


def test_an_approved_debit_books_once_and_a_failed_one_is_listed(engine):
    with engine.begin() as conn:
        cid, a, _ = _setup(conn)
        import_autogiro(
            conn, BANKGIRO, mandate_advice(date(2026, 12, 3), [(a, "04", "32")]), "medav.txt"
        )
        january = outgoing.payments_out(conn, SETTINGS, "2027-01", date(2027, 1, 10))
        assert january is not None and january.due == date(2027, 1, 28)
        spec = payment_specification(date(2027, 1, 28), [Debit(a, 15000, "0", "GÅVA 2027-01")])
        result = import_autogiro(conn, BANKGIRO, spec, "spec1.txt")
        assert result.ok, result
        assert (result.file_ore, result.booked_ore, len(result.booked)) == (15000, 15000, 1)
        (entry,) = _entries(conn)
        debit = conn.execute(select(t.autogiro_debits)).one()
        # February: no funds on the 28th, then approved when Bankgirot tries again
        outgoing.payments_out(conn, SETTINGS, "2027-02", date(2027, 2, 10))
        failed = import_autogiro(
            conn,
            BANKGIRO,
            payment_specification(date(2027, 3, 1), [Debit(a, 15000, "1", "GÅVA 2027-02")]),
            "spec2.txt",
        )
        status_after_fail = conn.scalar(
            select(t.autogiro_debits.c.status).where(t.autogiro_debits.c.month == "2027-02")
        )
        paid = import_autogiro(
            conn,
            BANKGIRO,
            payment_specification(date(2027, 3, 2), [Debit(a, 15000, "0", "GÅVA 2027-02")]),
            "spec3.txt",
        )
        entries = _entries(conn)
    assert entry.series == "G" and entry.date == date(2027, 1, 28)
    lines = {(line.account, line.debit_ore, line.credit_ore) for line in entry.lines}
    assert lines == {(BANK, 15000, 0), (GIFT_INCOME, 0, 15000)}
    income = next(line for line in entry.lines if line.account == GIFT_INCOME)
    assert (income.network_id, income.contributor_id) == (NETWORK, cid)
    assert (debit.status, debit.entry_id) == (DebitStatus.APPROVED, entry.id)
    assert failed.ok and failed.booked == [] and failed.file_ore == 0
    assert [o.what for o in failed.listed] == ["dragning täckning saknas"]
    assert status_after_fail == DebitStatus.FAILED
    assert paid.ok and len(paid.booked) == 1 and len(entries) == 2


def test_the_same_payment_again_is_already_booked_and_other_content_is_a_conflict(engine):
    with engine.begin() as conn:
        _, a, _ = _setup(conn)
        import_autogiro(
            conn, BANKGIRO, mandate_advice(date(2026, 12, 3), [(a, "04", "32")]), "medav.txt"
        )
        spec = payment_specification(date(2027, 1, 28), [Debit(a, 15000)])
        import_autogiro(conn, BANKGIRO, spec, "spec.txt")
        with pytest.raises(BankFileConflict):
            import_autogiro(conn, BANKGIRO, spec, "spec-igen.txt")
        again = import_autogiro(
            conn,
            BANKGIRO,
            payment_specification(date(2027, 1, 28), [Debit(a, 15000)], stamp="130000000000"),
            "spec-b.txt",
        )
        other = import_autogiro(
            conn,
            BANKGIRO,
            payment_specification(date(2027, 1, 28), [Debit(a, 16000)], stamp="140000000000"),
            "spec-c.txt",
        )
        entries = _entries(conn)
    assert again.ok and again.booked == [] and again.already_ore == 15000
    assert not other.ok and other.booked == [] and len(other.conflicts) == 1
    assert "annat innehåll" in other.conflicts[0].what
    assert len(entries) == 1


def test_a_refund_books_its_reversal_and_an_unknown_debit_waits_on_suspense(engine):
    with engine.begin() as conn:
        cid, a, _ = _setup(conn)
        import_autogiro(
            conn, BANKGIRO, mandate_advice(date(2026, 12, 3), [(a, "04", "32")]), "medav.txt"
        )
        refund = import_autogiro(
            conn,
            BANKGIRO,
            payment_specification(
                date(2027, 2, 10),
                [Debit(4242, 5000)],
                refunds=[(a, 15000, date(2027, 2, 10), "01")],
            ),
            "spec.txt",
        )
        entries = _entries(conn)
    assert refund.file_ore == 5000 - 15000 == refund.booked_ore
    assert "4242 finns inte" in refund.problems[0] and not refund.ok
    (unknown,) = [e for e in entries if ":4242:" in e.source_key]
    (back,) = [e for e in entries if e.source_key.endswith(":77")]
    assert {(x.account, x.debit_ore, x.credit_ore) for x in unknown.lines} == {
        (BANK, 5000, 0),
        (SUSPENSE, 0, 5000),
    }
    assert {(x.account, x.debit_ore, x.credit_ore) for x in back.lines} == {
        (GIFT_INCOME, 15000, 0),
        (BANK, 0, 15000),
    }
    income = next(x for x in back.lines if x.account == GIFT_INCOME)
    assert (income.network_id, income.contributor_id) == (NETWORK, cid)


def test_a_report_for_another_bankgiro_is_refused_and_keeps_nothing(engine):
    with engine.begin() as conn:
        _setup(conn)
        with pytest.raises(BankFileInvalid) as caught:
            import_autogiro(
                conn,
                BANKGIRO,
                payment_specification(date(2027, 1, 28), [Debit(1, 100)], bankgiro="50501055"),
                "fel.txt",
            )
        kept = conn.execute(
            select(t.autogiro_files).where(t.autogiro_files.c.direction == "in")
        ).all()
    assert "gäller bankgiro 0050501055, inte vårt 0009912346" in str(caught.value)
    assert kept == []


def test_kassan_import_recognises_an_autogiro_report(app, cli, tmp_path):
    app.config.update(BANKGIRO="991-2346")
    with app.extensions["kassan.engine"].begin() as conn:
        _, a, _ = _setup(conn)
    path = tmp_path / "medav.txt"
    path.write_bytes(mandate_advice(date(2026, 12, 3), [(a, "04", "32")]))
    result = cli.invoke(main, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "autogiro-medgivandeavisering" in result.output
    assert "filen och bokföringen stämmer [ok]" in result.output
    result = cli.invoke(main, ["import", str(path)])
    assert result.exit_code == 1 and "redan inläst" in result.output


def test_an_autogiro_giver_counts_as_a_monthly_giver_until_the_mandate_is_cancelled(engine):
    today = date.today()
    with engine.begin() as conn:
        _, a, b = _setup(conn)
        before = dashboard.build(conn, today.year, as_of=today).givers
        import_autogiro(
            conn, BANKGIRO, mandate_advice(today, [(a, "04", "32"), (b, "04", "23")]), "m1.txt"
        )
        active = dashboard.build(conn, today.year, as_of=today)
        network = funding_gap(conn, today.year, network="bolivia", as_of=today)
        mandates.cancel(conn, a, "givarens stopplänk")
        after = dashboard.build(conn, today.year, as_of=today)
    assert (before.paying, before.started) == (0, 0)
    assert (active.givers.paying, active.givers.started, active.givers.stopped) == (1, 1, 0)
    assert network.total.monthly_givers == 1  # the refused mandate b never gave
    assert (after.givers.paying, after.givers.stopped) == (0, 1)
    assert after.gap.churn.stopped == 1
