"""Monthly + Autogiro on the gift form: the mandate's fields checked (personnummer or
organisation number with ``python-stdnum``, clearing and account number with ``bankkonto``,
through ``ledger.services.autogiro.mandates``; the consent box ticked) and, once the gift is
stored, the mandate taken in (``signup.sign_up``: its consent text kept, the confirmation
e-mail queued), then the thank-you page with the payer number and the first debit day.

Offered when ``KASSAN_BANKGIRO`` and ``KASSAN_AUTOGIRO_CUSTOMER_NUMBER`` are set.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import current_app, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kassan.web.database import get_engine
from ledger.errors import MandateRefused
from ledger.services import pii
from ledger.services.autogiro import mandates, signup

__all__ = ["FIELDS", "check", "consent_text", "offered", "start"]

FIELDS = ("ag_identity", "ag_clearing", "ag_account", "ag_consent")


def offered() -> bool:
    config = current_app.config
    return bool(config.get("BANKGIRO")) and bool(config.get("AUTOGIRO_CUSTOMER_NUMBER"))


def consent_text() -> str:
    """The consent in the page's language: the same text is kept with the mandate."""
    return signup.consent_for(current_app.config, _)


def _text(form: Mapping[str, str], name: str) -> str:
    return " ".join(str(form.get(name) or "").split())


def check(form: Mapping[str, str]) -> dict[str, str]:
    """Every problem with the mandate's fields, keyed by field, naming the field (Swedish, or
    the page's language)."""
    errors: dict[str, str] = {}
    identity = _text(form, "ag_identity")
    if not identity:
        errors["ag_identity"] = _(
            "Personnummer eller organisationsnummer för Autogiro: skriv kontoägarens nummer "
            "(ÅÅÅÅMMDD-NNNN eller NNNNNN-NNNN)."
        )
    else:
        try:
            mandates.identity_number(identity)
        except MandateRefused:
            errors["ag_identity"] = _(
                "Personnummer eller organisationsnummer för Autogiro stämmer inte. "
                "Kontrollera siffrorna."
            )
    clearing, account = _text(form, "ag_clearing"), _text(form, "ag_account")
    if not clearing:
        errors["ag_clearing"] = _("Clearingnummer: skriv bankens fyra eller fem siffror.")
    if not account:
        errors["ag_account"] = _("Kontonummer: skriv kontonumret utan clearingnummer.")
    if clearing and account:
        try:
            mandates.bank_account(clearing, account)
        except MandateRefused:
            errors["ag_account"] = _(
                "Kontonummer: clearingnummer och kontonummer stämmer inte för någon svensk bank. "
                "Kontrollera siffrorna."
            )
    if form.get("ag_consent") != "1":
        errors["ag_consent"] = _(
            "Medgivande: kryssa i att du har läst och godkänner villkoren för Autogiro."
        )
    return errors


def start(public_id: str, form: Mapping[str, str]) -> Response:
    """Take the mandate in for the stored gift and show the thank-you page."""
    with get_engine(current_app).begin() as conn:
        signup.sign_up(
            conn,
            pii.cipher(current_app.config),
            current_app.config,
            public_id,
            _text(form, "ag_identity"),
            _text(form, "ag_clearing"),
            _text(form, "ag_account"),
            date.today(),
            _,
        )
    return redirect(url_for("donate.thanks", public_id=public_id), code=303)
