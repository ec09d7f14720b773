"""A monthly gift by recurring Swish: the consent the donor approves once in the Swish app.

``start`` is what the gift form calls for monthly + Swish when the agreement includes recurring
payments (``SWISH_RECURRING``). With the donor's mobile number it asks Swish for an e-commerce
consent (the donor's app asks them); without one an m-commerce consent, whose token opens the
app on this phone or goes into a QR code for a computer. The donor is sent to
``/swish/samtycke/<consent id>``. Attempts work as for one-off payment requests
(``checkout.py``): a reload or double submit while a consent waits gets the same page; a new
attempt (new id) only after Swish said DECLINED or ERROR, or for another number.

``sync`` is what the consent callback and the status page call: it takes only the id, fetches
the consent back from Swish and applies what Swish says under a lock on our row. ACTIVE: the
gift can be charged each month (``charges.py``); DECLINED, ERROR: nothing more happens;
CANCELLED after ACTIVE (the donor ended it in the app): the monthly gift ends. ``stop`` is the
donor's stop link: the consent is deleted at Swish, then the gift ends.

Statuses: Swish's published material we have does not list the consent statuses in full; Kassan
assumes PENDING, ACTIVE, DECLINED, CANCELLED and ERROR (docs/deployment.md), refuses any other with
``SwishRequestConflict`` and books nothing on a consent anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.services import gifts
from ledger.services.expected import ExpectedPayment
from webhooks.errors import (
    SwishNotFound,
    SwishRefused,
    SwishRequestConflict,
    SwishRequestNotFound,
)
from webhooks.swish import fields
from webhooks.swish.checkout import callback_url
from webhooks.swish.client import Settings, SwishClient

__all__ = ["OPEN", "consent_callback_url", "start", "status_path", "stop", "sync"]

OPEN = ("NEW", "PENDING")
FINAL = frozenset({"DECLINED", "ERROR", "CANCELLED"})  # nothing changes after these
_STATUSES = frozenset({"PENDING", "ACTIVE"}) | FINAL


def status_path(consent_id: str) -> str:
    return f"/swish/samtycke/{consent_id}"


def consent_callback_url(config: Mapping[str, Any]) -> str:
    return callback_url(config) + "/consents"


def _latest(conn: Connection, gift_id: int) -> Any:
    c = t.swish_consents.c
    return conn.execute(
        select(t.swish_consents)
        .where(c.gift_id == gift_id)
        .order_by(c.attempt.desc())
        .limit(1)
        .with_for_update()
    ).first()


def _row(conn: Connection, consent_id: str) -> Any:
    return conn.execute(
        select(t.swish_consents).where(t.swish_consents.c.consent_id == consent_id)
    ).one()


def start(
    conn: Connection,
    config: Mapping[str, Any],
    gift_public_id: str,
    expected_payment: ExpectedPayment,
    payer_number: str | None,
) -> str:
    """Ask Swish for (or find again) the gift's consent; returns its status page's path."""
    alias = fields.payer_alias(payer_number) if payer_number else None
    settings = Settings.from_config(config)
    callback = consent_callback_url(config)
    gift = gifts.get_gift(conn, gift_public_id)
    if gift is None or gift.frequency != "monthly":
        raise LedgerError(f"no monthly gift {gift_public_id}", "gift")
    if expected_payment.gift_id != gift.id:
        raise LedgerError("the expected payment belongs to another gift", "expected_payment")
    latest = _latest(conn, gift.id)
    if latest is not None and (
        latest.status == "ACTIVE" or (latest.status in OPEN and latest.payer_alias == alias)
    ):
        if latest.status != "NEW":
            return status_path(latest.consent_id)
        row = latest  # stored but never confirmed by Swish: send the same id again
    else:
        attempt = 1 if latest is None else int(latest.attempt) + 1
        now = datetime.now(UTC)
        consent_id = fields.consent_id(gift.public_id, attempt)
        conn.execute(
            t.swish_consents.insert().values(
                consent_id=consent_id,
                gift_id=gift.id,
                expected_payment_id=expected_payment.id,
                attempt=attempt,
                payee_payment_reference=fields.payee_reference(expected_payment.reference),
                payer_alias=alias,
                status="NEW",
                created_at=now,
                updated_at=now,
            )
        )
        row = _row(conn, consent_id)
    body: dict[str, Any] = {
        "callbackUrl": callback,
        "payee": {"alias": settings.merchant_number},
        "payeePaymentReference": row.payee_payment_reference,
    }
    if alias is not None:
        body["payer"] = {"alias": alias}
    with SwishClient(settings) as api:
        try:
            token = api.create_consent(row.consent_id, body, token=alias is None).token
        except SwishRefused as exc:
            if exc.http_status != 409:
                raise
            try:  # Swish holds this id already (an earlier try timed out): read it back
                api.consent(row.consent_id)
            except SwishNotFound:
                raise exc from None
            token = row.token
    c = t.swish_consents.c
    conn.execute(
        t.swish_consents.update()
        .where(c.consent_id == row.consent_id, c.status == "NEW")
        .values(status="PENDING", token=token, updated_at=datetime.now(UTC))
    )
    return status_path(row.consent_id)


def sync(engine: Engine, config: Mapping[str, Any], consent_id: str) -> str:
    """Fetch the consent from Swish and apply it; returns the status Swish gave (or ours,
    when it is final and Swish need not be asked)."""
    with engine.connect() as conn:
        status = conn.scalar(
            select(t.swish_consents.c.status).where(t.swish_consents.c.consent_id == consent_id)
        )
    if status is None:
        raise SwishRequestNotFound(f"no Swish consent {consent_id}", "id")
    if status in FINAL:
        return str(status)
    settings = Settings.from_config(config)
    with SwishClient(settings) as api:
        fetched = api.consent(consent_id)
    with engine.begin() as conn:
        return apply(conn, settings, consent_id, fetched)


def _alias(fetched: Mapping[str, Any], side: str) -> object:
    party = fetched.get(side)
    return party.get("alias") if isinstance(party, dict) else None


def apply(conn: Connection, settings: Settings, consent_id: str, fetched: Mapping[str, Any]) -> str:
    """What Swish says of the consent, applied to our row (locked) and the gift."""
    row = conn.execute(
        select(t.swish_consents)
        .where(t.swish_consents.c.consent_id == consent_id)
        .with_for_update()
    ).first()
    if row is None:
        raise SwishRequestNotFound(f"no Swish consent {consent_id}", "id")
    theirs_id = str(fetched.get("consentId") or fetched.get("id") or "").upper()
    if theirs_id != consent_id:
        raise SwishRequestConflict(f"Swish answered for {theirs_id!r}, not {consent_id}", "id")
    for name, theirs, ours in (
        ("payee.alias", _alias(fetched, "payee"), settings.merchant_number),
        (
            "payeePaymentReference",
            fetched.get("payeePaymentReference"),
            row.payee_payment_reference,
        ),
    ):
        if theirs != ours:
            raise SwishRequestConflict(f"Swish's {name} is {theirs!r}, ours {ours!r}", name)
    if row.payer_alias is not None and _alias(fetched, "payer") not in (None, row.payer_alias):
        raise SwishRequestConflict(f"Swish's payer is not ours ({consent_id})", "payer.alias")
    status = str(fetched.get("status"))
    if status not in _STATUSES:
        raise SwishRequestConflict(
            f"unknown Swish consent status {status!r} ({consent_id})", "status"
        )
    if row.status in FINAL or row.status == status:
        return status
    if status == "PENDING" and row.status == "ACTIVE":
        return status  # an old answer overtaken by a newer one: an active consent stays so
    now = datetime.now(UTC)
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status == "ACTIVE":
        values["activated_at"] = now
    elif status in ("DECLINED", "ERROR"):
        code, message = fetched.get("errorCode"), fetched.get("errorMessage")
        values["error_code"] = str(code)[:20] if code else None
        values["error_message"] = str(message)[:500] if message else None
    elif status == "CANCELLED":
        values |= {"ended_at": now, "ended_by": "payer"}
    conn.execute(
        t.swish_consents.update().where(t.swish_consents.c.consent_id == consent_id).values(values)
    )
    if status == "CANCELLED" and row.status == "ACTIVE":
        _end_gift(conn, int(row.gift_id))
    return status


def _end_gift(conn: Connection, gift_id: int) -> None:
    public_id = conn.scalar(select(t.gifts.c.public_id).where(t.gifts.c.id == gift_id))
    gifts.mark_cancelled(conn, str(public_id))


def stop(engine: Engine, config: Mapping[str, Any], gift_public_id: str) -> bool:
    """The donor's stop link: every open or active consent of the gift is deleted at Swish
    (one Swish no longer knows is ended already), then the gift ends. False: the gift has no
    consent (nothing to stop at Swish). ``SwishUnavailable`` or ``SwishRefused`` leaves the
    gift as it was, so the donor can try again."""
    with engine.connect() as conn:
        gift = gifts.get_gift(conn, gift_public_id)
        if gift is None:
            return False
        c = t.swish_consents.c
        live = [
            str(r)
            for r in conn.scalars(
                select(c.consent_id).where(
                    c.gift_id == gift.id, c.status.in_(("NEW", "PENDING", "ACTIVE"))
                )
            )
        ]
        any_consent = conn.scalar(select(c.consent_id).where(c.gift_id == gift.id).limit(1))
    if any_consent is None:
        return False
    if live:
        with SwishClient(Settings.from_config(config)) as api:
            for consent_id in live:
                # never made at Swish, or gone already: nothing can be charged either way
                with suppress(SwishNotFound):
                    api.cancel_consent(consent_id)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if live:
            conn.execute(
                t.swish_consents.update()
                .where(c.consent_id.in_(live), c.status.in_(("NEW", "PENDING", "ACTIVE")))
                .values(status="CANCELLED", ended_at=now, ended_by="merchant", updated_at=now)
            )
        gifts.mark_cancelled(conn, gift_public_id)
    return True
