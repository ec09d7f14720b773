"""What became of a monthly Swish charge: fetched back from Swish, booked once, or listed.

``sync`` is what the recurring payment callback calls (``POST /webhooks/swish/recurring``):
only the id is taken from the caller; the payment is fetched back from Swish
(``GET .../payments/single/{id}/status``) and applied under a lock on our row, so a forged
callback books nothing. PAID is booked once (``swish:<paymentReference>``, 1930/3993 with the
gift's network and contributor, series S), recorded on the gift's monthly reference, and the
gift moves to ``active`` with a receipt e-mail, as a standing bankgiro payment does
(``gift_payments.settle``); so the giver counts as a monthly giver on the dashboard and in the
funding gap, and the payments are in the annual statement. ``failed(conn)`` lists for the
finance desk the charges whose last attempt failed.

Statuses: CREATED, PAID, DECLINED and ERROR are assumed for recurring payments (Swish's material
we have does not list them in full; docs/deployment.md); any other is refused with
``SwishRequestConflict`` and nothing is booked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, select

from ledger.db import tables as t
from ledger.money import Money
from ledger.services import expected, gift_payments
from webhooks.errors import SwishRequestConflict, SwishRequestNotFound
from webhooks.swish import bookings, fields
from webhooks.swish.client import Settings, SwishClient

__all__ = ["FAILED", "FINAL", "Failed", "failed", "sync"]

FAILED = ("DECLINED", "ERROR")
FINAL = frozenset({"PAID", *FAILED})
_STATUSES = FINAL | {"CREATED"}


def sync(engine: Engine, config: Mapping[str, Any], payment_id: str) -> str:
    """Fetch the recurring payment from Swish and apply it; returns the status."""
    r = t.swish_recurring_payments.c
    with engine.connect() as conn:
        status = conn.scalar(select(r.status).where(r.payment_id == payment_id))
    if status is None:
        raise SwishRequestNotFound(f"no recurring Swish payment {payment_id}", "id")
    if status in FINAL:
        return str(status)
    settings = Settings.from_config(config)
    with SwishClient(settings) as api:
        fetched = api.recurring_payment(payment_id)
    with engine.begin() as conn:
        return apply(conn, settings, config, payment_id, fetched)


def _check(row: Any, settings: Settings, fetched: Mapping[str, Any]) -> None:
    theirs_id = str(fetched.get("paymentId") or fetched.get("id") or "").upper()
    if theirs_id != row.payment_id:
        raise SwishRequestConflict(f"Swish answered for {theirs_id!r}, not {row.payment_id}", "id")
    payee = fetched.get("payee")
    amount = fetched.get("amount")
    value = amount.get("value") if isinstance(amount, dict) else amount
    currency = amount.get("currency") if isinstance(amount, dict) else fetched.get("currency")
    for name, theirs, ours in (
        ("consentId", str(fetched.get("consentId") or "").upper(), row.consent_id),
        (
            "payee.alias",
            payee.get("alias") if isinstance(payee, dict) else None,
            settings.merchant_number,
        ),
        ("amount", fields.ore(value) if value is not None else None, int(row.amount_ore)),
        ("currency", currency, row.currency),
        (
            "payeePaymentReference",
            fetched.get("payeePaymentReference"),
            row.payee_payment_reference,
        ),
    ):
        if theirs != ours:
            raise SwishRequestConflict(
                f"Swish's {name} is {theirs!r}, ours {ours!r} ({row.payment_id})", name
            )


def apply(
    conn: Connection,
    settings: Settings,
    config: Mapping[str, Any],
    payment_id: str,
    fetched: Mapping[str, Any],
) -> str:
    r = t.swish_recurring_payments.c
    row = conn.execute(
        select(t.swish_recurring_payments).where(r.payment_id == payment_id).with_for_update()
    ).first()
    if row is None:
        raise SwishRequestNotFound(f"no recurring Swish payment {payment_id}", "id")
    _check(row, settings, fetched)
    status = str(fetched.get("status"))
    if status not in _STATUSES:
        raise SwishRequestConflict(
            f"unknown Swish payment status {status!r} ({payment_id})", "status"
        )
    if row.status in FINAL or status == row.status:
        return status
    values: dict[str, Any] = {"status": status, "updated_at": datetime.now(UTC)}
    if status == "PAID":
        reference = str(fetched.get("paymentReference") or "")
        if not reference or len(reference) > 36:
            raise SwishRequestConflict(
                f"Swish says PAID without a reference ({payment_id})", "status"
            )
        values["payment_reference"] = reference
        paid = fetched.get("datePaid")
        values["date_paid"] = (
            datetime.fromisoformat(str(paid).replace("Z", "+00:00")) if paid else None
        )
        values["entry_id"] = _book(conn, config, row, reference, str(paid) if paid else None)
    elif status in FAILED:
        code, message = fetched.get("errorCode"), fetched.get("errorMessage")
        values["error_code"] = str(code)[:20] if code else None
        values["error_message"] = str(message)[:500] if message else None
    conn.execute(
        t.swish_recurring_payments.update().where(r.payment_id == payment_id).values(values)
    )
    return status


def _book(
    conn: Connection, config: Mapping[str, Any], row: Any, reference: str, paid: str | None
) -> int:
    """1930/3993 (network, donor), once per Swish payment; the receipt on the monthly reference,
    the gift active and thanked; what nobody expected (a gift ended meanwhile) to 2890. A
    charge the bank reported first is that bank line's entry, not a second booking."""
    consent = conn.execute(
        select(t.swish_consents).where(t.swish_consents.c.consent_id == row.consent_id)
    ).one()
    amount = Money(int(row.amount_ore), row.currency)
    day = bookings.booking_date(paid)
    key = f"swish:{reference}"
    first = bookings.booked_by_the_bank(conn, consent.expected_payment_id, amount, key)
    if first is not None:
        # The bank's Swish report or camt booked this charge before its callback came (and
        # moved and thanked the gift then): the charge takes that entry over, books nothing.
        return first
    plan = expected.by_id(conn, consent.expected_payment_id)
    network = conn.scalar(
        select(t.networks.c.slug)
        .select_from(t.gifts.outerjoin(t.networks, t.networks.c.id == t.gifts.c.network_id))
        .where(t.gifts.c.id == consent.gift_id)
    )
    received = bookings.Received(
        key=key,
        day=day,
        amount=amount,
        expected_payment_id=consent.expected_payment_id,
        network=network,
        contributor_id=bookings.contributor_for(
            conn, consent.gift_id, plan.contributor_id if plan else None
        ),
        text=f"Månadsgåva Swish {row.month} {row.payee_payment_reference} ({reference})",
        surplus_text=f"Swish månadsbetalning utöver det väntade, {row.payee_payment_reference}",
    )
    entry_id, receipt = bookings.book_received(conn, received, f"swish-surplus:{reference}")
    gift_payments.settle(conn, [(receipt, key, amount.ore, day)], config=config)
    return entry_id


