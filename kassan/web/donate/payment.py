"""Sending the donor to pay: to Stripe Checkout for a card, or, for bankgiro and Swish, giving
the gift its reference and showing how to pay (``/betala/<gift>``) or starting a Swish Handel
payment request."""

from __future__ import annotations

from typing import Any

import stripe
from flask import abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kassan.web.database import get_engine
from kassan.web.donate.blueprint import bp
from kassan.web.donate.form_page import render_form, swish_handel
from ledger import payment_instructions as instructions
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.services import dimensions, expected, gifts
from webhooks.errors import StripeNotConfigured, SwishRefused
from webhooks.stripe import checkout
from webhooks.swish import checkout as swish_checkout
from webhooks.swish import consents as swish_consents


def start_checkout(
    network: dimensions.Network | None,
    public_id: str,
    values: dict[str, str],
    collection: str | None = None,
) -> Response | tuple[str, int]:
    """Send the donor to Stripe Checkout; ``collection``: the slug of the workplace collection
    whose page the gift was given on (it goes into the metadata, and cancel returns there)."""
    engine = get_engine(current_app)
    with engine.connect() as conn:
        gift = gifts.get_gift(conn, public_id)
    if gift is None:  # pragma: no cover - just written
        abort(500)
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    form_path = f"/n/{network.slug}" if network else "/ge"
    if collection:
        form_path = f"/i/{collection}"
    product = (
        _("Gåva till %(network)s", network=network.name)
        if network
        else _("Gåva där behovet är störst")
    )
    try:
        session_ = checkout.create_checkout_session(
            current_app.config,
            gift,
            success_url=f"{base}/tack/{public_id}?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{base}{form_path}?gift={public_id}",
            product_name=product,
            collection=collection,
        )
    except (StripeNotConfigured, stripe.StripeError) as exc:
        current_app.logger.warning("checkout for gift %s failed: %s", public_id, exc)
        problem = _(
            "Kortbetalningen kunde inte startas just nu. Ingenting har dragits. "
            "Försök igen om en stund."
        )
        return render_form(network, values, problem=problem, status=503)
    with engine.begin() as conn:
        gifts.set_checkout_session(conn, public_id, session_.id)
    return redirect(session_.url, code=303)


def by_reference(
    network: dimensions.Network | None, public_id: str, values: dict[str, str]
) -> Response | tuple[str, int]:
    """Give the gift its expected payment (and so its reference), then send the donor to the
    page that shows how to pay, or, with a Swish Handel agreement, to Swish."""
    engine = get_engine(current_app)
    with engine.begin() as conn:
        gift = gifts.get_gift(conn, public_id)
        if gift is None:  # pragma: no cover - just written
            abort(500)
        payment = expected.for_gift(
            conn,
            gift_id=gift.id,
            amount=Money(gift.amount_ore, gift.currency),
            network_id=gift.network_id,
            monthly=gift.frequency == "monthly",
        )
    if gift.channel == "swish" and swish_handel():
        payer = " ".join(values.get("payer_number", "").split()) or None
        try:
            with engine.begin() as conn:
                start = (
                    swish_consents.start if gift.frequency == "monthly" else swish_checkout.start
                )
                path = start(conn, current_app.config, public_id, payment, payer)
        except SwishRefused as exc:
            problem = _(swish_checkout.swedish_reason(exc))
            return render_form(network, values, problem=problem, status=422)
        except LedgerError as exc:  # not configured, or Swish cannot be reached
            current_app.logger.warning("Swish for gift %s failed: %s", public_id, exc)
            problem = _(
                "Swish kunde inte startas just nu. Ingenting har dragits. "
                "Försök igen om en stund, eller välj ett annat betalsätt."
            )
            return render_form(network, values, problem=problem, status=503)
        return redirect(path, code=303)
    return redirect(url_for("donate.pay", public_id=public_id), code=303)


@bp.get("/betala/<public_id>")
def pay(public_id: str) -> str:
    with get_engine(current_app).connect() as conn:
        gift = gifts.get_gift(conn, public_id)
        payment = expected.by_gift(conn, gift.id) if gift is not None else None
    if gift is None or payment is None or gift.channel not in ("bankgiro", "swish"):
        abort(404)
    config = current_app.config
    amount = Money(gift.amount_ore, gift.currency)
    details: dict[str, Any] = {"gift": gift, "payment": payment, "amount": amount}
    if gift.channel == "bankgiro":
        if not config.get("BANKGIRO"):
            abort(404)  # the method was switched off since: no number to show
        details["bankgiro"] = instructions.format_bankgiro(str(config["BANKGIRO"]))
    else:
        payee = config.get("SWISH_PAYEE_NUMBER")
        if not payee:
            abort(404)
        qr_payload = instructions.swish_qr_payload(payee, amount, payment.reference)
        details["swish_number"] = instructions.swish_number(payee)
        details["swish_qr"] = instructions.qr_svg(qr_payload, title=_("Swish-QR-kod"))
        details["swish_link"] = instructions.swish_app_link(payee, amount, payment.reference)
    return render_template("donate/pay.html", **details)
