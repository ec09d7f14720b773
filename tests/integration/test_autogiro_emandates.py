"""Mandates signed in the donor's internet bank (Bankgirot's e-mandate file) taken in: matched
to a contributor by personnummer or organisation number, or made; registered under the payer
number the donor chose, new, answered in the next mandate file (TK04) and active after
Bankgirot's mandate advice. One that cannot be taken in is listed, and leaves nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.money import Money
from ledger.services import contributors, pii
from ledger.services.autogiro import mandates
from ledger.statuses import MandateStatus
from tests.support.autogiro_files import BANKGIRO, CUSTOMER, EMandateRow, e_mandates, mandate_advice
from webhooks.autogiro import outgoing
from webhooks.autogiro.incoming import import_autogiro
from webhooks.bankfiles.autogiro import parse_autogiro

CRYPT = pii.cipher({})
SETTINGS = outgoing.Settings(bankgiro=BANKGIRO, customer_number=CUSTOMER, debit_day=28)
DAY = date(2026, 12, 2)
SARA = EMandateRow(
    7001, "8327009123456700", "198112189876", "JAG VILL GE 150 KR I MÅNADEN", "SARA LIND"
)
KLUBBEN = EMandateRow(
    7002, "3300001212121212", "005560360793", "VI GER 500 KR VARJE MÅNAD", "IF METALL KLUBB 12"
)


def test_e_mandates_are_matched_or_made_and_active_after_bankgirots_approval(engine):
    with engine.begin() as conn:
        sara = contributors.create(
            conn, CRYPT, "person", {"name": "Sara Lind", "personnummer": "19811218-9876"}
        )
        result = import_autogiro(
            conn, BANKGIRO, e_mandates(DAY, [SARA, KLUBBEN]), "emedgiv.txt", crypt=CRYPT
        )
        assert result.ok, result
        mine, club = mandates.get(conn, 7001), mandates.get(conn, 7002)
        klubb = contributors.get(conn, club.contributor_id)
        written = outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 3))
        advice = mandate_advice(date(2026, 12, 5), [(7001, "04", "32"), (7002, "04", "32")])
        assert import_autogiro(conn, BANKGIRO, advice, "medav.txt").ok
        statuses = {p: mandates.get(conn, p).status for p in (7001, 7002)}
        # the form's next mandate takes a payer number of its own, after the donors' ones
        later = mandates.create(
            conn,
            CRYPT,
            mandates.MandateDraft(
                sara, None, Money.kr(100), "198112189876", "3300", "1212121212", "x"
            ),
        )
    assert [o.what.split(" (")[0] for o in result.listed] == [
        "internetbanksmedgivande taget emot"
    ] * 2
    assert (mine.contributor_id, mine.amount, mine.source) == (sara, Money.kr(150), "e-mandate")
    assert (mine.clearing, mine.status) == ("8327", MandateStatus.NEW)
    assert club.amount == Money.kr(500)
    assert (klubb.kind, klubb.organisation_number, klubb.name) == (
        "organisation",
        "556036-0793",
        "IF METALL KLUBB 12",
    )
    assert "Betalarens meddelande: VI GER 500 KR VARJE MÅNAD" in club.consent_text
    assert written is not None and written.new == 2
    tk04 = [r for r in parse_autogiro(written.content, "m.txt").records]
    assert sorted(int(r.payer_number) for r in tk04) == [7001, 7002]
    assert statuses == {7001: MandateStatus.ACTIVE, 7002: MandateStatus.ACTIVE}
    assert later > 7002


def test_an_e_mandate_that_cannot_be_taken_in_is_listed_and_leaves_nothing(engine):
    rows = [
        EMandateRow(7101, "3300001212121212", "196803050000", "100 KR I MÅNADEN", "FEL NUMMER"),
        EMandateRow(7102, "3300001212121212", "191212121212", "100 KR I KVARTALET", "KVARTAL"),
        EMandateRow(7103, "3300001212121212", "191212121212", "JAG VILL GE", "UTAN BELOPP"),
        EMandateRow(7104, "3300001212121212", "191212121212", "200 KR/MÅN", "TOLV TOLV"),
    ]
    with engine.begin() as conn:
        result = import_autogiro(conn, BANKGIRO, e_mandates(DAY, rows), "e.txt", crypt=CRYPT)
        made = conn.scalar(select(func.count()).select_from(t.contributors))
        payers = conn.scalars(select(t.autogiro_mandates.c.payer_number)).all()
    assert not result.ok
    assert len(result.problems) == 3
    assert "7101" in result.problems[0] and "personnummer" in result.problems[0]
    assert "gäller inte en månadsgåva" in result.problems[1]
    assert "säger inget belopp i kronor" in result.problems[2]
    assert all("svara i Autogiro Online" in p for p in result.problems)
    assert payers == [7104] and made == 1  # the refused ones made no contributor either


def test_a_payer_number_already_taken_is_refused_not_overwritten(engine):
    with engine.begin() as conn:
        cid = contributors.create(conn, CRYPT, "person", {"name": "Bo"})
        taken = mandates.create(
            conn,
            CRYPT,
            mandates.MandateDraft(
                cid, None, Money.kr(100), "191212121212", "3300", "1212121212", "x"
            ),
        )
        row = EMandateRow(taken, "8327009123456700", "198112189876", "150 KR I MÅNADEN", "SARA")
        result = import_autogiro(conn, BANKGIRO, e_mandates(DAY, [row]), "e.txt", crypt=CRYPT)
        kept = mandates.get(conn, taken)
    assert "har redan ett medgivande" in result.problems[0]
    assert (kept.contributor_id, kept.amount) == (cid, Money.kr(100))
