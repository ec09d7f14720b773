"""Refunding a Swish gift, wholly or partly, through the Swish API.

``start`` asks Swish to send money back for a PAID payment request: it checks what is left to
refund (refunds not in ERROR count against the payment), stores the refund under a new
instruction id and PUTs it to Swish with ``originalPaymentReference``. Nothing is booked then:
the refund's callback (the same ``/webhooks/swish`` endpoint) is fetched back from Swish like a
payment's, and only a refund Swish reports PAID is booked (``bookings.book_refund``).

Refund ids are derived from the payment and the refund's number, so a retry after a timeout
(whose transaction rolled back) sends the same id again rather than a second refund.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.money import Money
from webhooks.errors import SwishRefundRefused
from webhooks.swish import fields
from webhooks.swish.checkout import callback_url
from webhooks.swish.client import Settings, SwishClient

__all__ = ["start"]


def start(
    conn: Connection,
    config: Mapping[str, Any],
    payment_instruction_id: str,
    amount: Money | None = None,
    *,
    created_by: str | None = None,
) -> str:
    """Ask Swish to refund ``amount`` (default: all that is left); returns the refund's id."""
    settings = Settings.from_config(config)
    s, r = t.swish_payments.c, t.swish_refunds.c
    payment = conn.execute(
        select(t.swish_payments)
        .where(s.instruction_id == payment_instruction_id.upper())
        .with_for_update()
    ).first()
    if payment is None:
        raise LedgerError(f"no Swish payment {payment_instruction_id}", "instruction_id")
    if payment.status != "PAID" or not payment.payment_reference:
        raise SwishRefundRefused(
            f"Swish payment {payment.instruction_id} is {payment.status}, not PAID", "status"
        )
    taken, count = conn.execute(
        select(
            func.coalesce(func.sum(r.amount_ore).filter(r.status != "ERROR"), 0),
            func.count(),
        ).where(r.payment_instruction_id == payment.instruction_id)
    ).one()
    left = int(payment.amount_ore) - int(taken)
    ore = left if amount is None else amount.ore
    if amount is not None and amount.currency != payment.currency:
        raise SwishRefundRefused(f"the payment was in {payment.currency}", "amount")
    if ore <= 0 or ore > left:
        raise SwishRefundRefused(
            f"{fields.amount(ore) if ore > 0 else ore} is not refundable: "
            f"{fields.amount(left) if left > 0 else '0.00'} {payment.currency} is left",
            "amount",
        )
    refund_id = fields.refund_instruction_id(payment.instruction_id, int(count) + 1)
    now = datetime.now(UTC)
    conn.execute(
        t.swish_refunds.insert().values(
            instruction_id=refund_id,
            payment_instruction_id=payment.instruction_id,
            amount_ore=ore,
            currency=payment.currency,
            status="NEW",
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
    )
    body = {
        "originalPaymentReference": payment.payment_reference,
        "payerPaymentReference": payment.payee_payment_reference,
        "callbackUrl": callback_url(config),
        "payerAlias": settings.merchant_number,
        "amount": fields.amount(ore),
        "currency": payment.currency,
        "message": fields.message(f"Återbetalning gåva {payment.payee_payment_reference}"),
    }
    with SwishClient(settings) as api:
        api.create_refund(refund_id, body)
    conn.execute(
        t.swish_refunds.update()
        .where(r.instruction_id == refund_id)
        .values(status="CREATED", updated_at=datetime.now(UTC))
    )
    return refund_id
