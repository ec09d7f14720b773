"""What an invoice or credit note is: its lines, its recipient as it stood on the day it was
issued, and the status it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ledger.money import Money
from ledger.statuses import InvoiceStatus, PaymentStatus

SERIES = "F"
MAX_LINES = 50
NOTHING_DUE = (PaymentStatus.CANCELLED, PaymentStatus.WRITTEN_OFF)  # the payment asks for no more


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str
    amount_ore: int


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who the invoice is addressed to, as it stood on the day it was issued."""

    name: str
    org_number: str | None
    contact: str | None
    address: tuple[str, ...]
    email: str | None


@dataclass(frozen=True, slots=True)
class Invoice:
    id: int
    number: int
    kind: str  # invoice, credit_note
    credits_number: int | None  # a credit note: the invoice it credits
    contributor_id: int
    network: str | None
    network_name: str | None
    issue_date: date
    due_date: date | None
    currency: str
    total_ore: int
    credited_ore: int  # an invoice: what its credit notes took off
    paid_ore: int
    reference: str | None  # OCR reference (invoices only)
    expected_status: str | None
    entry_id: int
    pledge_instalment_id: int | None
    recipient: Recipient
    sent_at: datetime | None
    lines: tuple[InvoiceLine, ...]

    @property
    def total(self) -> Money:
        return Money(self.total_ore, self.currency)

    @property
    def outstanding(self) -> Money:
        if self.kind != "invoice" or self.expected_status in NOTHING_DUE:
            return Money(0, self.currency)
        return Money(max(0, self.total_ore - self.credited_ore - self.paid_ore), self.currency)

    def status(self, today: date) -> str:
        """credit_note, or the payment's state: open, partly_paid, paid, overdue, credited..."""
        if self.kind == "credit_note":
            return InvoiceStatus.CREDIT_NOTE
        if self.expected_status == PaymentStatus.CANCELLED:
            return InvoiceStatus.CREDITED
        if self.expected_status in (PaymentStatus.PAID, PaymentStatus.WRITTEN_OFF):
            return self.expected_status
        if self.due_date is not None and self.due_date < today:
            return InvoiceStatus.OVERDUE
        return self.expected_status or InvoiceStatus.OPEN
