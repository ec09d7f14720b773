"""The donor pages: ``/`` (the networks), ``/n/<slug>`` and ``/ge`` (the gift form, to one
network or where the need is greatest), ``/betala/<gift>`` (how to pay by bankgiro or Swish),
``/tack/<gift>`` (thank you) and ``/sluta/<token>`` (stop a monthly gift from the receipt's
signed link).

Payment methods: card (Stripe Checkout), bankgiro (an OCR reference) and Swish (a prefilled QR
code, or a Swish Handel payment request when ``SWISH_MERCHANT_NUMBER`` is set); a method whose
settings are missing is not offered.

Swedish by default, English with ``?lang=en`` (remembered in the session). No JavaScript is
needed: every choice is a plain form control, and errors come back with the form, values kept;
the payment page's copy buttons are a small script on top of text that can be copied by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import stripe
from babel.numbers import format_currency
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import get_babel, get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from kassan.web.database import get_engine
from ledger import payment_instructions as instructions
from ledger.chart import GIFT_INCOME
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.services import balances, dimensions, expected, gifts, mail, pii
from ledger.statuses import GiftStatus
from webhooks.stripe import checkout
from webhooks.stripe.client import StripeNotConfigured
from webhooks.swish import checkout as swish_checkout
from webhooks.swish import fields as swish_fields
from webhooks.swish.client import SwishRefused

bp = Blueprint("donate", __name__)

LANGUAGES = ("sv", "en")
STOP_MAX_AGE = 60 * 60 * 24 * 62  # receipts come monthly; each carries a fresh link


def _select_locale() -> str | None:
    lang = request.args.get("lang") or session.get("lang")
    return "en" if lang == "en" else None  # None: the default, Swedish


@bp.record_once
def _install_locale_selector(state: BlueprintSetupState) -> None:
    get_babel(state.app).locale_selector = _select_locale


@bp.before_request
def _remember_language() -> None:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang


def _lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "sv"


@bp.app_context_processor
def _language_switch() -> dict[str, Any]:
    def switch_url() -> str:
        other = "sv" if _lang() == "en" else "en"
        values: dict[str, Any] = {k: v for k, v in request.args.items() if k != "lang"}
        values.update(request.view_args or {})
        values["lang"] = other
        return url_for(request.endpoint or "donate.index", **values)

    return {"lang": _lang, "language_switch_url": switch_url, "whole_kronor": _whole_kronor}


def _whole_kronor(kronor: int) -> str:
    """A preset as a donor reads it: ``1 000 kr`` (``SEK 1,000`` in English), no öre."""
    pattern = "¤\u00a0#,##0" if _lang() == "en" else "#,##0\u00a0¤"
    return format_currency(
        Decimal(kronor), "SEK", format=pattern, locale=str(get_locale()), currency_digits=False
    )


# --- the networks -----------------------------------------------------------------------------


def _coverage(conn: Any, year: int) -> list[dict[str, Any]]:
    totals = balances.network_totals(conn, year=year, account=GIFT_INCOME)
    rows = []
    for network in dimensions.list_networks(conn):
        debit, credit = totals.get(network.id, (0, 0))
        received = max(0, credit - debit)
        budget = dimensions.get_budget(conn, network.id, year)
        need = budget.need_ore if budget else 0
        percent = min(100, received * 100 // need) if need else None
        rows.append({"network": network, "received": received, "need": need, "percent": percent})
    return rows


@bp.get("/")
def index() -> str:
    year = date.today().year
    with get_engine(current_app).connect() as conn:
        rows = _coverage(conn, year)
    return render_template("donate/index.html", rows=rows, year=year)


# --- the form ---------------------------------------------------------------------------------


def _form_values(gift: gifts.Gift | None) -> dict[str, str]:
    """What the form shows: empty, or a cancelled checkout's gift (personnummer never)."""
    if gift is None or gift.status != GiftStatus.PENDING:
        return {"frequency": "once", "donor_kind": "person", "amount": "200"}
    kr, ore = divmod(gift.amount_ore, 100)
    preset = ore == 0 and kr in gifts.PRESETS_KR
    return {
        "gift": gift.public_id,
        "amount": str(kr) if preset else "other",
        "amount_other": "" if preset else (f"{kr},{ore:02d}" if ore else str(kr)),
        "frequency": gift.frequency,
        "donor_kind": gift.donor_kind,
        "donor_name": gift.donor_name,
        "donor_email": gift.donor_email,
        "organisation_number": gift.organisation_number or "",
        "consent_contact": "1" if gift.consent_contact else "",
        "channel": gift.channel,
    }


def _network_or_404(slug: str | None) -> dimensions.Network | None:
    if slug is None:
        return None
    with get_engine(current_app).connect() as conn:
        network = dimensions.get_network_by_slug(conn, slug)
    if network is None:
        abort(404)
    return network


