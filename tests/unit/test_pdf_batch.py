"""``pdf_batch.in_order`` without processes: PDFs handed back in the documents' order whatever
order they finish in, the documents read at most ``ahead`` beyond what was handed back, and the
first failed PDF stopping the batch with the invoice named and the rest cancelled."""

from __future__ import annotations

import os
from concurrent.futures import Future
from datetime import date
from typing import cast

import pytest

from ledger.config import from_environment
from ledger.errors import ConfigError, PdfNotMade
from ledger.services.invoices import Invoice, Recipient
from ledger.services.pdf_batch import Document, in_order
from reports import invoice_pdf


def _invoice(number: int) -> Invoice:
    return Invoice(
        id=number,
        number=number,
        kind="invoice",
        credits_number=None,
        contributor_id=1,
        network="fred",
        network_name="Fred",
        issue_date=date(2027, 1, 2),
        due_date=date(2027, 2, 1),
        currency="SEK",
        total_ore=100,
        credited_ore=0,
        paid_ore=0,
        reference="1234",
        expected_status="open",
        entry_id=number,
        pledge_instalment_id=None,
        recipient=Recipient(name="Klubben", org_number=None, contact=None, address=(), email="k@x"),
        sent_at=None,
        lines=(),
    )


class _Pending:
    """A renderer whose PDFs are made at once, except ``fail`` (raises) and ``hold`` (never
    finished, so still in flight)."""

    def __init__(self, ahead: int, fail: int | None = None, hold: int | None = None) -> None:
        self.ahead = ahead
        self.fail, self.hold = fail, hold
        self.futures: dict[int, Future[bytes]] = {}

    def submit(self, invoice: Invoice, reminder_no: int | None) -> Future[bytes]:
        future: Future[bytes] = Future()
        self.futures[invoice.number] = future
        if invoice.number == self.fail:
            future.set_exception(RuntimeError("pango gave up"))
        elif invoice.number != self.hold:
            future.set_result(f"pdf {invoice.number} {reminder_no}".encode())
        return future


def test_pdfs_come_back_in_document_order_and_documents_are_read_at_most_ahead():
    renderer = _Pending(ahead=2)
    read: list[int] = []

    def documents():
        for n in (1, 2, 4, 5, 6):
            read.append(n)
            yield Document(n, _invoice(n), pdf=n != 4)

    out = []
    for doc, pdf in in_order(renderer, documents()):
        assert len(read) <= len(out) + renderer.ahead
        out.append((doc.key, pdf))
    assert out == [
        (1, b"pdf 1 None"),
        (2, b"pdf 2 None"),
        (4, None),
        (5, b"pdf 5 None"),
        (6, b"pdf 6 None"),
    ]
    assert 4 not in renderer.futures  # a document sent by post has no PDF made


def test_the_first_failed_pdf_names_its_invoice_and_cancels_the_rest():
    renderer = _Pending(ahead=2, fail=3, hold=7)
    docs = [Document(n, _invoice(n)) for n in (1, 2, 3, 7, 8)]
    got = []
    with pytest.raises(PdfNotMade) as failed:
        for doc, _pdf in in_order(renderer, docs):
            got.append(doc.key)
    assert got == [1, 2]
    message = cast(PdfNotMade, failed.value).message
    assert "faktura 3;" in message and "RuntimeError: pango gave up" in message
    assert "nästa `kassan invoices run`" in message
    assert failed.value.field == "number"
    assert renderer.futures[7].cancelled()
    assert 8 not in renderer.futures  # never read: the batch stopped before it


def test_a_reminder_whose_pdf_failed_is_named_as_the_reminder():
    renderer = _Pending(ahead=1, fail=3)
    with pytest.raises(PdfNotMade, match="påminnelse 2 om faktura 3;"):
        list(in_order(renderer, [Document((3, 2), _invoice(3), 2)]))


def test_the_pdf_workers_are_the_cores_unless_set_and_a_bad_count_stops_the_start():
    assert from_environment("/tmp", {})["PDF_WORKERS"] == (os.cpu_count() or 1)
    config = from_environment("/tmp", {"KASSAN_PDF_WORKERS": "3"})
    assert config["PDF_WORKERS"] == 3
    assert invoice_pdf.default_workers(config) == 3
    for bad in ("0", "zwei", "-1"):
        with pytest.raises(ConfigError, match="KASSAN_PDF_WORKERS must be a whole number"):
            from_environment("/tmp", {"KASSAN_PDF_WORKERS": bad})
