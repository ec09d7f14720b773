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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import IntegrityError

from ledger.chart import POSTING_RULES
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.services import expected, posting

__all__ = [
    "Invoice",
    "InvoiceLine",
    "InvoiceNotFound",
    "Recipient",
    "credit",
    "get",
    "issue",
    "list_invoices",
]

SERIES = "F"
_COUNTER = "invoice"
MAX_LINES = 50


class InvoiceNotFound(LedgerError):
    status = 404


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
        if self.kind != "invoice" or self.expected_status in ("cancelled", "written_off"):
            return Money(0, self.currency)
        return Money(max(0, self.total_ore - self.credited_ore - self.paid_ore), self.currency)

    def status(self, today: date) -> str:
        """credit_note, or the payment's state: open, partly_paid, paid, overdue, credited..."""
        if self.kind == "credit_note":
            return "credit_note"
        if self.expected_status == "cancelled":
            return "credited"
        if self.expected_status in ("paid", "written_off"):
            return self.expected_status
        if self.due_date is not None and self.due_date < today:
            return "overdue"
        return self.expected_status or "open"


def _next_number(conn: Connection) -> int:
    # The UPDATE holds the counter row's lock until commit: issues queue here, one number each.
    number = conn.execute(
        text(
            "UPDATE reference_counters SET last_value = last_value + 1 "
            "WHERE name = :name RETURNING last_value"
        ),
        {"name": _COUNTER},
    ).scalar_one()
    return int(number)


def recipient_of(conn: Connection, contributor_id: int) -> Recipient:
    c = t.contributors.c
    row = conn.execute(select(t.contributors).where(c.id == contributor_id)).first()
    if row is None:
        raise LedgerError(f"no contributor {contributor_id}", "contributor_id")
    if row.merged_into is not None:
        raise LedgerError(
            f"contributor {contributor_id} is merged into {row.merged_into}; invoice that one",
            "contributor_id",
        )
    place = " ".join(p for p in (row.postcode, row.city) if p)
    address = tuple(p for p in (row.address_line1, row.address_line2, place) if p)
    return Recipient(
        name=row.name,
        org_number=row.organisation_number,
        contact=row.contact_person,
        address=address,
        email=row.invoice_email or row.email,
    )


def _check_lines(lines: Sequence[tuple[str, Money]]) -> tuple[str, int]:
    if not lines:
        raise LedgerError("an invoice needs at least one line", "lines")
    if len(lines) > MAX_LINES:
        raise LedgerError(f"an invoice has at most {MAX_LINES} lines", "lines")
    currencies = {amount.currency for _, amount in lines}
    if len(currencies) != 1:
        raise LedgerError("an invoice's lines are all in one currency", "lines")
    for i, (description, amount) in enumerate(lines):
        if not description.strip() or len(description) > 200:
            raise LedgerError("a line needs a text of 1-200 characters", f"lines[{i}].description")
        if amount.ore <= 0:
            raise LedgerError("a line's amount must be above zero", f"lines[{i}].amount_ore")
    return currencies.pop(), sum(amount.ore for _, amount in lines)


def _network(conn: Connection, network: str | None) -> int | None:
    if network is None:
        return None
    found = conn.execute(select(t.networks.c.id).where(t.networks.c.slug == network)).scalar()
    if found is None:
        raise LedgerError(f"no network {network!r}", "network")
    return int(found)


def _insert(conn: Connection, values: dict[str, Any], lines: Sequence[tuple[str, int]]) -> int:
    invoice_id = conn.execute(
        t.invoices.insert()
        .values(**values, created_at=datetime.now(UTC))
        .returning(t.invoices.c.id)
    ).scalar_one()
    conn.execute(
        t.invoice_lines.insert(),
        [
            {"invoice_id": invoice_id, "line_no": no, "description": d, "amount_ore": ore}
            for no, (d, ore) in enumerate(lines, 1)
        ],
    )
    return int(invoice_id)


