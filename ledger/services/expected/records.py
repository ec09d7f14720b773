"""What an expected payment is: its statuses and kinds, the record read from its row (with the
payer's name for matching), a receipt offered for it and the record after a receipt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select

from ledger.db import tables as t
from ledger.money import Money
from ledger.statuses import PaymentStatus

STATUSES = tuple(PaymentStatus)
OPEN_STATUSES = (PaymentStatus.OPEN, PaymentStatus.PARTLY_PAID, PaymentStatus.OVERDUE)
# kinds with at most one expected payment per gift (a partial UNIQUE index on gift_id)
GIFT_KINDS = ("gift", "monthly_gift")


@dataclass(frozen=True, slots=True)
class ExpectedPayment:
    id: int
    reference: str
    kind: str
    gift_id: int | None
    network_id: int | None
    contributor_id: int | None
    amount_ore: int | None  # None: any amount
    currency: str
    due_date: date | None
    repeating: bool
    status: str
    paid_ore: int
    payer_name: str | None  # the contributor's or the gift's donor name, for matching by name
    # who pays: the expected payment's contributor, else its gift's donor once known; a
    # matched payment's income is booked to them
    payer_id: int | None
    created_at: datetime
    updated_at: datetime

    @property
    def amount(self) -> Money | None:
        return None if self.amount_ore is None else Money(self.amount_ore, self.currency)

    @property
    def paid(self) -> Money:
        return Money(self.paid_ore, self.currency)

    @property
    def outstanding(self) -> Money | None:
        """What is still due; None when any amount (or any number of payments) is welcome."""
        if self.amount_ore is None or self.repeating:
            return None
        return Money(max(0, self.amount_ore - self.paid_ore), self.currency)


@dataclass(frozen=True, slots=True)
class RecordedReceipt(ExpectedPayment):
    """The expected payment after a receipt, with what the receipt itself came to."""

    surplus_ore: int = 0  # the part of the receipt beyond what was due: for suspense
    new: bool = True  # False: this source key was recorded before; nothing changed now

    @property
    def surplus(self) -> Money:
        return Money(self.surplus_ore, self.currency)


@dataclass(frozen=True, slots=True)
class Receipt:
    """One payment booked as ``entry_id``, offered to ``record_receipts``."""

    expected_id: int
    entry_id: int
    amount: Money
    source_key: str
    received_on: date


def select_payments() -> Select[Any]:
    """Expected payments with their payer: the contributor, else the gift's donor."""
    e, c, g = t.expected_payments.c, t.contributors.c, t.gifts.c
    return select(
        t.expected_payments,
        func.coalesce(c.name, g.donor_name).label("payer_name"),
        func.coalesce(e.contributor_id, g.contributor_id).label("payer_id"),
    ).select_from(
        t.expected_payments.outerjoin(t.contributors, e.contributor_id == c.id).outerjoin(
            t.gifts, e.gift_id == g.id
        )
    )


def from_row(row: Any) -> ExpectedPayment:
    """The record of a row read with ``select_payments``."""
    return ExpectedPayment(
        id=row.id,
        reference=row.reference,
        kind=row.kind,
        gift_id=row.gift_id,
        network_id=row.network_id,
        contributor_id=row.contributor_id,
        amount_ore=None if row.amount_ore is None else int(row.amount_ore),
        currency=row.currency,
        due_date=row.due_date,
        repeating=bool(row.repeating),
        status=row.status,
        paid_ore=int(row.paid_ore),
        payer_name=row.payer_name,
        payer_id=row.payer_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def with_receipt(current: ExpectedPayment, surplus_ore: int, new: bool) -> RecordedReceipt:
    """``current`` as the answer to a receipt that brought ``surplus_ore`` beyond what was due."""
    values = {f: getattr(current, f) for f in ExpectedPayment.__dataclass_fields__}
    return RecordedReceipt(**values, surplus_ore=surplus_ore, new=new)
