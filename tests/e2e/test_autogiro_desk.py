"""``/finance/autogiro`` over HTTP: only finance staff see it; the mandate register with each
mandate's status, next debit and last result; the month's debits expected, approved and
failed; the files to and from Bankgirot. And Bankgirot's reports uploaded at the finance desk
or posted to the API: imported at once, as ``kassan import`` does."""

from __future__ import annotations

import io
import re
from datetime import date

from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.money import Money
from ledger.services import contributors, dimensions, pii, users
from ledger.services.autogiro import mandates
from ledger.statuses import MandateStatus
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
        cid = contributors.create(
            conn, CRYPT, "person", {"name": "Sara Lind", "email": "sara@example.se"}
        )
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
    assert "2027-01: dragen" in text and "2027-01: misslyckad" in text
    assert "godkänd" in text  # the mandates' status in Swedish, as staff read it
    # the month's failed debit, with the giver to contact (the approved one is not listed)
    failed = text.split('id="failed-heading"')[1].split("</table>")[0]
    assert 'href="mailto:sara@example.se"' in failed and "misslyckad" in failed
    assert f"200,00{NBSP}kr" in failed and f"150,00{NBSP}kr" not in failed
    for stored in ("approved", "failed", "active", "sent"):  # never the stored English word
        assert not re.search(rf">\s*{stored}\b|: {stored}<", text), stored
    for name in ("medav.txt", "spec.txt", "autogiro-medgivanden-2026-12-01.txt"):
        assert name in text


def test_only_finance_staff_see_the_autogiro_desk(client, engine):
    assert client.get("/finance/autogiro").status_code in (302, 401)
    _sign_in(client, engine, "leadership")
    assert client.get("/finance/autogiro").status_code == 403


def test_a_month_that_is_no_month_is_a_bad_request(client, engine):
    _sign_in(client, engine, "finance")
    assert client.get("/finance/autogiro?month=2027-13").status_code == 400


def _sent(engine) -> tuple[int, int]:
    """Two mandates in a mandate file to Bankgirot, waiting for its answer."""
    with engine.begin() as conn:
        network = dimensions.create_network(conn, "bolivia", "Bolivia")
        cid = contributors.create(
            conn, CRYPT, "person", {"name": "Sara Lind", "email": "sara@example.se"}
        )
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
    return a, b


def _upload(client, data: bytes, name: str):
    page = client.get("/finance").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/finance/imports",
        data={"csrf_token": csrf, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_autogiro_reports_uploaded_at_the_desk_are_imported_as_kassan_import_does(
    app, client, engine
):
    app.config["BANKGIRO"] = BANKGIRO
    a, b = _sent(engine)
    _sign_in(client, engine, "finance")
    advice = _upload(client, mandate_advice(date(2026, 12, 3), [(a, "04", "32")]), "medav.txt")
    assert advice.status_code == 200
    text = advice.get_data(as_text=True)
    assert "Autogirofil inläst: medav.txt" in text and "autogiro-medgivandeavisering" in text
    assert "Filen och bokföringen stämmer." in text
    with engine.connect() as conn:
        assert mandates.get(conn, a).status is MandateStatus.ACTIVE
        assert mandates.get(conn, b).status is MandateStatus.SENT

    with engine.begin() as conn:
        outgoing.payments_out(conn, SETTINGS, "2027-01", date(2027, 1, 10))
    spec = payment_specification(date(2027, 1, 28), [Debit(a, 15000, "0", "GÅVA 2027-01")])
    booked = _upload(client, spec, "spec.txt")
    assert booked.status_code == 200
    body = booked.get_data(as_text=True)
    assert f"BOKFÖRD rad 3: betalarnummer {a}, 150,00{NBSP}kr: dragning godkänd [G1]" in body
    with engine.connect() as conn:
        keys = conn.scalars(select(t.journal_entries.c.source_key)).all()
        jobs = conn.scalar(select(func.count()).select_from(t.bank_import_jobs))
    assert keys == [f"autogiro:{BANKGIRO.zfill(10)}:{a}:20270128:82"]
    assert jobs == 0  # not a bank-file job: imported in the request

    again = _upload(client, spec, "spec-igen.txt")
    assert again.status_code == 422
    assert "spec-igen.txt är redan inläst" in again.get_data(as_text=True)


def test_an_autogiro_report_uploaded_without_our_bankgiro_is_refused_by_name(app, client, engine):
    app.config["BANKGIRO"] = ""
    a, _ = _sent(engine)
    _sign_in(client, engine, "finance")
    refused = _upload(client, mandate_advice(date(2026, 12, 3), [(a, "04", "32")]), "m.txt")
    assert refused.status_code == 422
    assert "Autogirofiler läses bara in när KASSAN_BANKGIRO är satt" in refused.get_data(
        as_text=True
    )


def test_an_autogiro_report_posted_to_the_api_is_imported_at_once(app, client, engine):
    app.config["BANKGIRO"] = BANKGIRO
    a, b = _sent(engine)
    with engine.begin() as conn:
        users.create_user(conn, "api@kassan.test", PASSWORD, "finance")
        token = users.create_token(conn, "api@kassan.test", "t")
    data = mandate_advice(date(2026, 12, 3), [(a, "04", "32"), (b, "04", "23")])
    answer = client.post(
        "/api/v1/bank-imports",
        data={"file": (io.BytesIO(data), "medav.txt")},
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()["autogiro"]
    assert (body["kind"], body["ok"], body["records"]) == ("autogiro-medgivandeavisering", True, 2)
    assert [o["payer_number"] for o in body["listed"]] == [a, b]
    with engine.connect() as conn:
        assert mandates.get(conn, b).status is MandateStatus.REFUSED
