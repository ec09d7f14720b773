"""Starting a Swish Handel payment for a gift: one payment request per attempt, stored first.

``start`` is what the checkout page calls when ``SWISH_MERCHANT_NUMBER`` is set. With the
donor's mobile number it makes an e-commerce request (the donor's Swish app asks them to pay);
without one an m-commerce request, whose token opens the Swish app on the same phone. Either
way the donor is sent to ``/swish/<instruction id>``, which shows how it went.

Attempts: a gift's first request is attempt 1. A retry while that attempt is still open (a
double submit, a reload) gets the same page back; a retry after a timeout sends the same
instruction id again, so Swish never holds two requests for one attempt. Only after Swish
answered DECLINED, ERROR or CANCELLED (or the donor gives another number) is a new attempt, with
a new id, made.

``start`` works in the caller's transaction and raises ``PayerNumberInvalid`` (Swedish text,
field ``payer_number``) before anything is written or sent, ``SwishRefused`` when Swish says no
(``swedish_reason`` gives the donor a Swedish sentence), ``SwishUnavailable`` when Swish cannot
be reached, and ``SwishNotConfigured`` when the settings are incomplete.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.services import gifts
from ledger.services.expected import ExpectedPayment
from webhooks.errors import SwishNotConfigured, SwishNotFound, SwishRefused
from webhooks.swish import fields
from webhooks.swish.client import Settings, SwishClient

__all__ = ["callback_url", "start", "status_path", "swedish_reason"]

OPEN = ("NEW", "CREATED")
FINAL = ("PAID", "DECLINED", "ERROR", "CANCELLED")

# What the donor reads when Swish refuses a request (codes from Swish's API guide).
_REASONS = {
    "BE18": "Mobilnumret är inte giltigt för Swish. Kontrollera numret och försök igen.",
    "ACMT03": "Mobilnumret är inte kopplat till Swish. Kontrollera numret eller välj ett annat "
    "sätt att ge.",
    "ACMT01": "Mottagarens Swish är inte aktiverat just nu. Välj ett annat sätt att ge.",
    "ACMT07": "Mottagarens Swish är inte aktiverat just nu. Välj ett annat sätt att ge.",
    "RP06": "Det finns redan en obesvarad Swishbetalning till ditt nummer. Svara på den i "
    "Swish-appen eller vänta några minuter.",
    "AM02": "Beloppet är för stort för Swish. Välj ett annat sätt att ge.",
    "AM06": "Beloppet är för litet för Swish.",
    "VR01": "Swish tillåter inte betalningen på grund av åldersgräns.",
}
_GENERIC = "Swish kunde inte ta emot betalningen just nu. Ingenting har dragits. Försök igen."


def swedish_reason(exc: SwishRefused) -> str:
    """A sentence for the donor about why Swish said no."""
    for code in exc.codes:
        if code in _REASONS:
            return _REASONS[code]
    return _GENERIC


def status_path(instruction_id: str) -> str:
    return f"/swish/{instruction_id}"


def callback_url(config: Mapping[str, Any]) -> str:
    """Where Swish posts its callbacks: ``SWISH_CALLBACK_URL``, else the public base's
    ``/webhooks/swish``. Production insists on https (Swish refuses http); development and the
    tests may use http, which the tests' fake Swish accepts when told to."""
    url = str(
        config.get("SWISH_CALLBACK_URL")
        or str(config.get("PUBLIC_BASE_URL") or "").rstrip("/") + "/webhooks/swish"
    )
    if config.get("KASSAN_ENV") == "production" and not url.startswith("https://"):
        raise SwishNotConfigured(
            "Swish callbacks need an https:// address: set SWISH_CALLBACK_URL", "SWISH_CALLBACK_URL"
        )
    return url


def _latest(conn: Connection, gift_id: int) -> Any:
    s = t.swish_payments.c
    return conn.execute(
        select(t.swish_payments)
        .where(s.gift_id == gift_id)
        .order_by(s.attempt.desc())
        .limit(1)
        .with_for_update()
    ).first()


def start(
    conn: Connection,
    config: Mapping[str, Any],
    gift_public_id: str,
    expected_payment: ExpectedPayment,
    payer_number: str | None,
) -> str:
    """Make (or find again) the gift's Swish payment request; returns its status page's path."""
    alias = fields.payer_alias(payer_number) if payer_number else None
    settings = Settings.from_config(config)
    callback = callback_url(config)
    gift = gifts.get_gift(conn, gift_public_id)
    if gift is None:
        raise LedgerError(f"no gift {gift_public_id}", "gift")
    if expected_payment.gift_id not in (None, gift.id):
        raise LedgerError("the expected payment belongs to another gift", "expected_payment")
    amount_ore = expected_payment.amount_ore or gift.amount_ore
    latest = _latest(conn, gift.id)
    if latest is not None and (
        latest.status == "PAID"
        or (
            latest.status in OPEN
            and latest.payer_alias == alias
            and int(latest.amount_ore) == amount_ore
        )
    ):
        if latest.status != "NEW":
            return status_path(latest.instruction_id)
        row = latest  # stored but never confirmed by Swish: send the same id again
    else:
        attempt = 1 if latest is None else int(latest.attempt) + 1
        now = datetime.now(UTC)
        instruction_id = fields.payment_instruction_id(gift.public_id, attempt)
        conn.execute(
            t.swish_payments.insert().values(
                instruction_id=instruction_id,
                gift_id=gift.id,
                expected_payment_id=expected_payment.id,
                attempt=attempt,
                payee_payment_reference=fields.payee_reference(expected_payment.reference),
                payer_alias=alias,
                amount_ore=amount_ore,
                currency=gift.currency,
                message=fields.message(
                    f"Gåva {expected_payment.reference} {gift.network_name or ''}"
                ),
                status="NEW",
                created_at=now,
                updated_at=now,
            )
        )
        row = conn.execute(
            select(t.swish_payments).where(t.swish_payments.c.instruction_id == instruction_id)
        ).one()
    body: dict[str, Any] = {
        "payeePaymentReference": row.payee_payment_reference,
        "callbackUrl": callback,
        "payeeAlias": settings.merchant_number,
        "amount": fields.amount(int(row.amount_ore)),
        "currency": row.currency,
        "message": row.message,
    }
    if alias is not None:
        body["payerAlias"] = alias
    with SwishClient(settings) as api:
        try:
            created = api.create_payment_request(row.instruction_id, body)
            token = created.token
        except SwishRefused as exc:
            if exc.http_status != 409:
                raise
            # Swish already holds this id (an earlier try timed out after Swish took it):
            # read it back instead of making another.
            try:
                api.payment_request(row.instruction_id)
            except SwishNotFound:
                raise exc from None
            token = row.token
    s = t.swish_payments.c
    conn.execute(
        t.swish_payments.update()
        .where(s.instruction_id == row.instruction_id, s.status == "NEW")
        .values(status="CREATED", token=token, updated_at=datetime.now(UTC))
    )
    return status_path(row.instruction_id)
