"""The e-mail outbox against a real SMTP server on loopback (aiosmtpd): the receipt's text,
one mail per payment, and a failed send that stays queued and goes out on a later run."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from kassan.cli.mail import mail_cli
from ledger.db import tables as t
from ledger.services import dimensions, gifts, mail, pii

NBSP = "\u00a0"
CRYPT = pii.cipher({"KASSAN_ENV": "test"})
CONFIG = {
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    "PUBLIC_BASE_URL": "https://ge.kassan.test",
    "ORGANISATION_NAME": "Solidaritetsorganisationen",
    "ORGANISATION_NUMBER": "802000-0000",
    "MAIL_FROM": "gavor@kassan.test",
}


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gift(engine, frequency="once", network=True):
    draft = gifts.validate(
        {
            "amount": "200",
            "frequency": frequency,
            "donor_kind": "person",
            "donor_name": "Anna Andersson",
            "donor_email": "anna@example.se",
        }
    )
    with engine.begin() as conn:
        net = dimensions.create_network(conn, "fred", "Fred och demokrati") if network else None
        return gifts.create_gift(conn, draft, network_id=net, crypt=CRYPT)


def _outbox(engine):
    with engine.connect() as conn:
        return conn.execute(select(t.email_outbox).order_by(t.email_outbox.c.id)).all()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite gives naive UTC


def test_a_receipt_is_sent_through_smtp_with_the_gifts_details(engine, smtp):
    inbox, url = smtp
    pid = _gift(engine)
    with engine.begin() as conn:
        assert mail.enqueue_receipt(conn, pid, "pi_123", 123450, date(2026, 11, 28), config=CONFIG)
    report = mail.send_due(engine, {**CONFIG, "SMTP_URL": url})
    assert (report.sent, report.failed) == (1, 0)
    ((recipients, message),) = inbox.messages
    assert recipients == ["anna@example.se"]
    assert message["From"] == "gavor@kassan.test" and message["Subject"] == "Kvitto på din gåva"
    body = message.get_content()
    assert f"1{NBSP}234,50{NBSP}kr" in body
    assert "Fred och demokrati" in body and "28 november 2026" in body
    assert "Engångsgåva" in body and "pi_123" in body and "/sluta/" not in body
    assert "Betalsätt:   Kort" in body  # a card gift (the form's default channel)
    (row,) = _outbox(engine)
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None
    assert mail.send_due(engine, {**CONFIG, "SMTP_URL": url}).sent == 0  # never twice


def test_a_monthly_receipt_carries_a_signed_stop_link(engine, smtp):
    inbox, url = smtp
    pid = _gift(engine, frequency="monthly", network=False)
    with engine.begin() as conn:
        mail.enqueue_receipt(conn, pid, "in_1", 10000, date(2026, 11, 28), config=CONFIG)
    mail.send_due(engine, {**CONFIG, "SMTP_URL": url})
    body = inbox.messages[0][1].get_content()
    assert "Månadsgåva" in body and "Där behovet är störst" in body
    link = next(line for line in body.splitlines() if "/sluta/" in line).strip()
    assert link.startswith("https://ge.kassan.test/sluta/")
    token = link.rsplit("/", 1)[1]
    signer = URLSafeTimedSerializer(CONFIG["SECRET_KEY"], salt="stop-monthly")
    assert signer.loads(token, max_age=60) == pid


def test_one_receipt_per_payment_whatever_calls_it_twice(engine):
    pid = _gift(engine, frequency="monthly")
    with engine.begin() as conn:
        assert mail.enqueue_receipt(conn, pid, "in_1", 10000, date(2026, 11, 28), config=CONFIG)
        assert not mail.enqueue_receipt(conn, pid, "in_1", 10000, date(2026, 11, 28), config=CONFIG)
        assert mail.enqueue_receipt(conn, pid, "in_2", 10000, date(2026, 12, 28), config=CONFIG)
    assert [r.dedupe_key for r in _outbox(engine)] == [f"receipt:{pid}:in_1", f"receipt:{pid}:in_2"]


def test_a_failed_send_stays_queued_with_backoff_and_a_later_run_sends_it(engine, smtp):
    inbox, url = smtp
    pid = _gift(engine)
    with engine.begin() as conn:
        mail.enqueue_receipt(conn, pid, "pi_9", 50000, date(2026, 11, 28), config=CONFIG)
    down = f"smtp://127.0.0.1:{_free_port()}"  # nothing listens there
    start = datetime.now(UTC)
    report = mail.send_due(engine, {**CONFIG, "SMTP_URL": down}, now=start)
    assert (report.sent, report.failed) == (0, 1)
    (row,) = _outbox(engine)
    assert row.sent_at is None and row.attempts == 1 and "ConnectionRefused" in row.last_error
    assert _utc(row.next_attempt_at) == start + mail.backoff(1) > start
    # Not due yet: a run now leaves it alone; once due, it goes out.
    assert mail.send_due(engine, {**CONFIG, "SMTP_URL": url}, now=start).sent == 0
    later = start + mail.backoff(1) + timedelta(seconds=1)
    assert mail.send_due(engine, {**CONFIG, "SMTP_URL": url}, now=later).sent == 1
    (row,) = _outbox(engine)
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None
    assert len(inbox.messages) == 1


def test_backoff_doubles_and_is_capped():
    assert [mail.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert mail.backoff(40) == mail.MAX_BACKOFF


def test_the_mail_send_command_sends_the_queue(app, cli, engine, smtp):
    inbox, url = smtp
    pid = _gift(engine)
    with app.app_context(), engine.begin() as conn:
        mail.enqueue_receipt(conn, pid, "pi_1", 20000, date(2026, 11, 28), config=app.config)
    app.config["SMTP_URL"] = url
    result = cli.invoke(mail_cli, ["send"])
    assert result.exit_code == 0, result.output
    assert "skickade 1, misslyckades 0" in result.output
    assert len(inbox.messages) == 1


def test_the_mail_send_command_needs_an_smtp_url(app, cli):
    app.config["SMTP_URL"] = None
    result = cli.invoke(mail_cli, ["send"])
    assert result.exit_code != 0 and "SMTP_URL" in result.output
