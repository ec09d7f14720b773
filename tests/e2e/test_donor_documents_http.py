"""Donor documents over HTTP: the donor's signed link (good, tampered, expired, someone else's
gift), the PDFs it downloads, and the finance desk sending a receipt and an annual statement by
e-mail (CSRF and a one-time token; a double submit sends one mail) to a real SMTP server on
loopback (aiosmtpd), with the PDF attached; the receipt e-mail carries the donor's link."""

from __future__ import annotations

import html
import re
import socket
import time
from datetime import date
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from itsdangerous import TimestampSigner
from sqlalchemy import func, select, text

from kassan.web import donor_documents
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import gifts, mail, pii, posting, users
from tests.support.invoicing import add_network, pdf_text

PASSWORD = "korrekt-häst-batteri"
_LOGIN_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_FORM = re.compile(r'<form method="post" action="([^"]+)">(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _person(conn, name, email):
    return conn.execute(
        text(
            "INSERT INTO contributors (kind, name, personnummer_masked, email, created_at) "
            "VALUES ('person', :n, '19811218-****', :e, CURRENT_TIMESTAMP) RETURNING id"
        ),
        {"n": name, "e": email},
    ).scalar_one()


def _gift(conn, key, day, ore, who):
    return posting.post(
        conn,
        Draft(
            date=day,
            text="Gåva via bankgiro",
            series="B",
            source_kind="bank",
            source_key=key,
            lines=(
                LineDraft("1930", ore, 0),
                LineDraft("3993", 0, ore, network="fred", contributor_id=who),
            ),
        ),
    )


@pytest.fixture
def donor(engine):
    with engine.begin() as conn:
        add_network(conn)
        alva = _person(conn, "Alva Andersson", "alva@example.se")
        bo = _person(conn, "Bo Berg", "bo@example.se")
        first = _gift(conn, "bank:A1", date(2025, 12, 30), 500_00, alva)
        second = _gift(conn, "bank:A2", date(2026, 1, 2), 1_234_50, alva)
        other = _gift(conn, "bank:B1", date(2026, 1, 3), 99_00, bo)
    return {"id": alva, "bo": bo, "first": first.id, "second": second.id, "other": other.id}


def _link(app, contributor_id):
    with app.test_request_context():
        return donor_documents.donor_url(contributor_id).removeprefix(
            str(app.config["PUBLIC_BASE_URL"]).rstrip("/")
        )


def test_the_signed_link_lists_gifts_per_year_with_their_documents(app, client, donor):
    path = _link(app, donor["id"])
    page = client.get(path)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Alva Andersson" in body and "Bo Berg" not in body
    assert body.index(">2026<") < body.index(">2025<")  # newest year first
    assert f"{path}/kvitto/{donor['second']}.pdf" in body
    assert f"{path}/arsbesked/2025.pdf" in body
    receipt = client.get(f"{path}/kvitto/{donor['second']}.pdf")
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    words = pdf_text(receipt.data)
    assert "Belopp 1 234,50 kr" in words and "Gåvodatum 2026-01-02" in words
    statement = client.get(f"{path}/arsbesked/2025.pdf")
    assert "Summa 2025 500,00 kr" in pdf_text(statement.data)


def test_the_link_cannot_open_someone_elses_gift_or_an_empty_year(app, client, donor):
    path = _link(app, donor["id"])
    assert client.get(f"{path}/kvitto/{donor['other']}.pdf").status_code == 404
    assert client.get(f"{path}/arsbesked/2019.pdf").status_code == 404


def test_a_tampered_link_is_refused(app, client, donor):
    path = _link(app, donor["id"])
    token = path.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/mina-gavor/{tampered}").status_code == 400
    assert client.get(f"/mina-gavor/{tampered}/kvitto/{donor['first']}.pdf").status_code == 400
    # the stop link of a monthly gift is signed with another salt: no way in with it
    stop = mail.stop_token(app.config["SECRET_KEY"], str(donor["id"]))
    assert client.get(f"/mina-gavor/{stop}").status_code == 400


def test_an_expired_link_is_refused(app, client, donor, monkeypatch):
    old = int(time.time()) - donor_documents.LINK_MAX_AGE - 60
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: old)
        path = _link(app, donor["id"])
    page = client.get(path)
    assert page.status_code == 410
    assert "Länken har gått ut" in page.get_data(as_text=True)
    assert client.get(f"{path}/arsbesked/2025.pdf").status_code == 410


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