def issue(
    conn: Connection,
    *,
    contributor_id: int,
    network: str | None,
    lines: Sequence[tuple[str, Money]],
    issue_date: date,
    due_days: int,
    pledge_instalment_id: int | None = None,
    created_by: int | None = None,
) -> tuple[Invoice, bool]:
    """Issue and book an invoice in the caller's transaction; ``(invoice, True)``.

    For a pledge instalment that has an invoice already, that invoice and ``False``: the unique
    key on the instalment decides, also between two runs at once.
    """
    if pledge_instalment_id is not None:
        found = by_instalment(conn, pledge_instalment_id)
        if found is not None:
            return found, False
    currency, total_ore = _check_lines(lines)
    if not 1 <= due_days <= 365:
        raise LedgerError("an invoice falls due 1-365 days after its date", "due_days")
    recipient = recipient_of(conn, contributor_id)
    network_id = _network(conn, network)
    total = Money(total_ore, currency)
    due = issue_date + timedelta(days=due_days)
    try:
        with conn.begin_nested():
            number = _next_number(conn)
            payment = expected.create(
                conn,
                kind="invoice",
                amount=total,
                network_id=network_id,
                contributor_id=contributor_id,
                due_date=due,
            )
            debit, income = POSTING_RULES["invoice_issued"]
            entry = posting.post(
                conn,
                Draft(
                    date=issue_date,
                    text=f"Faktura {number} {recipient.name}"[:500],
                    series=SERIES,
                    source_kind="invoice",
                    source_key=f"invoice:{number}",
                    lines=(
                        # the receivable by contributor only, as the bank import clears it
                        LineDraft.debit(debit, total, contributor_id=contributor_id),
                        LineDraft.credit(
                            income, total, network=network, contributor_id=contributor_id
                        ),
                    ),
                ),
                created_by=created_by,
            )
            invoice_id = _insert(
                conn,
                {
                    "number": number,
                    "kind": "invoice",
                    "pledge_instalment_id": pledge_instalment_id,
                    "contributor_id": contributor_id,
                    "network_id": network_id,
                    "issue_date": issue_date,
                    "due_date": due,
                    "currency": currency,
                    "total_ore": total_ore,
                    "expected_payment_id": payment.id,
                    "entry_id": entry.id,
                    **_recipient_values(recipient),
                    "created_by": created_by,
                },
                [(d, m.ore) for d, m in lines],
            )
    except IntegrityError:
        # Only a second issue for the same instalment gets here; the savepoint took back its
        # number, its reference and its entry.
        if pledge_instalment_id is not None:
            found = by_instalment(conn, pledge_instalment_id)
            if found is not None:
                return found, False
        raise
    return _get_by_id(conn, invoice_id), True


def _recipient_values(r: Recipient) -> dict[str, Any]:
    return {
        "recipient_name": r.name,
        "recipient_org_number": r.org_number,
        "recipient_contact": r.contact,
        "recipient_address": "\n".join(r.address) or None,
        "recipient_email": r.email,
    }


def credit(
    conn: Connection,
    number: int,
    *,
    on: date,
    amount: Money | None = None,
    reason: str | None = None,
    created_by: int | None = None,
) -> Invoice:
    """Credit all (``amount`` None) or part of what invoice ``number`` still asks for.

    What has been paid cannot be credited: that money is refunded through the finance desk.
    """
    invoice = get(conn, number)
    if invoice.kind != "invoice":
        raise LedgerError(f"{number} is a credit note; only invoices are credited", "number")
    open_ore = invoice.outstanding.ore
    ore = open_ore if amount is None else amount.ore
    if amount is not None and amount.currency != invoice.currency:
        raise LedgerError(f"invoice {number} is in {invoice.currency}", "amount")
    if open_ore <= 0:
        raise LedgerError(f"invoice {number} has nothing left to credit", "amount")
    if not 0 < ore <= open_ore:
        raise LedgerError(
            f"credit more than zero and at most what is unpaid on invoice {number}: "
            f"{invoice.outstanding!s}",
            "amount",
        )
    why = (reason or "").strip()
    if len(why) > 150:
        raise LedgerError("the reason is at most 150 characters", "reason")
    credited = Money(ore, invoice.currency)
    cn_number = _next_number(conn)
    debit_side, credit_side = POSTING_RULES["invoice_issued"]
    who = invoice.contributor_id
    entry = posting.post(
        conn,
        Draft(
            date=on,
            text=f"Kreditfaktura {cn_number} för faktura {number} {invoice.recipient.name}"[:500],
            series=SERIES,
            source_kind="credit_note",
            source_key=f"invoice:{cn_number}",
            lines=(
                LineDraft.debit(credit_side, credited, network=invoice.network, contributor_id=who),
                LineDraft.credit(debit_side, credited, contributor_id=who),
            ),
        ),
        created_by=created_by,
    )
    _lower_expected(conn, invoice, ore)
    description = f"Kreditering av faktura {number}" + (f": {why}" if why else "")
    credit_id = _insert(
        conn,
        {
            "number": cn_number,
            "kind": "credit_note",
            "credits_invoice_id": invoice.id,
            "contributor_id": invoice.contributor_id,
            "network_id": _network(conn, invoice.network),
            "issue_date": on,
            "currency": invoice.currency,
            "total_ore": ore,
            "entry_id": entry.id,
            **_recipient_values(invoice.recipient),
            "created_by": created_by,
        },
        [(description, ore)],
    )
    return _get_by_id(conn, credit_id)


