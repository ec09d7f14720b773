"""The monthly charge of recurring Swish: one payment per active consent and month, retried once.

``charge_month(engine, config, "2026-12")`` is ``kassan swish charge-monthly --month``. For each
ACTIVE consent of a monthly gift still running it makes the month's payment (attempt 1) unless
there is one; a charge whose attempt 1 failed (DECLINED or ERROR) gets one retry (attempt 2) on
a later run, and no more. Rows are written first, with ids made from consent, month and attempt
(``fields.recurring_payment_id``), so ``UNIQUE (consent_id, month, attempt)`` makes a second
run, or two at once, make nothing twice, and a run that timed out sends the same id again.

What happens to a charge once made (its callback, the booking, the desk's list) is in
``charge_results``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.statuses import GiftStatus
from webhooks.errors import (
    SwishNotFound,
    SwishRefused,
    SwishUnavailable,
)
from webhooks.swish import fields
from webhooks.swish.charge_results import FAILED
from webhooks.swish.checkout import callback_url
from webhooks.swish.client import Settings, SwishClient

__all__ = ["ChargeRun", "charge_month"]

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_RUNNING = (GiftStatus.PENDING, GiftStatus.ACTIVE, GiftStatus.FAILED)


@dataclass(slots=True)
class ChargeRun:
    """What one run did: payments sent now (first tries and retries), those that were made
    before, and those Swish refused or could not be reached for (``problems``: id, why)."""

    sent: int = 0
    retried: int = 0
    already: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)


def recurring_callback_url(config: Mapping[str, Any]) -> str:
    return callback_url(config) + "/recurring"


def _checked_month(month: str) -> str:
    if not _MONTH.match(month):
        raise LedgerError(f"månaden skrivs ÅÅÅÅ-MM, till exempel 2026-12, inte {month!r}", "month")
    return month


def _active_consents(conn: Connection) -> list[Any]:
    c, g, n = t.swish_consents.c, t.gifts.c, t.networks.c
    return list(
        conn.execute(
            select(
                c.consent_id,
                c.payee_payment_reference,
                g.amount_ore,
                g.currency,
                n.name.label("network_name"),
            )
            .select_from(
                t.swish_consents.join(t.gifts, g.id == c.gift_id).outerjoin(
                    t.networks, n.id == g.network_id
                )
            )
            .where(c.status == "ACTIVE", g.frequency == "monthly", g.status.in_(_RUNNING))
            .order_by(c.consent_id)
        )
    )


def _plan(conn: Connection, consent: Any, month: str) -> int | None:
    """The attempt to make now for this consent and month, or None (made, or retried)."""
    r = t.swish_recurring_payments.c
    tries = {
        int(a): str(s)
        for a, s in conn.execute(
            select(r.attempt, r.status).where(r.consent_id == consent.consent_id, r.month == month)
        )
    }
    if not tries:
        return 1
    if tries.get(1) in FAILED and 2 not in tries:
        return 2
    return None


def charge_month(engine: Engine, config: Mapping[str, Any], month: str) -> ChargeRun:
    """Make (and send) the month's payment for every active consent; see the module text."""
    _checked_month(month)
    settings = Settings.from_config(config)
    callback = recurring_callback_url(config)
    run = ChargeRun()
    with engine.connect() as conn:
        consents = _active_consents(conn)
    for consent in consents:
        try:
            with engine.begin() as conn:
                attempt = _plan(conn, consent, month)
                if attempt is None:
                    run.already += 1
                    continue
                _insert(conn, consent, month, attempt)
        except IntegrityError:
            run.already += 1  # another run made it at the same moment
            continue
    r = t.swish_recurring_payments.c
    with engine.connect() as conn:
        unsent = list(
            conn.execute(
                select(t.swish_recurring_payments)
                .where(r.month == month, r.status == "NEW")
                .order_by(r.consent_id, r.attempt)
            )
        )
    with SwishClient(settings) as api:
        for row in unsent:
            _send(engine, api, settings, callback, row, run)
    return run


def _insert(conn: Connection, consent: Any, month: str, attempt: int) -> None:
    now = datetime.now(UTC)
    text = f"Månadsgåva {month} {consent.network_name or ''}"
    conn.execute(
        t.swish_recurring_payments.insert().values(
            payment_id=fields.recurring_payment_id(consent.consent_id, month, attempt),
            consent_id=consent.consent_id,
            month=month,
            attempt=attempt,
            payee_payment_reference=consent.payee_payment_reference,
            amount_ore=int(consent.amount_ore),
            currency=consent.currency,
            message=fields.message(text),
            status="NEW",
            created_at=now,
            updated_at=now,
        )
    )


def _send(
    engine: Engine, api: SwishClient, settings: Settings, callback: str, row: Any, run: ChargeRun
) -> None:
    body = {
        "consentId": row.consent_id,
        "callbackUrl": callback,
        "payee": {"alias": settings.merchant_number},
        "amount": {"value": fields.amount(int(row.amount_ore)), "currency": row.currency},
        "message": row.message,
        "payeePaymentReference": row.payee_payment_reference,
    }
    values: dict[str, Any]
    try:
        api.create_recurring_payment(row.payment_id, body)
        values = {"status": "CREATED"}
    except SwishRefused as exc:
        if exc.http_status == 409:  # Swish holds this id already: an earlier run's
            try:
                api.recurring_payment(row.payment_id)
                values = {"status": "CREATED"}
            except SwishNotFound:
                values = _refused(exc)
        else:
            values = _refused(exc)
    except SwishUnavailable as exc:
        run.problems.append((row.payment_id, str(exc)))
        return  # left NEW: the next run sends the same id
    with engine.begin() as conn:
        r = t.swish_recurring_payments.c
        conn.execute(
            t.swish_recurring_payments.update()
            .where(r.payment_id == row.payment_id, r.status == "NEW")
            .values(updated_at=datetime.now(UTC), **values)
        )
    if values["status"] == "ERROR":
        run.problems.append((row.payment_id, str(values["error_message"])))
    elif row.attempt == 1:
        run.sent += 1
    else:
        run.retried += 1


def _refused(exc: SwishRefused) -> dict[str, Any]:
    """Swish made no payment: the charge failed here (on the desk; retried once)."""
    return {
        "status": "ERROR",
        "error_code": (",".join(c for c in exc.codes if c) or str(exc.http_status))[:20],
        "error_message": exc.message[:500],
    }