@dataclass(frozen=True, slots=True)
class Failed:
    """A charge whose last attempt failed, for the finance desk."""

    payment_id: str
    month: str
    attempt: int
    status: str
    error_code: str | None
    amount_ore: int
    currency: str
    donor_name: str
    donor_email: str
    gift_public_id: str
    retry_left: bool  # attempt 1: the next run tries once more


def failed(conn: Connection) -> list[Failed]:
    """Charges whose latest attempt for their consent and month is DECLINED or ERROR."""
    r, c, g = t.swish_recurring_payments.c, t.swish_consents.c, t.gifts.c
    later = t.swish_recurring_payments.alias("later")
    rows = conn.execute(
        select(
            r.payment_id,
            r.month,
            r.attempt,
            r.status,
            r.error_code,
            r.amount_ore,
            r.currency,
            g.donor_name,
            g.donor_email,
            g.public_id,
            c.status.label("consent_status"),
        )
        .select_from(
            t.swish_recurring_payments.join(t.swish_consents, c.consent_id == r.consent_id)
            .join(t.gifts, g.id == c.gift_id)
            .outerjoin(
                later,
                and_(
                    later.c.consent_id == r.consent_id,
                    later.c.month == r.month,
                    later.c.attempt > r.attempt,
                ),
            )
        )
        .where(r.status.in_(FAILED), later.c.payment_id.is_(None))
        .order_by(r.month.desc(), g.donor_name, r.payment_id)
    )
    return [
        Failed(
            payment_id=x.payment_id,
            month=x.month,
            attempt=int(x.attempt),
            status=x.status,
            error_code=x.error_code,
            amount_ore=int(x.amount_ore),
            currency=x.currency,
            donor_name=x.donor_name,
            donor_email=x.donor_email,
            gift_public_id=x.public_id,
            retry_left=int(x.attempt) == 1 and x.consent_status == "ACTIVE",
        )
        for x in rows
    ]