def _lower_expected(conn: Connection, invoice: Invoice, ore: int) -> None:
    """Lower what the invoice's expected payment asks for, under its row lock; a payment that
    came in since the check above makes the credit too large, and the whole issue rolls back."""
    ep = t.expected_payments.c
    row = conn.execute(
        select(ep.amount_ore, ep.paid_ore, ep.status)
        .where(ep.reference == invoice.reference)
        .with_for_update()
    ).one()
    amount, paid = int(row.amount_ore), int(row.paid_ore)
    if ore > amount - paid or row.status in ("cancelled", "written_off"):
        raise LedgerError(
            f"invoice {invoice.number} was paid meanwhile; credit at most "
            f"{Money(max(0, amount - paid), invoice.currency)}",
            "amount",
        )
    left = amount - ore
    if left == 0:
        values: dict[str, Any] = {"status": "cancelled"}  # wholly credited: nothing is expected
    else:
        values = {"amount_ore": left}
        if paid >= left:
            values["status"] = "paid"
    conn.execute(
        t.expected_payments.update()
        .where(ep.reference == invoice.reference)
        .values(**values, updated_at=datetime.now(UTC))
    )


def _query() -> Any:
    i, ep, n = t.invoices.c, t.expected_payments.c, t.networks.c
    orig, cn = t.invoices.alias("orig"), t.invoices.alias("cn")
    credited = (
        select(func.coalesce(func.sum(cn.c.total_ore), 0))
        .where(cn.c.credits_invoice_id == i.id)
        .scalar_subquery()
    )
    return select(
        t.invoices,
        orig.c.number.label("credits_number"),
        n.slug.label("network"),
        n.name.label("network_name"),
        ep.reference,
        ep.status.label("expected_status"),
        ep.paid_ore,
        credited.label("credited_ore"),
    ).select_from(
        t.invoices.outerjoin(orig, orig.c.id == i.credits_invoice_id)
        .outerjoin(t.networks, n.id == i.network_id)
        .outerjoin(t.expected_payments, ep.id == i.expected_payment_id)
    )


def _record(conn: Connection, row: Any) -> Invoice:
    ln = t.invoice_lines.c
    lines = conn.execute(
        select(ln.description, ln.amount_ore).where(ln.invoice_id == row.id).order_by(ln.line_no)
    ).all()
    return Invoice(
        id=row.id,
        number=row.number,
        kind=row.kind,
        credits_number=row.credits_number,
        contributor_id=row.contributor_id,
        network=row.network,
        network_name=row.network_name,
        issue_date=row.issue_date,
        due_date=row.due_date,
        currency=row.currency,
        total_ore=int(row.total_ore),
        credited_ore=int(row.credited_ore or 0),
        paid_ore=int(row.paid_ore or 0),
        reference=row.reference,
        expected_status=row.expected_status,
        entry_id=int(row.entry_id),
        pledge_instalment_id=row.pledge_instalment_id,
        recipient=Recipient(
            name=row.recipient_name,
            org_number=row.recipient_org_number,
            contact=row.recipient_contact,
            address=tuple((row.recipient_address or "").splitlines()),
            email=row.recipient_email,
        ),
        sent_at=row.sent_at,
        lines=tuple(InvoiceLine(d, int(a)) for d, a in lines),
    )


def _get_by_id(conn: Connection, invoice_id: int) -> Invoice:
    return _record(conn, conn.execute(_query().where(t.invoices.c.id == invoice_id)).one())


def get(conn: Connection, number: int) -> Invoice:
    row = conn.execute(_query().where(t.invoices.c.number == number)).first()
    if row is None:
        raise InvoiceNotFound(f"no invoice or credit note {number}", "number")
    return _record(conn, row)


def by_instalment(conn: Connection, instalment_id: int) -> Invoice | None:
    row = conn.execute(_query().where(t.invoices.c.pledge_instalment_id == instalment_id)).first()
    return None if row is None else _record(conn, row)


def list_invoices(
    conn: Connection, *, contributor_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Invoice], int]:
    """A page of invoices and credit notes, newest number first, and how many in all."""
    query, count = _query(), select(func.count()).select_from(t.invoices)
    if contributor_id is not None:
        query = query.where(t.invoices.c.contributor_id == contributor_id)
        count = count.where(t.invoices.c.contributor_id == contributor_id)
    rows = conn.execute(query.order_by(t.invoices.c.number.desc()).limit(limit).offset(offset))
    return [_record(conn, r) for r in rows], int(conn.execute(count).scalar() or 0)
