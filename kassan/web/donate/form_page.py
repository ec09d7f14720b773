"""The gift form's parts, shared by the donor pages and a collection's page: the values it shows,
the payment methods offered, the form checked into a gift draft and the gift stored (reused on
a double submit or a return from a cancelled checkout)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from kassan.web.database import get_engine
from kassan.web.donate import autogiro
from kassan.web.donate.blueprint import lang
from ledger.errors import GiftInvalid
from ledger.services import dimensions, gifts, pii
from ledger.statuses import GiftStatus
from webhooks.errors import PayerNumberInvalid
from webhooks.swish import fields as swish_fields


def form_values(gift: gifts.Gift | None) -> dict[str, str]:
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


def network_or_404(slug: str | None) -> dimensions.Network | None:
    """The network of a /n/<slug> page (404 for an unknown one); None for /ge."""
    if slug is None:
        return None
    with get_engine(current_app).connect() as conn:
        network = dimensions.get_network_by_slug(conn, slug)
    if network is None:
        abort(404)
    return network


def render_form(
    network: dimensions.Network | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The form again, with the values kept and each error beside its field."""
    return (
        render_template(
            "donate/form.html",
            network=network,
            values=values,
            errors={k: _(v) for k, v in (errors or {}).items()},
            problem=problem,
            presets=gifts.PRESETS_KR,
            channels=channels(),
            swish_handel=swish_handel(),
            swish_recurring=swish_recurring(),
            ask_personnummer=tax_approved(),
            autogiro_consent=autogiro.consent_text() if autogiro.offered() else None,
        ),
        status,
    )


def tax_approved() -> bool:
    """Whether gifts to the organisation give the donor a tax reduction (Skatteverket's approved
    gift recipients): only then is there a reason to ask for a personnummer at all."""
    return bool(current_app.config.get("TAX_APPROVED_RECIPIENT"))


def channels() -> tuple[str, ...]:
    """The payment methods whose settings are present, in the order the form shows them."""
    config = current_app.config
    offered = {
        "card": bool(config.get("STRIPE_SECRET_KEY")),
        "bankgiro": bool(config.get("BANKGIRO")),
        "swish": bool(config.get("SWISH_MERCHANT_NUMBER") or config.get("SWISH_PAYEE_NUMBER")),
        "autogiro": autogiro.offered(),
    }
    return tuple(channel for channel in gifts.CHANNELS if offered[channel])


def validate(*, autogiro_offered: bool = True) -> tuple[gifts.GiftDraft | None, dict[str, str]]:
    """The form as a draft, or every error in it (the Swish payer's number and an Autogiro
    mandate's fields included). ``autogiro_offered``: False where the page takes no mandates
    (a workplace collection's page)."""
    errors: dict[str, str] = {}
    draft = None
    form: Mapping[str, str] = request.form
    if not tax_approved() and form.get("personnummer"):
        # Not asked for, so not taken: no reason to keep a personnummer (GDPR's minimisation).
        form = {k: v for k, v in request.form.items() if k != "personnummer"}
    try:
        offered = tuple(c for c in channels() if autogiro_offered or c != "autogiro")
        draft = gifts.validate(
            form, locale=lang(), channels=offered, swish_monthly=swish_recurring()
        )
    except GiftInvalid as exc:
        errors = dict(exc.errors)
    payer = " ".join(request.form.get("payer_number", "").split())
    if payer and request.form.get("channel") == "swish" and swish_handel():
        try:
            swish_fields.payer_alias(payer)
        except PayerNumberInvalid as exc:
            errors["payer_number"] = exc.message
    if request.form.get("channel") == "autogiro" and autogiro_offered and autogiro.offered():
        errors.update(autogiro.check(request.form))
    return (None if errors else draft), errors


def swish_handel() -> bool:
    """Whether Swish goes through our Swish Handel agreement (the API) rather than a QR code."""
    return bool(current_app.config.get("SWISH_MERCHANT_NUMBER"))


def swish_recurring() -> bool:
    """Whether the Swish agreement includes recurring payments: monthly gifts by Swish consent."""
    return swish_handel() and bool(current_app.config.get("SWISH_RECURRING"))


def store_gift(requested: str, draft: gifts.GiftDraft, network_id: int | None) -> str:
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
