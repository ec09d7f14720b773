"""After paying: ``/tack/<gift>`` (thank you) and ``/sluta/<token>`` (stop a monthly gift from the
receipt's signed link)."""

from __future__ import annotations

import stripe
from flask import abort, current_app, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from kassan.web.database import get_engine
from kassan.web.donate.blueprint import bp
from ledger.services import gifts, mail
from ledger.services.autogiro import signup
from ledger.statuses import GiftStatus
from webhooks.errors import StripeNotConfigured, SwishNotConfigured, SwishRefused, SwishUnavailable
from webhooks.stripe import checkout
from webhooks.swish import consents as swish_consents

STOP_MAX_AGE = 60 * 60 * 24 * 62  # receipts come monthly; each carries a fresh link


@bp.get("/tack/<public_id>")
def thanks(public_id: str) -> str:
    with get_engine(current_app).connect() as conn:
        gift = gifts.get_gift(conn, public_id)
        mandate = signup.for_gift(conn, gift.id) if gift is not None else None
    if gift is None:
        abort(404)
    first = None
    if mandate is not None:
        day = int(current_app.config.get("AUTOGIRO_DEBIT_DAY") or 28)
        first = signup.first_debit(mandate.created_at.date(), day)
    return render_template("donate/thanks.html", gift=gift, mandate=mandate, first_debit=first)


def _stop_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=mail.STOP_SALT)


@bp.route("/sluta/<token>", methods=["GET", "POST"])
def stop(token: str) -> str | tuple[str, int]:
    try:
        public_id = _stop_serializer().loads(token, max_age=STOP_MAX_AGE)
    except SignatureExpired:
        return render_template("donate/stop.html", state="expired", gift=None), 410
    except BadSignature:
        return render_template("donate/stop.html", state="invalid", gift=None), 400
    with get_engine(current_app).connect() as conn:
        gift = gifts.get_gift(conn, str(public_id))
    if gift is None or gift.frequency != "monthly":
        abort(404)
    if gift.status == GiftStatus.CANCELLED:
        return render_template("donate/stop.html", state="stopped", gift=gift)
    if request.method == "GET":
        return render_template("donate/stop.html", state="confirm", gift=gift)
    if gift.channel == "swish":
        return _stop_swish(gift)
    if gift.channel == "autogiro":
        with get_engine(current_app).begin() as conn:
            stopped = signup.stop(conn, gift.public_id)
        if not stopped:
            return render_template("donate/stop.html", state="not_started", gift=gift), 409
        return render_template("donate/stop.html", state="stopped", gift=gift)
    if not gift.stripe_subscription_id:
        return render_template("donate/stop.html", state="not_started", gift=gift), 409
    try:
        checkout.cancel_subscription(current_app.config, gift.stripe_subscription_id)
    except stripe.InvalidRequestError as exc:
        if exc.code != "resource_missing":
            current_app.logger.warning("stopping gift %s failed: %s", public_id, exc)
            return render_template("donate/stop.html", state="failed", gift=gift), 503
        # Stripe has no such subscription any more: nothing will be charged, so it is stopped.
    except (StripeNotConfigured, stripe.StripeError) as exc:
        current_app.logger.warning("stopping gift %s failed: %s", public_id, exc)
        return render_template("donate/stop.html", state="failed", gift=gift), 503
    with get_engine(current_app).begin() as conn:
        gifts.mark_cancelled(conn, gift.public_id)
    return render_template("donate/stop.html", state="stopped", gift=gift)


def _stop_swish(gift: gifts.Gift) -> str | tuple[str, int]:
    """A recurring Swish gift: its consent is ended at Swish (DELETE), then the gift."""
    try:
        stopped = swish_consents.stop(get_engine(current_app), current_app.config, gift.public_id)
    except (SwishUnavailable, SwishRefused, SwishNotConfigured) as exc:
        current_app.logger.warning("stopping gift %s at Swish failed: %s", gift.public_id, exc)
        return render_template("donate/stop.html", state="failed", gift=gift), 503
    if not stopped:
        return render_template("donate/stop.html", state="not_started", gift=gift), 409
    return render_template("donate/stop.html", state="stopped", gift=gift)
