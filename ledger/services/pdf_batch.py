"""PDFs made ahead in the background and handed back in order, for the batches that mail
invoices and reminders (``invoice_run.run`` and ``remind``).

A batch passes each document to a ``Renderer`` (``reports.invoice_pdf.batch_renderer``: a pool
of PDF processes, one per core) as soon as the document is ready, keeps at most
``Renderer.ahead`` of them in flight, and gets each PDF back in the documents' own order, so
the mails are queued in that order, one transaction each, as when one process made every PDF in
turn. At most ``ahead`` PDFs are held at once, whatever the size of the batch. A PDF that could
not be made stops the batch with ``PdfNotMade`` naming the document; the renders still in flight
are cancelled and nothing after it is queued.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from ledger.errors import PdfNotMade
from ledger.services.invoices import Invoice

__all__ = ["Document", "Render", "Renderer", "in_order"]

Render = Callable[[Invoice, int | None], bytes]  # (document, reminder number) -> PDF
# A PDF takes well under a second; one not back after this long is stuck (a lost child process),
# and the batch stops naming it instead of waiting for ever.
WAIT_SECONDS = 180.0
K = TypeVar("K")


class Renderer(Protocol):
    """Makes PDFs in the background: ``submit`` returns at once."""

    @property
    def ahead(self) -> int:
        """How many documents a batch may have in flight (about twice the processes)."""
        ...

    def submit(self, invoice: Invoice, reminder_no: int | None) -> Future[bytes]: ...


@dataclass(frozen=True, slots=True)
class Document(Generic[K]):
    """One document of a batch: ``pdf`` False when it needs none (it goes by post)."""

    key: K
    invoice: Invoice
    reminder_no: int | None = None
    pdf: bool = True


def _what(doc: Document[K]) -> str:
    if doc.reminder_no is None:
        return (
            f"faktura {doc.invoice.number}; fakturan är utfärdad men inte e-postad, och nästa "
            "`kassan invoices run` gör och e-postar den"
        )
    return (
        f"påminnelse {doc.reminder_no} om faktura {doc.invoice.number}; påminnelsen är inte "
        "gjord, och nästa `kassan invoices remind` gör den"
    )


def in_order(
    renderer: Renderer, documents: Iterable[Document[K]]
) -> Iterator[tuple[Document[K], bytes | None]]:
    """Each document with its PDF (``None`` when it needs none), in the order given.

    ``documents`` is read lazily, at most ``renderer.ahead`` ahead of what was handed back, so
    a batch that issues each document as it yields it issues no more than that ahead of its
    mails. Raises ``PdfNotMade`` for the first document whose PDF failed.
    """
    window: deque[tuple[Document[K], Future[bytes] | None]] = deque()
    source = iter(documents)
    ahead = max(1, renderer.ahead)
    try:
        while True:
            while len(window) < ahead:
                doc = next(source, None)
                if doc is None:
                    break
                pending = renderer.submit(doc.invoice, doc.reminder_no) if doc.pdf else None
                window.append((doc, pending))
            if not window:
                return
            doc, pending = window.popleft()
            if pending is None:
                yield doc, None
                continue
            try:
                pdf = pending.result(timeout=WAIT_SECONDS)
            except Exception as exc:
                cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                raise PdfNotMade(
                    f"PDF:en kunde inte göras ({cause}) för {_what(doc)}",
                    "number",
                ) from exc
            yield doc, pdf
    finally:
        for _, pending in window:
            if pending is not None:
                pending.cancel()