@pytest.fixture
def finance(client, engine):
    with engine.begin() as conn:
        users.create_user(conn, "finance@kassan.test", PASSWORD, "finance")
    token = _LOGIN_CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "finance@kassan.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def _form(page: str, action: str) -> dict[str, str]:
    (fields,) = [
        {name: html.unescape(value) for name, value in _HIDDEN.findall(body)}
        for act, body in _FORM.findall(page)
        if act == action
    ]
    return fields


def _outbox(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t.email_outbox)).scalar()


def test_finance_sends_a_receipt_once_with_the_pdf_attached(app, engine, finance, donor, smtp):
    inbox, url = smtp
    page = finance.get(f"/finance/donors/{donor['id']}").get_data(as_text=True)
    action = f"/finance/donors/{donor['id']}/receipts/{donor['second']}/send"
    fields = _form(page, action)
    assert finance.post(action, data=fields).status_code == 302
    assert finance.post(action, data=fields).status_code == 302  # the same form twice
    assert _outbox(engine) == 1
    report = mail.send_due(engine, {**app.config, "SMTP_URL": url})
    assert (report.sent, report.failed) == (1, 0)
    (message,) = inbox.messages
    assert message["To"] == "alva@example.se"
    assert message["Subject"] == "Kvitto på din gåva från Solidaritetsorganisationen"
    assert "/mina-gavor/" in message.get_body(("plain",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "kvitto-B1-2026-01-02.pdf"
    words = pdf_text(attachment.get_content())
    assert "Givare: Alva Andersson" in words and "Belopp 1 234,50 kr" in words


def test_finance_sends_the_annual_statement(app, engine, finance, donor, smtp):
    inbox, url = smtp
    page = finance.get(f"/finance/donors/{donor['id']}").get_data(as_text=True)
    action = f"/finance/donors/{donor['id']}/statements/2026/send"
    assert finance.post(action, data=_form(page, action)).status_code == 302
    mail.send_due(engine, {**app.config, "SMTP_URL": url})
    (message,) = inbox.messages
    assert message["Subject"] == "Årsbesked 2026 från Solidaritetsorganisationen"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "arsbesked-2026.pdf"
    assert "Summa 2026 1 234,50 kr" in pdf_text(attachment.get_content())


def test_sending_needs_the_csrf_token_and_a_finance_user(app, engine, client, donor):
    action = f"/finance/donors/{donor['id']}/statements/2026/send"
    assert client.get(f"/finance/donors/{donor['id']}").status_code == 302  # to the login
    with engine.begin() as conn:
        users.create_user(conn, "lead@kassan.test", PASSWORD, "leadership")
    token = _LOGIN_CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post(
        "/login", data={"csrf_token": token, "email": "lead@kassan.test", "password": PASSWORD}
    )
    assert client.get(f"/finance/donors/{donor['id']}").status_code == 403
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/ledger").get_data(True))
    form = {"csrf_token": fresh.group(1), "token": "a" * 32}
    assert client.post(action, data=form).status_code == 403
    assert _outbox(engine) == 0


def test_a_form_without_its_csrf_token_sends_nothing(engine, finance, donor):
    action = f"/finance/donors/{donor['id']}/statements/2026/send"
    assert finance.post(action, data={"token": "a" * 32}).status_code == 400
    assert _outbox(engine) == 0


def test_the_receipt_email_carries_the_donors_link(app, engine, donor):
    draft = gifts.validate(
        {
            "amount": "200",
            "frequency": "once",
            "donor_kind": "person",
            "donor_name": "Alva Andersson",
            "donor_email": "alva@example.se",
        }
    )
    with engine.begin() as conn:
        public_id = gifts.create_gift(conn, draft, network_id=None, crypt=pii.cipher(app.config))
        conn.execute(
            t.gifts.update()
            .where(t.gifts.c.public_id == public_id)
            .values(contributor_id=donor["id"])
        )
        mail.enqueue_receipt(conn, public_id, "ch_1", 200_00, date(2026, 1, 2), config=app.config)
        body = conn.execute(select(t.email_outbox.c.body_text)).scalar_one()
    link = re.search(r"/mina-gavor/(\S+)", body).group(1)
    assert body.count("Dina gåvor, kvitton och årsbesked") == 1
    page = app.test_client().get(f"/mina-gavor/{link}")
    assert page.status_code == 200 and "Alva Andersson" in page.get_data(as_text=True)