def _render_form(
    network: dimensions.Network | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return (
        render_template(
            "donate/form.html",
            network=network,
            values=values,
            errors={k: _(v) for k, v in (errors or {}).items()},
            problem=problem,
            presets=gifts.PRESETS_KR,
            channels=_channels(),
            swish_handel=_swish_handel(),
        ),
        status,
    )


def _channels() -> tuple[str, ...]:
    """The payment methods whose settings are present, in the order the form shows them."""
    config = current_app.config
    offered = {
        "card": bool(config.get("STRIPE_SECRET_KEY")),
        "bankgiro": bool(config.get("BANKGIRO")),
        "swish": bool(config.get("SWISH_MERCHANT_NUMBER") or config.get("SWISH_PAYEE_NUMBER")),
    }
    return tuple(channel for channel in gifts.CHANNELS if offered[channel])


def _validate() -> tuple[gifts.GiftDraft | None, dict[str, str]]:
    """The form as a draft, or every error in it (the Swish payer's number included)."""
    errors: dict[str, str] = {}
    draft = None
    try:
        draft = gifts.validate(request.form, locale=_lang(), channels=_channels())
    except gifts.GiftInvalid as exc:
        errors = dict(exc.errors)
    payer = " ".join(request.form.get("payer_number", "").split())
    if payer and request.form.get("channel") == "swish" and _swish_handel():
        try:
            swish_fields.payer_alias(payer)
        except swish_fields.PayerNumberInvalid as exc:
            errors["payer_number"] = exc.message
    return (None if errors else draft), errors


def _swish_handel() -> bool:
    """Whether Swish goes through our Swish Handel agreement (the API) rather than a QR code."""
    return bool(current_app.config.get("SWISH_MERCHANT_NUMBER"))


@bp.route("/ge", methods=["GET", "POST"], defaults={"slug": None})
@bp.route("/n/<slug>", methods=["GET", "POST"])
def give(slug: str | None) -> Response | tuple[str, int]:
    network = _network_or_404(slug)
    if request.method == "GET":
        with get_engine(current_app).connect() as conn:
            returning = gifts.get_gift(conn, request.args.get("gift", ""))
        if returning is not None and returning.network_id != (network.id if network else None):
            returning = None
        values = _form_values(returning)
        values.setdefault("gift", gifts.new_public_id())
        return _render_form(network, values)
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    draft, errors = _validate()
    if draft is None:
        return _render_form(network, values, errors, status=422)
    network_id = network.id if network else None
    public_id = _store_gift(values.get("gift", ""), draft, network_id)
    values["gift"] = public_id
    if draft.channel == "card":
        return _checkout(network, public_id, values)
    return _by_reference(network, public_id, values)


def _store_gift(requested: str, draft: gifts.GiftDraft, network_id: int | None) -> str:
    """The form's gift, reused when it is the same checkout (a double submit, a return from a
    cancelled checkout); otherwise a new gift."""
    crypt = pii.cipher(current_app.config)
    engine = get_engine(current_app)
    with engine.begin() as conn:
        existing = gifts.get_gift(conn, requested)
        if existing is not None and gifts.same_checkout(existing, draft, network_id):
            gifts.update_donor(conn, existing.public_id, draft, crypt)
            return existing.public_id
    pid = requested if existing is None and gifts.is_public_id(requested) else None
    try:
        with engine.begin() as conn:
            return gifts.create_gift(conn, draft, network_id=network_id, crypt=crypt, public_id=pid)
    except IntegrityError:
        # Two submits of one form at once: the other made the gift; same checkout, so reuse.
        with engine.connect() as conn:
            existing = gifts.get_gift(conn, requested)
        if existing is not None and gifts.same_checkout(existing, draft, network_id):
            return existing.public_id
        with engine.begin() as conn:
            return gifts.create_gift(conn, draft, network_id=network_id, crypt=crypt)


def _checkout(
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
        return _render_form(network, values, problem=problem, status=503)
    with engine.begin() as conn:
        gifts.set_checkout_session(conn, public_id, session_.id)
    return redirect(session_.url, code=303)


# --- bankgiro and Swish: pay with the gift's reference ----------------------------------------


def _by_reference(
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
    if gift.channel == "swish" and _swish_handel():
        payer = " ".join(values.get("payer_number", "").split()) or None
        try:
            with engine.begin() as conn:
                path = swish_checkout.start(conn, current_app.config, public_id, payment, payer)
        except SwishRefused as exc:
            problem = _(swish_checkout.swedish_reason(exc))
            return _render_form(network, values, problem=problem, status=422)
        except LedgerError as exc:  # not configured, or Swish cannot be reached
            current_app.logger.warning("Swish for gift %s failed: %s", public_id, exc)
            problem = _(
                "Swish kunde inte startas just nu. Ingenting har dragits. "
                "Försök igen om en stund, eller välj ett annat betalsätt."
            )
            return _render_form(network, values, problem=problem, status=503)
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


# --- after paying -----------------------------------------------------------------------------


@bp.get("/tack/<public_id>")
def thanks(public_id: str) -> str:
    with get_engine(current_app).connect() as conn:
        gift = gifts.get_gift(conn, public_id)
    if gift is None:
        abort(404)
    return render_template("donate/thanks.html", gift=gift)


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
