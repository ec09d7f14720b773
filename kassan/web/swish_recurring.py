"""Recurring Swish at the edge: ``POST /webhooks/swish/consents`` and ``POST
/webhooks/swish/recurring`` (Swish's callbacks for consents and for monthly payments) and
``GET /swish/samtycke/<id>`` (the donor's consent page).

As for one-off payments (``kassan/web/swish.py``), a callback's body is read only for its id;
what is applied is what Swish answers when asked (``consents.sync``, ``charges.sync``), so a
forged body books and ends nothing. Answers: 200 applied; 400 no id; 404 not ours or unknown
to Swish; 409 Swish's copy disagrees with ours; 503 Swish could not be asked (Swish calls
again).

The consent page reloads itself while the consent waits (no JavaScript), with a QR code of the
m-commerce token for a computer and a button that opens the Swish app on a phone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
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
from flask_babel import gettext as _
from sqlalchemy import Engine, select

from kassan.web.database import get_engine
from kassan.web.errors import api_error, code_of, status_of
from kassan.web.swish import FETCH_ERRORS, REFRESH_SECONDS
from ledger import payment_instructions as instructions
from ledger.db import tables as t
from webhooks.errors import (
    SwishNotConfigured,
    SwishNotFound,
    SwishRefused,
    SwishRequestConflict,
    SwishRequestNotFound,
    SwishUnavailable,
)
from webhooks.swish import charge_results, consents, fields
from webhooks.swish.client import INSTRUCTION_ID

log = logging.getLogger(__name__)

bp = Blueprint("swish_recurring", __name__)


def _callback(
    keys: tuple[str, ...], sync: Callable[[Engine, Mapping[str, Any], str], str]
) -> Response:
    body = request.get_json(silent=True)
    raw = next((body.get(k) for k in keys if body.get(k)), "") if isinstance(body, dict) else ""
    swish_id = str(raw).upper() if isinstance(raw, str) else ""
    if not INSTRUCTION_ID.match(swish_id):
        return api_error(400, "InvalidCallback", f"the body has no Swish {keys[0]}")
    try:
        status = sync(get_engine(current_app), current_app.config, swish_id)
    except (SwishRequestNotFound, SwishNotFound) as exc:
        log.warning("Swish callback for an unknown id from %s: %s", request.remote_addr, exc)
        return api_error(status_of(exc), "UnknownRequest", "no such Swish consent or payment")
    except SwishRequestConflict as exc:
        log.error("Swish callback %s does not agree with ours: %s", swish_id, exc)
        return api_error(status_of(exc), code_of(exc), exc.message, field=exc.field)
    except (SwishUnavailable, SwishNotConfigured, SwishRefused) as exc:
        log.warning("Swish callback %s could not be confirmed: %s", swish_id, exc)
        return api_error(503, "SwishUnavailable", "Swish could not be asked; try again later")
    return jsonify(received=True, id=swish_id, status=status)


@bp.post("/webhooks/swish/consents")
def receive_consent() -> Response:
    return _callback(("consentId", "id"), consents.sync)


@bp.post("/webhooks/swish/recurring")
def receive_payment() -> Response:
    return _callback(("paymentId", "id"), charge_results.sync)


@bp.get("/swish/samtycke/<consent_id>")
def consent_status(consent_id: str) -> Response:
    if not INSTRUCTION_ID.match(consent_id):
        abort(404)
    row = _consent(consent_id)
    if row is None:
        abort(404)
    if row.status in consents.OPEN:
        try:
            consents.sync(get_engine(current_app), current_app.config, consent_id)
        except FETCH_ERRORS as exc:
            log.info("Swish consent %s not fetched now: %s", consent_id, exc)
        row = _consent(consent_id)
    open_ = row.status in consents.OPEN
    token = row.token if open_ else None
    response = make_response(
        render_template(
            "swish/consent.html",
            consent=row,
            open=open_,
            refresh=REFRESH_SECONDS if open_ else None,
            app_link=_app_link(token, consent_id) if token else None,
            qr=instructions.qr_svg(fields.token_qr_payload(token), title=_("Swish-QR-kod"))
            if token
            else None,
        )
    )
    if open_:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


def _consent(consent_id: str) -> Any:
    c, g, n = t.swish_consents.c, t.gifts.c, t.networks.c
    with get_engine(current_app).connect() as conn:
        return conn.execute(
            select(
                c.consent_id,
                c.status,
                c.token,
                c.payer_alias,
                c.error_code,
                c.payee_payment_reference,
                g.amount_ore,
                g.currency,
                g.public_id,
                n.name.label("network_name"),
            )
            .select_from(
                t.swish_consents.join(t.gifts, g.id == c.gift_id).outerjoin(
                    t.networks, n.id == g.network_id
                )
            )
            .where(c.consent_id == consent_id)
        ).first()


def _app_link(token: str, consent_id: str) -> str:
    """Opens the Swish app on this phone; it comes back to this page when the donor answered."""
    base = str(current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    back = f"{base}/swish/samtycke/{consent_id}"
    return "swish://paymentrequest?" + urlencode(
        {"token": token, "callbackurl": back}, quote_via=quote
    )
