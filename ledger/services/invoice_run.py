"""The invoice run and the mail that carries invoices: ``kassan invoices run --date D`` issues an
invoice for every pledge instalment paid by invoice that falls due by D plus the lead days, and
mails each with its PDF; ``kassan invoices remind --date D`` reminds about unpaid ones.

Both are safe to run again: an instalment has at most one invoice (a unique key), a mail is
queued once per dedupe key (``invoice:<number>``, ``invoice:<number>:reminder:<n>``) and a
reminder once per invoice and number (a primary key). Each invoice is issued in a transaction of
its own, so a run that stops half-way keeps what it issued and the next run goes on from there.
The PDFs are made by a renderer the caller passes in (``reports.invoice_pdf``), outside any
transaction, so no lock is held while WeasyPrint works; a batch hands each document to it as soon
as it is issued and queues the mails in order as the PDFs come back (``pdf_batch``), so every
core makes PDFs while the run issues the next invoices. An invoice whose PDF could not be made
stays issued and unmailed: the run stops with ``PdfNotMade`` and the next run mails it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Connection, Engine, func, select

from ledger.db import dialect
from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.payment_instructions import format_bankgiro
from ledger.services import expected, invoices, mail
from ledger.services.invoices import Invoice
from ledger.services.pdf_batch import Document, Render, Renderer, in_order

__all__ = [
    "RemindReport",
    "RunReport",
    "due_instalments",
    "issue_instalment",
    "next_reminder",
    "remind",
    "remind_one",
    "run",
    "send",
]

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "mail_texts"),
    undefined=StrictUndefined,
    autoescape=False,  # plain-text mail
    keep_trailing_newline=True,
)
_QUARTERS = {1: "första", 2: "andra", 3: "tredje", 4: "fjärde"}


@dataclass(frozen=True, slots=True)
class RunReport:
    issued: int
    mailed: int
    without_email: tuple[int, ...]  # invoice numbers to send by post


@dataclass(frozen=True, slots=True)
class RemindReport:
    reminded: int
    mailed: int
    without_email: tuple[int, ...]


def due_instalments(conn: Connection, through: date) -> list[int]:
    """Invoice-paid instalments due by ``through`` that have no invoice yet, oldest first."""
    i, p, inv = t.pledge_instalments.c, t.pledges.c, t.invoices.c
    rows = conn.execute(
        select(i.id)
        .select_from(
            t.pledge_instalments.join(t.pledges, p.id == i.pledge_id).outerjoin(
                t.invoices, inv.pledge_instalment_id == i.id
            )
        )
        .where(p.payment_way == "invoice", i.due_date <= through, inv.id.is_(None))
        .order_by(i.due_date, i.id)
    )
    return [int(r.id) for r in rows]


def _period_label(period: str, due: date) -> str:
    if period == "month":
        return format_date(due, "LLLL y", locale="sv_SE")
    if period == "quarter":
        return f"{_QUARTERS[(due.month - 1) // 3 + 1]} kvartalet {due.year}"
    return f"år {due.year}"


def issue_instalment(
    conn: Connection, instalment_id: int, *, on: date, due_days: int
) -> tuple[Invoice, bool]:
    """The instalment's invoice: issued now, or the one it already has (``False``)."""
    i, p, n = t.pledge_instalments.c, t.pledges.c, t.networks.c
    row = conn.execute(
        select(
            i.due_date, i.amount_ore, i.currency, p.id, p.contributor_id, p.period, n.slug, n.name
        )
        .select_from(
            t.pledge_instalments.join(t.pledges, p.id == i.pledge_id).outerjoin(
                t.networks, n.id == p.network_id
            )
        )
        .where(i.id == instalment_id)
    ).one()
    target = f"solidaritetsnätverket {row.name}" if row.name else "arbetet där behovet är störst"
    text = f"Gåva till {target}, {_period_label(row.period, row.due_date)} (åtagande {row.id})"
    return invoices.issue(
        conn,
        contributor_id=row.contributor_id,
        network=row.slug,
        lines=[(text[:200], Money(int(row.amount_ore), row.currency))],
        issue_date=on,
        due_days=due_days,
        pledge_instalment_id=instalment_id,
    )


