"""Invoices and credit notes: one unbroken number series, each document booked in series F.

Issuing an invoice takes the next number from the ``invoice`` counter row under lock, creates its
expected payment (kind ``invoice``, with the OCR reference the payer uses) and books 1510 debit
(contributor) / 3993 credit (network, contributor), source key ``invoice:<number>``, in the caller's
transaction: an issue that fails rolls its number back, so no number is ever skipped. A credit
note takes the next number of the same series, books the credited part back (3993 debit / 1510
credit) and lowers what the expected payment still asks for. The bank import clears 1510 when the
money comes (``webhooks.bankfiles.importer``, through the expected payment).

Locks are taken in one order everywhere: the invoice counter, the OCR counter, the ledger head,
then the expected payment row (the bank import takes the last two in the same order).

The package's modules: ``records`` (what an invoice is), ``lookup``, ``document_rows`` (the
number series and the rows written), ``issuing`` and ``credit_notes``. Callers use the names
below: ``invoices.issue``.
"""

from __future__ import annotations

from ledger.services.invoices.credit_notes import credit
from ledger.services.invoices.document_rows import recipient_of
from ledger.services.invoices.issuing import issue
from ledger.services.invoices.lookup import by_instalment, get, list_invoices
from ledger.services.invoices.records import MAX_LINES, SERIES, Invoice, InvoiceLine, Recipient

__all__ = [
    "MAX_LINES",
    "SERIES",
    "Invoice",
    "InvoiceLine",
    "Recipient",
    "by_instalment",
    "credit",
    "get",
    "issue",
    "list_invoices",
    "recipient_of",
]
