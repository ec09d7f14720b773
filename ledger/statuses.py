"""The states the ledger's records move through: one ``StrEnum`` per kind of record.

Each value is the string stored in the record's ``status`` column and sent in JSON. A
``StrEnum`` member equals (and hashes as) its string, so a status read back from the database
compares equal to its member and the stored values never change.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CollectionStatus",
    "DebitStatus",
    "GiftStatus",
    "ImportJobStatus",
    "InvoiceStatus",
    "MandateStatus",
    "NetworkStatus",
    "PaymentStatus",
]


class GiftStatus(StrEnum):
    """A gift from the donor pages (table ``gifts``)."""

    PENDING = "pending"  # asked for; the card, bankgiro or Swish money has not come yet
    PAID = "paid"  # a one-off gift whose money came
    ACTIVE = "active"  # a monthly gift that is paying
    FAILED = "failed"  # the card attempt failed; a later attempt may still pay
    CANCELLED = "cancelled"  # stopped by the donor, or never paid
    REFUNDED = "refunded"
    DISPUTED = "disputed"


class PaymentStatus(StrEnum):
    """An expected payment (table ``expected_payments``): a gift by bankgiro or Swish, a
    pledge's instalment or an invoice. Invoices and pledges report their status in these
    words too."""

    OPEN = "open"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    WRITTEN_OFF = "written_off"
    CANCELLED = "cancelled"  # nothing is expected any more (e.g. an invoice wholly credited)


class InvoiceStatus(StrEnum):
    """What an invoice shows: its payment's status, or that it was credited or is a credit
    note itself. Computed, not stored (``Invoice.status``)."""

    OPEN = "open"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    WRITTEN_OFF = "written_off"
    CREDITED = "credited"  # wholly credited: its payment was cancelled
    CREDIT_NOTE = "credit_note"


class CollectionStatus(StrEnum):
    """A club's collection (table ``collections``), from its application to its end."""

    PENDING = "pending"  # applied for, waiting for staff
    CHANGES = "changes"  # staff asked the organiser for changes
    REFUSED = "refused"
    ACTIVE = "active"  # approved and taking gifts
    CLOSED = "closed"


class NetworkStatus(StrEnum):
    """A solidarity network (table ``networks``)."""

    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class ImportJobStatus(StrEnum):
    """An uploaded bank file's import by the background worker (table ``bank_import_jobs``)."""

    RECEIVING = "receiving"  # its bytes are being stored; no worker takes it yet
    WAITING = "waiting"  # stored; no worker has taken it yet
    RUNNING = "running"  # a worker checks or books it (or died doing so: see its heartbeat)
    DONE = "done"  # imported: ``import_id`` names the import and its result
    REFUSED = "refused"  # a bad line, or the file was imported meanwhile: nothing was booked
    FAILED = "failed"  # the ledger refused a batch after the check passed; finance decides


class MandateStatus(StrEnum):
    """An Autogiro mandate (table ``autogiro_mandates``): new -> sent -> active, refused or
    cancelled. A cancellation still to reach Bankgirot is ``tk03_pending`` on the row."""

    NEW = "new"  # taken in; not yet in a mandate file
    SENT = "sent"  # in a mandate file to Bankgirot; the payer's bank has not answered
    ACTIVE = "active"  # approved (mandate advice 04/32 or 42/32): debited every month
    REFUSED = "refused"  # the payer's bank or Bankgirot did not approve it
    CANCELLED = "cancelled"  # ended by the donor, by us, by the payer's bank or Bankgirot


class DebitStatus(StrEnum):
    """A month's Autogiro debit order (table ``autogiro_debits``)."""

    ORDERED = "ordered"  # in a payment order file to Bankgirot
    APPROVED = "approved"  # the payment specification says the money moved
    FAILED = "failed"  # insufficient funds or no mandate
    RENEWED = "renewed"  # Bankgirot tries again the next banking day
    REJECTED = "rejected"  # refused before it was registered
    REFUNDED = "refunded"  # paid back to the payer (TK77)