def _values(config: Mapping[str, object], invoice: Invoice) -> dict[str, object]:
    bankgiro = config.get("BANKGIRO")
    return {
        "invoice": invoice,
        "total": str(invoice.total),
        "outstanding": str(invoice.outstanding),
        "bankgiro": format_bankgiro(str(bankgiro)) if bankgiro else None,
        "organisation": config.get("ORGANISATION_NAME"),
        "organisation_number": config.get("ORGANISATION_NUMBER"),
    }


def _pdf(invoice: Invoice, pdf: bytes) -> mail.Attachment:
    word = "kreditfaktura" if invoice.kind == "credit_note" else "faktura"
    return mail.Attachment(f"{word}-{invoice.number}.pdf", "application/pdf", pdf)


def send(conn: Connection, invoice: Invoice, pdf: bytes, config: Mapping[str, object]) -> bool:
    """Queue the document with its PDF to the recipient's invoice e-mail, once; ``False`` when
    it was queued before. Raises when the recipient has no e-mail address."""
    if not invoice.recipient.email:
        raise LedgerError(
            f"{invoice.recipient.name} has no invoice e-mail address; send it by post",
            "recipient_email",
        )
    word = "Kreditfaktura" if invoice.kind == "credit_note" else "Faktura"
    queued = mail.enqueue(
        conn,
        f"invoice:{invoice.number}",
        invoice.recipient.email,
        f"{word} {invoice.number} från {config.get('ORGANISATION_NAME')}",
        _env.get_template("invoice.txt").render(**_values(config, invoice)),
        [_pdf(invoice, pdf)],
    )
    conn.execute(
        t.invoices.update()
        .where(t.invoices.c.id == invoice.id, t.invoices.c.sent_at.is_(None))
        .values(sent_at=datetime.now(UTC))
    )
    return queued


def _unsent(engine: Engine) -> list[int]:
    """Pledge invoices whose mail is not queued yet, by number."""
    inv = t.invoices.c
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(inv.number)
                .where(inv.sent_at.is_(None), inv.pledge_instalment_id.is_not(None))
                .order_by(inv.number)
            ).scalars()
        )


def run(
    engine: Engine,
    on: date,
    *,
    config: Mapping[str, object],
    render: Renderer,
    progress: Callable[[int], None] | None = None,
) -> RunReport:
    """Issue what falls due by ``on`` + INVOICE_LEAD_DAYS, then mail every unsent pledge invoice.

    The mails go out by invoice number: first those an earlier run issued but did not mail,
    then each new invoice as it is issued (its PDF made meanwhile), then any that another run
    issued meanwhile."""
    through = on + timedelta(days=int(str(config.get("INVOICE_LEAD_DAYS", 30))))
    due_days = int(str(config.get("INVOICE_DUE_DAYS", 30)))
    with engine.connect() as conn:
        todo = due_instalments(conn, through)
    earlier = _unsent(engine)
    seen: set[int] = set()
    issued = 0

    def documents() -> Iterator[Document[int]]:
        nonlocal issued
        for number in earlier:
            yield _document(engine, number, seen)
        for done, instalment_id in enumerate(todo, 1):
            with engine.begin() as conn:
                invoice, new = issue_instalment(conn, instalment_id, on=on, due_days=due_days)
            issued += new
            if progress is not None:
                progress(done)
            if invoice.sent_at is None and invoice.number not in seen:
                seen.add(invoice.number)
                yield Document(invoice.number, invoice, pdf=bool(invoice.recipient.email))
        for number in _unsent(engine):
            if number not in seen:
                yield _document(engine, number, seen)

    mailed, postal = 0, []
    for doc, pdf in in_order(render, documents()):
        if pdf is None:
            postal.append(doc.key)
            continue
        with engine.begin() as conn:
            mailed += send(conn, doc.invoice, pdf, config)
    return RunReport(issued=issued, mailed=mailed, without_email=tuple(postal))


def _document(engine: Engine, number: int, seen: set[int]) -> Document[int]:
    seen.add(number)
    with engine.connect() as conn:
        invoice = invoices.get(conn, number)
    return Document(number, invoice, pdf=bool(invoice.recipient.email))


