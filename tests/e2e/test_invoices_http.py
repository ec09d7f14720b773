"""Pledges and invoices over HTTP: the JSON API (create, list, get, issue, send, credit, PDF) and
the Swedish finance pages (forms with errors next to the field, issue, send, remind, credit)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.services import users
from tests.support.invoicing import add_network, add_org, pdf_text

PASSWORD = "korrekt-häst-batteri"
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def org(engine):
    with engine.begin() as conn:
        add_network(conn)
        return add_org(conn)


@pytest.fixture
def headers(engine):
    with engine.begin() as conn:
        out = {}
        for role in ("finance", "admin", "leadership"):
            users.create_user(conn, f"{role}@kassan.test", PASSWORD, role)
            token = users.create_token(conn, f"{role}@kassan.test", "test")
            out[role] = {"Authorization": f"Bearer {token}"}
        return out


def _count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


PLEDGE = {
    "network": "fred",
    "amount_ore": 250_000,
    "period": "quarter",
    "start_date": "2027-01-01",
    "instalments": 4,
    "payment_way": "invoice",
}


def test_a_pledge_round_trips_through_the_api(client, headers, org):
    created = client.post(
        "/api/v1/pledges", json={**PLEDGE, "contributor_id": org}, headers=headers["finance"]
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["promised_ore"] == 1_000_000 and len(body["instalments"]) == 4
    got = client.get(f"/api/v1/pledges/{body['id']}", headers=headers["admin"]).json
    assert got["instalments"][3]["due_date"] == "2027-10-01"
    listed = client.get("/api/v1/pledges", headers=headers["admin"]).json
    assert [p["id"] for p in listed["items"]] == [body["id"]]
    issued = client.post(
        f"/api/v1/pledges/{body['id']}/instalments/1/invoice", headers=headers["finance"]
    )
    assert issued.status_code == 201 and issued.json["number"] == 1
    again = client.post(
        f"/api/v1/pledges/{body['id']}/instalments/1/invoice", headers=headers["finance"]
    )
    assert again.status_code == 200 and again.json["number"] == 1


def test_a_bad_pledge_gets_422_naming_the_field_and_stores_nothing(client, headers, org, engine):
    bad = client.post(
        "/api/v1/pledges",
        json={**PLEDGE, "contributor_id": org, "instalments": None, "end_date": None},
        headers=headers["finance"],
    )
    assert bad.status_code == 422
    assert bad.json["error"]["field"] == "end_date"
    typed = client.post(
        "/api/v1/pledges",
        json={**PLEDGE, "contributor_id": org, "amount_ore": "100"},
        headers=headers["finance"],
    )
    assert typed.status_code == 422 and typed.json["error"]["field"] == "amount_ore"
    reader = client.post(
        "/api/v1/pledges", json={**PLEDGE, "contributor_id": org}, headers=headers["leadership"]
    )
    assert reader.status_code == 403
    assert _count(engine, t.pledges) == 0


def test_an_invoice_is_issued_sent_credited_and_downloaded_through_the_api(
    client, headers, org, engine
):
    created = client.post(
        "/api/v1/invoices",
        json={
            "contributor_id": org,
            "network": "fred",
            "issue_date": "2026-12-15",
            "lines": [{"description": "Gåva 2027", "amount_ore": 500_000}],
        },
        headers=headers["finance"],
    )
    assert created.status_code == 201, created.json
    invoice = created.json
    assert invoice["due_date"] == "2027-01-14" and invoice["reference"]
    assert invoice["recipient"]["organisation_number"] == "802002-1234"
    sent = client.post("/api/v1/invoices/1/send", headers=headers["finance"])
    assert sent.status_code == 202 and sent.json == {"number": 1, "queued": True}
    assert (
        client.post("/api/v1/invoices/1/send", headers=headers["finance"]).json["queued"] is False
    )
    credit = client.post(
        "/api/v1/invoices/1/credit",
        json={"amount_ore": 100_000, "reason": "Fel"},
        headers=headers["finance"],
    )
    assert credit.status_code == 201 and credit.json["kind"] == "credit_note"
    assert credit.json["number"] == 2 and credit.json["credits_number"] == 1
    too_much = client.post(
        "/api/v1/invoices/1/credit", json={"amount_ore": 400_001}, headers=headers["finance"]
    )
    assert too_much.status_code == 422 and too_much.json["error"]["field"] == "amount"
    after = client.get("/api/v1/invoices/1", headers=headers["admin"]).json
    assert after["outstanding_ore"] == 400_000 and after["credited_ore"] == 100_000
    pdf = client.get("/api/v1/invoices/1/pdf", headers=headers["admin"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert f"OCR-nummer {invoice['reference']}" in pdf_text(pdf.data)
    listed = client.get("/api/v1/invoices", headers=headers["admin"]).json
    assert [i["number"] for i in listed["items"]] == [2, 1]
    missing = client.get("/api/v1/invoices/99", headers=headers["admin"])
    assert missing.status_code == 404


@pytest.fixture
def signed_in(client, engine):
    with engine.begin() as conn:
        users.create_user(conn, "ekonomi@kassan.test", PASSWORD, "finance")
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "ekonomi@kassan.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def _token(client, path):
    return _CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def test_the_pledge_form_shows_swedish_errors_then_saves(signed_in, org, engine):
    token = _token(signed_in, "/finance/pledges/new")
    bad = signed_in.post(
        "/finance/pledges/new",
        data={
            "csrf_token": token,
            "contributor_id": str(org),
            "amount": "mycket",
            "period": "month",
            "start_date": "2027-01-01",
            "instalments": "12",
            "payment_way": "bankgiro",
        },
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="amount-errors"' in html and "Skriv beloppet per period i kronor" in html
    good = signed_in.post(
        "/finance/pledges/new",
        data={
            "csrf_token": token,
            "contributor_id": str(org),
            "network": "fred",
            "amount": "1 000",
            "period": "month",
            "start_date": "2027-01-01",
            "instalments": "12",
            "payment_way": "bankgiro",
        },
    )
    assert good.status_code == 303
    page = signed_in.get(good.headers["Location"]).get_data(as_text=True)
    assert "Åtagande 1: IF Metall avd 3" in page and "12\u00a0000,00\u00a0kr" in page
    assert _count(engine, t.expected_payments) == 12
    assert "IF Metall avd 3" in signed_in.get("/finance/pledges").get_data(as_text=True)


def test_finance_pages_issue_send_remind_and_credit_an_invoice(signed_in, org, engine):
    token = _token(signed_in, "/finance/invoices/new")
    bad = signed_in.post(
        "/finance/invoices/new", data={"csrf_token": token, "contributor_id": str(org)}
    )
    assert bad.status_code == 422 and "Skriv vad fakturan gäller" in bad.get_data(as_text=True)
    made = signed_in.post(
        "/finance/invoices/new",
        data={
            "csrf_token": token,
            "contributor_id": str(org),
            "network": "fred",
            "description": "Gåva 2027",
            "amount": "5 000",
            "issue_date": "2026-12-15",
        },
    )
    assert made.status_code == 303 and made.headers["Location"].endswith("/finance/invoices/1")
    page = signed_in.get("/finance/invoices/1").get_data(as_text=True)
    assert "Faktura 1" in page and "5\u00a0000,00\u00a0kr" in page
    assert signed_in.post("/finance/invoices/1/send", data={"csrf_token": token}).status_code == 303
    assert (
        signed_in.post("/finance/invoices/1/remind", data={"csrf_token": token}).status_code == 303
    )
    too_much = signed_in.post(
        "/finance/invoices/1/credit", data={"csrf_token": token, "amount": "6 000"}
    )
    assert too_much.status_code == 422
    assert "Du kan kreditera högst det som är obetalt" in too_much.get_data(as_text=True)
    credited = signed_in.post(
        "/finance/invoices/1/credit", data={"csrf_token": token, "amount": "1 000", "reason": "Fel"}
    )
    assert credited.status_code == 303 and credited.headers["Location"].endswith(
        "/finance/invoices/2"
    )
    with engine.connect() as conn:
        keys = sorted(conn.execute(select(t.email_outbox.c.dedupe_key)).scalars())
    assert keys == ["invoice:1", "invoice:1:reminder:1"]
    pdf = signed_in.get("/finance/invoices/2.pdf")
    assert pdf.mimetype == "application/pdf" and "Kreditfaktura" in pdf_text(pdf.data)
    listing = signed_in.get("/finance/invoices").get_data(as_text=True)
    assert "kreditfaktura" in listing and "IF Metall avd 3" in listing
