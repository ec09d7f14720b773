"""Learning how a Swish payment request or refund went: never from a callback's body, always
from Swish itself.

``sync(engine, config, swish_id)`` is what the callback endpoint and the status page call. It
takes only the id from whoever asked, fetches the request (or refund) back from Swish over the
mutual-TLS client, and applies what Swish says in one transaction, under a lock on our row (a
request already settled, PAID or failed, is final at Swish too and is not asked about again):

* the row must be ours (an unknown id: ``SwishRequestNotFound``, nothing booked), and Swish's copy
  must agree with it (merchant number, amount, currency, our reference; otherwise
  ``SwishRequestConflict``, nothing booked);
* payment PAID: booked once (``bookings.book_payment``), the receipt recorded on the expected
  payment, the gift marked paid; DECLINED, ERROR, CANCELLED: only the status is kept;
* refund PAID: the refund booked once (``bookings.book_refund``); ERROR: status only.

A fetch that fails raises ``SwishUnavailable`` before anything is written, so the endpoint
answers 503 and Swish calls again. Concurrent callbacks for one payment queue on the row lock
(``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite); the first books, the others see
it booked, and ``post_once``'s unique source key would refuse a second entry anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from ledger.db import tables as t
from webhooks.errors import SwishRequestConflict, SwishRequestNotFound
from webhooks.swish import bookings, fields
from webhooks.swish.client import Settings, SwishClient

PAYMENT_FINAL = frozenset({"PAID", "DECLINED", "ERROR", "CANCELLED"})
REFUND_FINAL = frozenset({"PAID", "ERROR"})
_PAYMENT_STATUSES = PAYMENT_FINAL | {"CREATED"}
_REFUND_STATUSES = REFUND_FINAL | {"CREATED", "DEBITED"}


def _known(conn: Connection, swish_id: str) -> tuple[str | None, str | None]:
    """``payment`` or ``refund`` for one of our ids (else None), and its status if final."""
    for kind, table, final in (
        ("payment", t.swish_payments, PAYMENT_FINAL),
        ("refund", t.swish_refunds, REFUND_FINAL),
    ):
        status = conn.scalar(select(table.c.status).where(table.c.instruction_id == swish_id))
        if status is not None:
            return kind, status if status in final else None
    return None, None


def sync(engine: Engine, config: Mapping[str, Any], swish_id: str) -> str:
    """Fetch the request or refund from Swish and apply it; returns the status Swish gave."""
    with engine.connect() as conn:
        kind, settled = _known(conn, swish_id)
    if kind is None:
        raise SwishRequestNotFound(f"no Swish payment request or refund {swish_id}", "id")
    if settled is not None:
        return settled  # final at Swish too: a repeated callback needs no question to Swish
    settings = Settings.from_config(config)
    with SwishClient(settings) as api:
        fetched = api.payment_request(swish_id) if kind == "payment" else api.refund(swish_id)
    with engine.begin() as conn:
        if kind == "payment":
            return apply_payment(conn, settings, swish_id, fetched)
        return apply_refund(conn, settings, swish_id, fetched)


def _locked(conn: Connection, table: Table, swish_id: str) -> Any:
    row = conn.execute(
        select(table).where(table.c.instruction_id == swish_id).with_for_update()
    ).first()
    if row is None:
        raise SwishRequestNotFound(f"no Swish request {swish_id}", "id")
    return row


def _check(swish_id: str, fetched: Mapping[str, Any], expect: Mapping[str, object]) -> None:
    if str(fetched.get("id") or "").upper() != swish_id:
        raise SwishRequestConflict(
            f"Swish answered for {fetched.get('id')!r}, not {swish_id}", "id"
        )
    for name, ours in expect.items():
        theirs: object = fetched.get(name)
        if name == "amount" and theirs is not None:
            theirs = fields.ore(theirs)
        if theirs != ours:
            raise SwishRequestConflict(
                f"Swish's {name} is {theirs!r}, ours {ours!r} ({swish_id})", name
            )


def _when(value: object) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _error_values(fetched: Mapping[str, Any]) -> dict[str, Any]:
    code, message = fetched.get("errorCode"), fetched.get("errorMessage")
    return {
        "error_code": str(code)[:20] if code else None,
        "error_message": str(message)[:500] if message else None,
    }


def apply_payment(
    conn: Connection, settings: Settings, swish_id: str, fetched: Mapping[str, Any]
) -> str:
    row = _locked(conn, t.swish_payments, swish_id)
    _check(
        swish_id,
        fetched,
        {
            "payeeAlias": settings.merchant_number,
            "amount": int(row.amount_ore),
            "currency": row.currency,
            "payeePaymentReference": row.payee_payment_reference,
        },
    )
    status = str(fetched.get("status"))
    if status not in _PAYMENT_STATUSES:
        raise SwishRequestConflict(
            f"unknown Swish payment status {status!r} ({swish_id})", "status"
        )
    if row.status in PAYMENT_FINAL:
        return status  # settled before: a repeated or late callback changes nothing
    values: dict[str, Any] = {"status": status, "updated_at": datetime.now(UTC)}
    if status == "PAID":
        values |= _paid(fetched, f"Swish says PAID without a payment reference ({swish_id})")
        values["entry_id"] = bookings.book_payment(conn, row, dict(fetched))
    elif status in PAYMENT_FINAL:
        values |= _error_values(fetched)
    _update(conn, t.swish_payments, swish_id, values)
    return status


def apply_refund(
    conn: Connection, settings: Settings, swish_id: str, fetched: Mapping[str, Any]
) -> str:
    refund = _locked(conn, t.swish_refunds, swish_id)
    payment = conn.execute(
        select(t.swish_payments).where(
            t.swish_payments.c.instruction_id == refund.payment_instruction_id
        )
    ).one()
    _check(
        swish_id,
        fetched,
        {
            "payerAlias": settings.merchant_number,
            "amount": int(refund.amount_ore),
            "currency": refund.currency,
            "originalPaymentReference": payment.payment_reference,
        },
    )
    status = str(fetched.get("status"))
    if status not in _REFUND_STATUSES:
        raise SwishRequestConflict(f"unknown Swish refund status {status!r} ({swish_id})", "status")
    if refund.status in REFUND_FINAL:
        return status
    values: dict[str, Any] = {"status": status, "updated_at": datetime.now(UTC)}
    if status == "PAID":
        values |= _paid(fetched, f"Swish: refund PAID without a reference ({swish_id})")
        values["entry_id"] = bookings.book_refund(conn, refund, payment, dict(fetched))
    elif status == "ERROR":
        values |= _error_values(fetched)
    _update(conn, t.swish_refunds, swish_id, values)
    return status


def _paid(fetched: Mapping[str, Any], refused: str) -> dict[str, Any]:
    """What a PAID answer records, payment or refund alike: Swish's payment reference (there
    must be one, and it fits the column) and when it was paid; ``refused`` when it has none."""
    reference = str(fetched.get("paymentReference") or "")
    if not reference or len(reference) > 36:
        raise SwishRequestConflict(refused, "status")
    return {"payment_reference": reference, "date_paid": _when(fetched.get("datePaid"))}


def _update(conn: Connection, table: Table, swish_id: str, values: dict[str, Any]) -> None:
    conn.execute(table.update().where(table.c.instruction_id == swish_id).values(values))
