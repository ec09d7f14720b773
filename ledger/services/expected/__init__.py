"""Expected payments: one row per thing we expect money for (a gift paid by bankgiro or Swish, a
monthly giver's standing reference, a pledge instalment, an invoice, a collection), each with
its own OCR reference, and the receipts matched to it.

A reference is made from a serial drawn from a counter row in the database (never from
``max() + 1``), and expected payments are never deleted (a trigger refuses it), so no reference
is ever handed out twice. Status follows what the ledger receives: ``record_receipt`` is called
by whoever booked the payment (bank import, Swish callback, finance desk) with the entry it
booked; this module books nothing itself.

``record_receipts`` does the same for a bank file's batch at once (one lock query, one insert,
one update per touched payment). An undone booking (a reversal at the finance desk) is taken
back with ``reverse_receipt``: receipts are never deleted or negated (a negative row would
break ``amount_ore > 0`` and the UNIQUE source key), so the row stays and its
``reversal_entry_id`` names the reversing entry, and the expected payment's ``paid_ore`` and
status go back.

Statuses: ``open`` → ``partly_paid`` → ``paid``; ``overdue`` when the due date passes unpaid
(``mark_overdue``); ``written_off`` and ``cancelled`` are set by finance. A repeating payment
(a monthly giver, a collection) stays ``open`` and keeps adding to ``paid_ore``.

The package's modules: ``records`` (what an expected payment is), ``lookup``, ``creating``,
``status`` (how status follows the money), ``receipts`` (one payment), ``batch`` (a bank file's
payments at once) and ``reversals``. Callers use the names below: ``expected.record_receipt``.
"""

from __future__ import annotations

from ledger.services.expected.batch import record_receipts
from ledger.services.expected.creating import create, for_gift
from ledger.services.expected.lookup import (
    by_gift,
    by_id,
    by_reference,
    by_references,
    open_by_amounts,
    open_payments,
    reference_of,
)
from ledger.services.expected.receipts import record_receipt
from ledger.services.expected.records import (
    GIFT_KINDS,
    OPEN_STATUSES,
    STATUSES,
    ExpectedPayment,
    Receipt,
    RecordedReceipt,
)
from ledger.services.expected.reversals import reverse_receipt, reverse_receipts_of
from ledger.services.expected.status import mark_overdue

__all__ = [
    "GIFT_KINDS",
    "OPEN_STATUSES",
    "STATUSES",
    "ExpectedPayment",
    "Receipt",
    "RecordedReceipt",
    "by_gift",
    "by_id",
    "by_reference",
    "by_references",
    "create",
    "for_gift",
    "mark_overdue",
    "open_by_amounts",
    "open_payments",
    "record_receipt",
    "record_receipts",
    "reference_of",
    "reverse_receipt",
    "reverse_receipts_of",
]
