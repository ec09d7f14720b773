"""Invoices, credit notes and reminders as PDF (WeasyPrint, A4, Swedish).

``render`` takes an issued document (``ledger.services.invoices.Invoice``) and the letterhead
from the settings and returns the PDF's bytes; nothing here reads the database. The Swish QR code
is inline SVG with payee, amount and the OCR reference locked, so a payment by Swish is matched
like one by bankgiro.
"""

from __future__ import annotations

import base64
import mimetypes
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from pebble import ProcessPool
from weasyprint import HTML

from ledger.money import Money
from ledger.payment_instructions import format_bankgiro, qr_svg, swish_qr_payload
from ledger.services.invoices import Invoice
from reports.display import format_money

__all__ = [
    "BatchRenderer",
    "Letterhead",
    "batch_renderer",
    "default_workers",
    "filename",
    "render",
    "render_html",
    "renderer",
]

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html"]),
)


@dataclass(frozen=True, slots=True)
class Letterhead:
    """The organisation as its invoices show it, from the settings."""

    name: str
    org_number: str
    address: tuple[str, ...] = ()
    email: str | None = None
    logo: str | None = None  # path to a PNG or SVG file
    bankgiro: str | None = None
    swish_number: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Letterhead:
        address = config.get("ORGANISATION_ADDRESS") or ()
        return cls(
            name=str(config.get("ORGANISATION_NAME") or ""),
            org_number=str(config.get("ORGANISATION_NUMBER") or ""),
            address=tuple(str(a) for a in address) if isinstance(address, tuple | list) else (),
            email=str(config.get("MAIL_FROM") or "") or None,
            logo=str(config.get("ORGANISATION_LOGO") or "") or None,
            bankgiro=str(config.get("BANKGIRO") or "") or None,
            swish_number=str(config.get("SWISH_PAYEE_NUMBER") or "") or None,
        )


def _logo_uri(path: str | None) -> str | None:
    # A data: URI keeps the PDF independent of WeasyPrint's file access and base URL.
    if not path:
        return None
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"data:{kind};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def filename(invoice: Invoice) -> str:
    word = "kreditfaktura" if invoice.kind == "credit_note" else "faktura"
    return f"{word}-{invoice.number}.pdf"


def render_html(invoice: Invoice, letterhead: Letterhead, *, reminder_no: int | None = None) -> str:
    """The document as HTML (what ``render`` hands to WeasyPrint)."""
    to_pay = invoice.outstanding if reminder_no else invoice.total
    swish = None
    if (
        invoice.kind == "invoice"
        and letterhead.swish_number
        and invoice.reference
        and to_pay.ore > 0
    ):
        payload = swish_qr_payload(letterhead.swish_number, to_pay, invoice.reference)
        # segno writes the SVG from digits and our own text: safe to put in as it is
        swish = Markup(qr_svg(payload, title=f"Swish {invoice.reference}"))

    def kr(ore: int) -> str:
        return format_money(Money(ore, invoice.currency))

    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    return _env.get_template("invoice.html").render(
        invoice=invoice,
        org=letterhead,
        logo=_logo_uri(letterhead.logo),
        bankgiro=format_bankgiro(letterhead.bankgiro) if letterhead.bankgiro else None,
        swish=swish,
        reminder_no=reminder_no,
        to_pay=format_money(to_pay),
        kr=kr,
        day=day,
    )


def render(invoice: Invoice, letterhead: Letterhead, *, reminder_no: int | None = None) -> bytes:
    """The document as an A4 PDF."""
    html = render_html(invoice, letterhead, reminder_no=reminder_no)
    pdf = HTML(string=html).write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf returns bytes when given no target
        raise RuntimeError("WeasyPrint made no PDF")
    return bytes(pdf)


def renderer(config: Mapping[str, object]) -> Callable[[Invoice, int | None], bytes]:
    """``render`` with the letterhead from ``config``, as the invoice run takes it."""
    letterhead = Letterhead.from_config(config)

    def _render(invoice: Invoice, reminder_no: int | None) -> bytes:
        return render(invoice, letterhead, reminder_no=reminder_no)

    return _render


# WeasyPrint (pango, fontconfig) keeps about 0.2 MiB per document it has laid out for the rest of
# the process: 5,000 invoices in one process peaked at 1.26 GiB. A batch renders in child
# processes that are replaced every PDFS_PER_CHILD documents, which bounds the memory.
PDFS_PER_CHILD = 200
JOIN_SECONDS = 180.0


def default_workers(config: Mapping[str, object]) -> int:
    """PDF processes for a batch: ``PDF_WORKERS`` (``KASSAN_PDF_WORKERS``), else the cores."""
    return int(str(config.get("PDF_WORKERS") or os.cpu_count() or 1))


class BatchRenderer:
    """``render`` in a pool of child processes (a ``ledger.services.pdf_batch.Renderer``)."""

    def __init__(self, pool: ProcessPool, letterhead: Letterhead, workers: int) -> None:
        self._pool = pool
        self._letterhead = letterhead
        self.workers = workers
        # two per process: each has its next document waiting while it writes the one before
        self.ahead = 2 * workers

    def submit(self, invoice: Invoice, reminder_no: int | None) -> Future[bytes]:
        future: Future[bytes] = self._pool.schedule(
            render, args=(invoice, self._letterhead), kwargs={"reminder_no": reminder_no}
        )
        return future


@contextmanager
def batch_renderer(
    config: Mapping[str, object],
    *,
    workers: int | None = None,
    per_child: int = PDFS_PER_CHILD,
) -> Iterator[BatchRenderer]:
    """``render`` for runs of many documents (the invoice run, reminders): the same PDFs, made
    by ``workers`` child processes (default ``default_workers``), each replaced after
    ``per_child`` documents. A child that dies fails only the document it was making
    (``pebble.ProcessExpired``). Leaving the block early stops the pool without waiting for
    the documents still queued."""
    count = workers or default_workers(config)
    # pebble, not ProcessPoolExecutor(max_tasks_per_child=...): on Python 3.11 that pool stops
    # replacing its children once documents queue up (CPython gh-115634) and hangs the batch.
    pool = ProcessPool(
        max_workers=count,
        max_tasks=per_child,
        context=multiprocessing.get_context("spawn"),  # no copy of the parent's connections
    )
    try:
        yield BatchRenderer(pool, Letterhead.from_config(config), count)
    except BaseException:
        pool.stop()
        raise
    else:
        pool.close()
    finally:
        pool.join(timeout=JOIN_SECONDS)  # raises TimeoutError rather than hang the command
