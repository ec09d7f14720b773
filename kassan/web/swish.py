"""``POST /webhooks/swish`` (Swish's callbacks) and ``GET /swish/<id>`` (the donor's status page).

Thin: both take an id and call ``callback.sync``, which fetches the truth from Swish. The
callback's body is read only for its ``id``; a forged body books nothing, because what is booked
is what Swish answers. Answers: 200 when applied; 404 for an id that is not ours or that Swish
does not know; 409 when Swish's copy disagrees with ours; 503 when Swish cannot be reached, so
that Swish calls again later.

The status page refreshes itself (``<meta http-equiv="refresh">``, no JavaScript) while the
request is open, fetching the status from Swish on each view, so a lost callback does not leave
the donor waiting; once Swish has answered it says how it went, in Swedish.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
)
from sqlalchemy import select

from kassan.web.database import get_engine
from kassan.web.errors import api_error, code_of, status_of
from ledger.db import tables as t
from webhooks.errors import (
    SwishNotConfigured,
    SwishNotFound,
    SwishRefused,
    SwishRequestConflict,
    SwishRequestNotFound,
    SwishUnavailable,
)
from webhooks.swish import callback
from webhooks.swish.client import INSTRUCTION_ID

log = logging.getLogger(__name__)

bp = Blueprint("swish", __name__)

REFRESH_SECONDS = 3
# Why a status page's own fetch may fail without failing the page: the page just waits longer.
FETCH_ERRORS = (
    SwishUnavailable,
    SwishNotConfigured,
    SwishNotFound,
    SwishRefused,
    SwishRequestConflict,
)


@bp.post("/webhooks/swish")
def receive() -> Response:
    body = request.get_json(silent=True)
    swish_id = str(body.get("id") or "").upper() if isinstance(body, dict) else ""
    if not INSTRUCTION_ID.match(swish_id):
        return api_error(400, "InvalidCallback", "the body has no Swish payment or refund id")
    engine = get_engine(current_app)
    try:
        status = callback.sync(engine, current_app.config, swish_id)
    except (SwishRequestNotFound, SwishNotFound) as exc:
        log.warning("Swish callback for an unknown id from %s: %s", request.remote_addr, exc)
        return api_error(
            status_of(exc), "UnknownRequest", "no such Swish payment request or refund"
        )
    except SwishRequestConflict as exc:
        log.error("Swish callback %s does not agree with our request: %s", swish_id, exc)
        return api_error(status_of(exc), code_of(exc), exc.message, field=exc.field)
    except (SwishUnavailable, SwishNotConfigured, SwishRefused) as exc:
        log.warning("Swish callback %s could not be confirmed: %s", swish_id, exc)
        # Not the table's status: whatever kept us from asking Swish (its refusal included),
        # the callback is answered 503 so that Swish calls again later.
        return api_error(503, "SwishUnavailable", "Swish could not be asked; try again later")
    return jsonify(received=True, id=swish_id, status=status)


@bp.get("/swish/<instruction_id>")
def status(instruction_id: str) -> Response:
    if not INSTRUCTION_ID.match(instruction_id):
        abort(404)
    engine = get_engine(current_app)
    row = _payment(instruction_id)
    if row is None:
        abort(404)
    if row.status in ("NEW", "CREATED"):
        try:
            callback.sync(engine, current_app.config, instruction_id)
        except FETCH_ERRORS as exc:
            log.info("Swish status of %s not fetched now: %s", instruction_id, exc)
        row = _payment(instruction_id)
    open_ = row.status in ("NEW", "CREATED")
    response = make_response(
        render_template(
            "swish/status.html",
            payment=row,
            open=open_,
            refresh=REFRESH_SECONDS if open_ else None,
            app_link=_app_link(row.token, instruction_id) if open_ and row.token else None,
        )
    )
    if open_:
        # The header and the page's <meta> both ask for a reload: no JavaScript needed.
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


def _payment(instruction_id: str) -> Any:
    with get_engine(current_app).connect() as conn:
        s, g, n = t.swish_payments.c, t.gifts.c, t.networks.c
        return conn.execute(
            select(
                s.instruction_id,
                s.status,
                s.token,
                s.amount_ore,
                s.currency,
                s.payer_alias,
                s.error_code,
                s.payee_payment_reference,
                g.public_id,
                n.name.label("network_name"),
            )
            .select_from(
                t.swish_payments.join(t.gifts, g.id == s.gift_id).outerjoin(
                    t.networks, n.id == g.network_id
                )
            )
            .where(s.instruction_id == instruction_id)
        ).first()


def _app_link(token: str, instruction_id: str) -> str:
    """``swish://paymentrequest?token=...&callbackurl=...``: opens the Swish app on this phone,
    which comes back to this page when the donor has answered."""
    base = str(current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    back = f"{base}/swish/{instruction_id}"
    return "swish://paymentrequest?" + urlencode(
        {"token": token, "callbackurl": back}, quote_via=quote
    )
