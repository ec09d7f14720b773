"""The e-mail outbox: mail is written in the same transaction as what caused it, sent later.

``enqueue`` inserts one row per dedupe key (the UNIQUE constraint makes a second enqueue of
the same receipt a no-op), so booking a gift never waits on, or fails with, the mail server.
``send_due`` delivers what is due over SMTP (``SMTP_URL``); a failure leaves the row queued
with its attempt counted and the next try pushed back (exponential, capped), never dropped.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from babel.dates import format_date
from itsdangerous import URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Connection, Engine, select

from ledger.db import dialect
from ledger.db import tables as t
from ledger.errors import MailConfigError
from ledger.money import Money
from ledger.services import gifts

__all__ = [
    "DONOR_SALT",
    "STOP_SALT",
    "Attachment",
    "SendReport",
    "backoff",
    "donor_token",
    "enqueue",
    "enqueue_receipt",
    "render_text",
    "send_due",
    "stop_token",
]

STOP_SALT = "stop-monthly"
DONOR_SALT = "donor-documents"  # the donor's own page of gifts, receipts and annual statements
LEASE = timedelta(minutes=5)  # a sender that dies mid-send frees its mail after this
MAX_BACKOFF = timedelta(hours=6)
_TEMPLATES = Path(__file__).resolve().parent / "mail_texts"
_env = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    undefined=StrictUndefined,
    autoescape=False,  # plain-text mail
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a mail (an invoice's PDF); stored with the queued mail."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int
    failed: int


def backoff(attempts: int) -> timedelta:
    """Wait before try ``attempts + 1``: 1, 2, 4, ... minutes, at most six hours."""
    return min(timedelta(minutes=2 ** max(0, min(attempts - 1, 12))), MAX_BACKOFF)


def enqueue(
    conn: Connection,
    dedupe_key: str,
    to_addr: str,
    subject: str,
    body_text: str,
    attachments: Sequence[Attachment] = (),
) -> bool:
    """Queue a mail once per ``dedupe_key``; ``False`` when it was queued before."""
    now = datetime.now(UTC)
    result = conn.execute(
        dialect.insert(conn, t.email_outbox)
        .values(
            dedupe_key=dedupe_key,
            to_addr=to_addr,
            subject=subject,
            body_text=body_text,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(t.email_outbox.c.id)
    )
    row = result.first()
    if row is not None and attachments:
        conn.execute(
            t.email_attachments.insert(),
            [
                {
                    "outbox_id": row.id,
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "data": a.data,
                }
                for a in attachments
            ],
        )
    return row is not None


def render_text(template: str, **values: object) -> str:
    """A plain-text mail of ``mail_texts/<template>`` (every value it names must be given)."""
    return _env.get_template(template).render(**values)


def stop_token(secret_key: str, public_id: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt=STOP_SALT).dumps(public_id)


def donor_token(secret_key: str, contributor_id: int) -> str:
    """The signed, expiring key to a contributor's ``/mina-gavor/<token>`` page."""
    return URLSafeTimedSerializer(secret_key, salt=DONOR_SALT).dumps(contributor_id)


# How the donor paid, as the receipt names it (``gifts.channel``).
CHANNEL_NAMES = {
    "card": "Kort",
    "swish": "Swish",
    "bankgiro": "Bankgiro",
    "invoice": "Faktura",
    "autogiro": "Autogiro",
}