def _reminders_due(conn: Connection, today: date, every: int, most: int) -> list[tuple[int, int]]:
    """(invoice number, reminder number) for unpaid invoices whose next reminder is due."""
    inv, ep, r = t.invoices.c, t.expected_payments.c, t.invoice_reminders.c
    sent = (
        select(func.count())
        .select_from(t.invoice_reminders)
        .where(r.invoice_id == inv.id)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(inv.number, inv.due_date, sent.label("sent"))
        .select_from(t.invoices.join(t.expected_payments, ep.id == inv.expected_payment_id))
        .where(
            inv.kind == "invoice",
            ep.status.in_(expected.OPEN_STATUSES),
            inv.due_date < today,
            sent < most,
        )
        .order_by(inv.number)
    )
    return [
        (int(row.number), int(row.sent) + 1)
        for row in rows
        if today >= row.due_date + timedelta(days=every * (int(row.sent) + 1))
    ]


def _record_reminder(conn: Connection, invoice_id: int, n: int, on: date) -> bool:
    result = conn.execute(
        dialect.insert(conn, t.invoice_reminders)
        .values(invoice_id=invoice_id, reminder_no=n, reminded_on=on, created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["invoice_id", "reminder_no"])
        .returning(t.invoice_reminders.c.invoice_id)
    )
    return result.first() is not None


def _remindable(engine: Engine, number: int) -> Invoice:
    with engine.connect() as conn:
        invoice = invoices.get(conn, number)
    if invoice.kind != "invoice" or invoice.outstanding.ore <= 0:
        raise LedgerError(f"invoice {number} has nothing left to pay", "number")
    return invoice


def _make_reminder(
    engine: Engine,
    invoice: Invoice,
    n: int,
    today: date,
    pdf: bytes | None,
    config: Mapping[str, object],
) -> tuple[bool, bool]:
    """Record reminder ``n`` and queue its mail with ``pdf`` in one transaction, once."""
    with engine.begin() as conn:
        if not _record_reminder(conn, invoice.id, n, today):
            return False, False  # another run made this reminder
        if not invoice.recipient.email or pdf is None:
            return True, False
        mailed = mail.enqueue(
            conn,
            f"invoice:{invoice.number}:reminder:{n}",
            invoice.recipient.email,
            f"Påminnelse: faktura {invoice.number} från {config.get('ORGANISATION_NAME')}",
            _env.get_template("invoice_reminder.txt").render(
                **_values(config, invoice), reminder_no=n
            ),
            [_pdf(invoice, pdf)],
        )
    return True, mailed


def remind_one(
    engine: Engine,
    number: int,
    n: int,
    today: date,
    *,
    config: Mapping[str, object],
    render: Render,
) -> tuple[bool, bool]:
    """Make reminder ``n`` of invoice ``number`` once: (made now, mailed now)."""
    invoice = _remindable(engine, number)
    pdf = render(invoice, n) if invoice.recipient.email else None
    return _make_reminder(engine, invoice, n, today, pdf, config)


def next_reminder(conn: Connection, invoice_id: int) -> int:
    r = t.invoice_reminders.c
    made = conn.execute(
        select(func.count()).select_from(t.invoice_reminders).where(r.invoice_id == invoice_id)
    ).scalar()
    return int(made or 0) + 1


def remind(
    engine: Engine, today: date, *, config: Mapping[str, object], render: Renderer
) -> RemindReport:
    """Mark what is past due as overdue, then make each reminder that is due, once, in the
    order of the invoice numbers (the PDFs made ahead by ``render``)."""
    every = int(str(config.get("INVOICE_REMINDER_DAYS", 14)))
    most = int(str(config.get("INVOICE_MAX_REMINDERS", 2)))
    with engine.begin() as conn:
        expected.mark_overdue(conn, today)
        due = _reminders_due(conn, today, every, most)
    documents = (
        Document((number, n), invoice, n, pdf=bool(invoice.recipient.email))
        for number, n in due
        for invoice in (_remindable(engine, number),)
    )
    reminded = mailed = 0
    postal = []
    for doc, pdf in in_order(render, documents):
        number, n = doc.key
        made, sent = _make_reminder(engine, doc.invoice, n, today, pdf, config)
        reminded += made
        mailed += sent
        if made and not sent:
            postal.append(number)
    return RemindReport(reminded=reminded, mailed=mailed, without_email=tuple(postal))
