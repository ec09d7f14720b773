"""``/finance/autogiro`` over HTTP: only finance staff see it; the mandate register with each
mandate's status, next debit and last result; the month's debits expected, approved and
failed; the files to and from Bankgirot."""

from __future__ import annotations

import re
from datetime import date

from ledger.money import Money
from ledger.services import contributors, dimensions, pii, users
from ledger.services.autogiro import mandates
from tests.support.autogiro_files import BANKGIRO, Debit, mandate_advice, payment_specification
from webhooks.autogiro import outgoing
from webhooks.autogiro.incoming import import_autogiro

CRYPT = pii.cipher({})
SETTINGS = outgoing.Settings(bankgiro=BANKGIRO, customer_number="471117", debit_day=28)
PASSWORD = "korrekt-häst-batteri"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
NBSP = "\u00a0"


def _sign_in(client, engine, role):
    with engine.begin() as conn:
        users.create_user(conn, f"{role}@kassan.test", PASSWORD, role)
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post(
        "/login", data={"csrf_token": token, "email": f"{role}@kassan.test", "password": PASSWORD}
    )


def _register(engine):
    with engine.begin() as conn:
        network = dimensions.create_network(conn, "bolivia", "Bolivia")
        cid = contributors.create(conn, CRYPT, "person", {"name": "Sara Lind"})
        draft = mandates.MandateDraft
        a = mandates.create(
            conn,
            CRYPT,
            draft(
                cid,
                network,
                Money.kr(150),
                "19811218-9876",
                "8327-9",
                "9123456700",
                "Jag medger ...",
            ),
        )
        b = mandates.create(
            conn,
            CRYPT,
            draft(cid, None, Money.kr(200), "19811218-9876", "6000", "123456789", "Jag medger ..."),
        )
        outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 1))
        import_autogiro(
            conn,
            BANKGIRO,
            mandate_advice(date(2026, 12, 3), [(a, "04", "32"), (b, "04", "32")]),
            "medav.txt",
        )
        outgoing.payments_out(conn, SETTINGS, "2027-01", date(2027, 1, 10))
        import_autogiro(
            conn,
            BANKGIRO,
            payment_specification(
                date(2027, 1, 28),
                [Debit(a, 15000, "0", "GÅVA 2027-01"), Debit(b, 20000, "1", "GÅVA 2027-01")],
            ),
            "spec.txt",
        )
    return a, b


def test_the_autogiro_desk_shows_the_register_the_month_and_the_files(client, engine):
    _register(engine)
    _sign_in(client, engine, "finance")
    page = client.get("/finance/autogiro?month=2027-01")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    expected = re.search(r"Väntade \(beställda\)</th><td class=\"num\">(\d+)</td>", text)
    approved = re.search(
        r"Godkända</th><td class=\"num\">(\d+)</td><td class=\"num\">([^<]+)<", text
    )
    failed = re.search(
        r"Misslyckade</th><td class=\"num\">(\d+)</td><td class=\"num\">([^<]+)<", text
    )
    assert expected.group(1) == "2"
    assert (approved.group(1), approved.group(2)) == ("1", f"150,00{NBSP}kr")
    assert (failed.group(1), failed.group(2)) == ("1", f"200,00{NBSP}kr")
    assert "Sara Lind" in text and "Bolivia" in text and "Där det behövs mest" in text
    assert "2027-03-01" in text  # the next debit: 28 February 2027 is a Sunday
    assert "2027-01: approved" in text and "2027-01: failed" in text
    for name in ("medav.txt", "spec.txt", "autogiro-medgivanden-2026-12-01.txt"):
        assert name in text


def test_only_finance_staff_see_the_autogiro_desk(client, engine):
    assert client.get("/finance/autogiro").status_code in (302, 401)
    _sign_in(client, engine, "leadership")
    assert client.get("/finance/autogiro").status_code == 403


def test_a_month_that_is_no_month_is_a_bad_request(client, engine):
    _sign_in(client, engine, "finance")
    assert client.get("/finance/autogiro?month=2027-13").status_code == 400