def enqueue_receipt(
    conn: Connection,
    gift_public_id: str,
    payment_ref: str,
    amount_ore: int,
    paid_on: date,
    *,
    config: Mapping[str, object] | None = None,
) -> bool:
    """Queue the Swedish receipt for one payment of a gift (once per payment).

    ``config`` is the app's configuration: ``SECRET_KEY`` (the stop link of a monthly gift),
    ``PUBLIC_BASE_URL`` and ``ORGANISATION_NAME``/``ORGANISATION_NUMBER``. The ledger knows no
    web framework, so a caller that books a paid gift must pass it.
    """
    if config is None:
        raise ValueError("enqueue_receipt needs the app configuration (config=...)")
    cfg = config
    gift = gifts.get_gift(conn, gift_public_id)
    if gift is None:
        raise LookupError(f"no gift {gift_public_id!r}")
    base = str(cfg.get("PUBLIC_BASE_URL") or "").rstrip("/")
    stop_url = None
    if gift.frequency == "monthly":
        stop_url = f"{base}/sluta/{stop_token(str(cfg['SECRET_KEY']), gift.public_id)}"
    contributor_id = conn.scalar(select(t.gifts.c.contributor_id).where(t.gifts.c.id == gift.id))
    donor_url = None
    if contributor_id is not None:
        donor_url = f"{base}/mina-gavor/{donor_token(str(cfg['SECRET_KEY']), contributor_id)}"
    body = _env.get_template("receipt.txt").render(
        gift=gift,
        amount=str(Money(amount_ore, gift.currency)),
        paid_on=format_date(paid_on, "long", locale="sv_SE"),
        payment_ref=payment_ref,
        channel=CHANNEL_NAMES.get(gift.channel, gift.channel),
        stop_url=stop_url,
        donor_url=donor_url,
        organisation=cfg.get("ORGANISATION_NAME"),
        organisation_number=cfg.get("ORGANISATION_NUMBER"),
    )
    return enqueue(
        conn,
        f"receipt:{gift.public_id}:{payment_ref}",
        gift.donor_email,
        "Kvitto på din gåva",
        body,
    )


def _claim(engine: Engine, row_id: int, due: datetime, now: datetime) -> bool:
    o = t.email_outbox.c
    with engine.begin() as conn:
        result = conn.execute(
            t.email_outbox.update()
            .where(o.id == row_id, o.sent_at.is_(None), o.next_attempt_at == due)
            .values(next_attempt_at=now + LEASE)
        )
    return result.rowcount == 1


def _smtp(url: str) -> smtplib.SMTP:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailConfigError("SMTP_URL must look like smtp://host:port or smtps://host:port")
    timeout = 30
    if parts.scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=timeout)
        if parse_qs(parts.query).get("starttls") == ["1"]:
            server.starttls(context=ssl.create_default_context())
    if parts.username:
        server.login(unquote(parts.username), unquote(parts.password or ""))
    return server


def _message(row: object, sender: str, attachments: Sequence[Attachment] = ()) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = row.to_addr  # type: ignore[attr-defined]
    msg["Subject"] = row.subject  # type: ignore[attr-defined]
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(row.body_text)  # type: ignore[attr-defined]
    for a in attachments:
        maintype, _, subtype = a.content_type.partition("/")
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    return msg


def send_due(
    engine: Engine, config: Mapping[str, object], *, limit: int = 100, now: datetime | None = None
) -> SendReport:
    """Send up to ``limit`` due mails; each success or failure is recorded on its own row."""
    url = str(config.get("SMTP_URL") or "")
    if not url:
        raise MailConfigError("SMTP_URL is not set")
    sender = str(config.get("MAIL_FROM") or "")
    moment = now or datetime.now(UTC)
    o = t.email_outbox.c
    with engine.connect() as conn:
        due = conn.execute(
            select(o.id, o.next_attempt_at)
            .where(o.sent_at.is_(None), o.next_attempt_at <= moment)
            .order_by(o.next_attempt_at, o.id)
            .limit(limit)
        ).all()
    sent = failed = 0
    server: smtplib.SMTP | None = None
    try:
        for row_id, due_at in due:
            if not _claim(engine, row_id, due_at, moment):
                continue  # another sender has it
            with engine.connect() as conn:
                row = conn.execute(select(t.email_outbox).where(o.id == row_id)).one()
                files = [
                    Attachment(f.filename, f.content_type, bytes(f.data))
                    for f in conn.execute(
                        select(t.email_attachments)
                        .where(t.email_attachments.c.outbox_id == row_id)
                        .order_by(t.email_attachments.c.id)
                    )
                ]
            try:
                if server is None:
                    server = _smtp(url)
                server.send_message(_message(row, sender, files))
            except (OSError, smtplib.SMTPException) as exc:
                failed += 1
                _drop(server)
                server = None
                values = {
                    "attempts": row.attempts + 1,
                    "next_attempt_at": moment + backoff(row.attempts + 1),
                    "last_error": f"{type(exc).__name__}: {exc}"[:1000],
                }
            else:
                sent += 1
                values = {"attempts": row.attempts + 1, "sent_at": moment, "last_error": None}
            with engine.begin() as conn:
                conn.execute(t.email_outbox.update().where(o.id == row_id).values(**values))
    finally:
        _drop(server)
    return SendReport(sent=sent, failed=failed)


def _drop(server: smtplib.SMTP | None) -> None:
    if server is not None:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
