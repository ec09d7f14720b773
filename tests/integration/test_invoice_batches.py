"""The invoice run with its PDFs made by several processes at once: the same mails and PDFs as
one process makes them, queued in invoice order; a PDF process that dies stops the run naming the
invoice and leaves it issued and unmailed; the next run mails it and issues nothing twice."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future
from datetime import date

import pytest
from pebble import ProcessPool
from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.errors import PdfNotMade
from ledger.services import invoice_run, invoices, pledges
from ledger.services.invoices import Invoice
from ledger.services.verify import verify
from reports import invoice_pdf
from tests.support.invoicing import CONFIG, add_network, add_org, pdf_text, render_then_die

DAY = date(2026, 12, 15)
LETTERHEAD = invoice_pdf.Letterhead.from_config(CONFIG)


def _pledges(engine, emails):
    """One yearly pledge paid by invoice per organisation, due within the run's lead days."""
    with engine.begin() as conn:
        add_network(conn)
        for i, email in enumerate(emails):
            org = add_org(conn, f"Fackklubb {i}", org_number=None, email=email)
            pledges.create(
                conn,
                pledges.validate(
                    {
                        "contributor_id": org,
                        "network": "fred",
                        "amount_ore": 100_000 + i,
                        "period": "year",
                        "start_date": "2027-01-01",
                        "instalments": 1,
                        "payment_way": "invoice",
                    }
                ),
            )


def _outbox(engine):
    """(dedupe key, recipient, subject, body, attachment name, attachment) in queued order."""
    o, a = t.email_outbox.c, t.email_attachments.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.dedupe_key, o.to_addr, o.subject, o.body_text, a.filename, a.data)
            .select_from(t.email_outbox.outerjoin(t.email_attachments, a.outbox_id == o.id))
            .order_by(o.id)
        ).all()
    return [tuple(r) for r in rows]


def _invoice(engine, number):
    with engine.connect() as conn:
        return invoices.get(conn, number)


def _count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_two_pdf_processes_queue_the_same_mails_and_pdfs_in_invoice_order(engine):
    _pledges(engine, ["a@klubb.test", "b@klubb.test", None, "d@klubb.test", "e@klubb.test"])
    # two processes, each replaced after two documents: five PDFs cross three generations
    with invoice_pdf.batch_renderer(CONFIG, workers=2, per_child=2) as render:
        report = invoice_run.run(engine, DAY, config=CONFIG, render=render)
    assert (report.issued, report.mailed, report.without_email) == (5, 4, (3,))
    outbox = _outbox(engine)
    assert [row[0] for row in outbox] == ["invoice:1", "invoice:2", "invoice:4", "invoice:5"]
    for key, recipient, subject, body, name, data in outbox:
        number = int(key.split(":")[1])
        invoice = _invoice(engine, number)
        assert invoice.sent_at is not None
        assert recipient == invoice.recipient.email
        assert subject == f"Faktura {number} från Solidaritetsorganisationen"
        assert invoice.reference in body and str(invoice.total) in body
        assert name == f"faktura-{number}.pdf"
        # the very text the run's process would have made on its own
        assert pdf_text(data) == pdf_text(invoice_pdf.render(invoice, LETTERHEAD))
        assert f"Fakturanummer {number}" in pdf_text(data)
    assert _invoice(engine, 3).sent_at is None  # to be sent by post


class _DiesOn(invoice_pdf.BatchRenderer):
    """The pool's renderer, except that the process making invoice ``number``'s PDF dies."""

    def __init__(self, pool: ProcessPool, number: int) -> None:
        super().__init__(pool, LETTERHEAD, 2)
        self.pool, self.number = pool, number

    def submit(self, invoice: Invoice, reminder_no: int | None) -> Future[bytes]:
        if invoice.number == self.number:
            dying: Future[bytes] = self.pool.schedule(render_then_die, args=(invoice, LETTERHEAD))
            return dying
        return super().submit(invoice, reminder_no)


def test_a_pdf_process_that_dies_stops_the_run_and_the_next_run_mails_the_rest_once(engine):
    emails = [f"kassor{i}@klubb.test" for i in range(8)]
    _pledges(engine, emails)
    pool = ProcessPool(2, max_tasks=3, context=multiprocessing.get_context("spawn"))
    try:
        with pytest.raises(PdfNotMade) as failed:
            invoice_run.run(engine, DAY, config=CONFIG, render=_DiesOn(pool, 3))
    finally:
        pool.stop()
        pool.join()
    assert "faktura 3;" in failed.value.message and "ProcessExpired" in failed.value.message
    assert failed.value.field == "number"
    # the invoices before it are mailed, it is issued and unmailed, nothing after it is mailed
    assert [row[0] for row in _outbox(engine)] == ["invoice:1", "invoice:2"]
    assert _invoice(engine, 3).sent_at is None
    issued_before = _count(engine, t.invoices)
    assert 3 <= issued_before <= 3 + 4  # at most `ahead` (two per process) issued beyond it

    with invoice_pdf.batch_renderer(CONFIG, workers=2) as render:
        again = invoice_run.run(engine, DAY, config=CONFIG, render=render)
        third = invoice_run.run(engine, DAY, config=CONFIG, render=render)
    assert (again.issued, again.mailed) == (8 - issued_before, 6)
    assert (third.issued, third.mailed, third.without_email) == (0, 0, ())
    outbox = _outbox(engine)
    assert [row[0] for row in outbox] == [f"invoice:{n}" for n in range(1, 9)]
    for key, *_, data in outbox:
        invoice = _invoice(engine, int(key.split(":")[1]))
        assert pdf_text(data) == pdf_text(invoice_pdf.render(invoice, LETTERHEAD))
    assert _count(engine, t.journal_entries) == 8
    with engine.connect() as conn:
        numbers = conn.execute(select(t.invoices.c.number).order_by(t.invoices.c.number))
        assert list(numbers.scalars()) == list(range(1, 9))
        assert verify(conn).ok
