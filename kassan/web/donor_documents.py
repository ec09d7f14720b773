"""Donor documents on the web: the donor's own page and the finance desk's send buttons.

``/mina-gavor/<token>`` is reached by a signed, expiring link (itsdangerous with the app's
``SECRET_KEY``, as the stop link; ``mail.donor_token``) that names one contributor: their gifts
per year, each with its receipt as PDF, and each year's annual statement. A tampered link is
refused (400), an old one has expired (410); each receipt e-mail carries a fresh one.

``/finance/donors/<id>`` lets finance staff send a receipt or an annual statement by e-mail:
a POST with CSRF and a one-time form token, queued in the outbox with the PDF attached; the
outbox's dedupe key names the document and the token, so a double submit sends one mail.
The figures are ``reports.donor_documents``'s; the PDFs ``reports.receipt_pdf``'s.
"""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from kassan.web.auth import role_required
from kassan.web.database import get_engine
from ledger.services import mail
from reports import donor_documents as docs
from reports import receipt_pdf
from reports.invoice_pdf import Letterhead

bp = Blueprint("donor_documents", __name__)

LINK_MAX_AGE = 60 * 60 * 24 * 120  # a receipt or statement mail carries a fresh link
ROLES = ("finance", "admin")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def donor_url(contributor_id: int) -> str:
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    token = mail.donor_token(str(current_app.config["SECRET_KEY"]), contributor_id)
    return f"{base}/mina-gavor/{token}"


def _contributor_of(token: str) -> int | tuple[str, int]:
    """The contributor the link names, or the page that says why it does not work."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=mail.DONOR_SALT)
    try:
        contributor_id = serializer.loads(token, max_age=LINK_MAX_AGE)
    except SignatureExpired:
        return render_template("donor_documents/mine.html", state="expired"), 410
    except BadSignature:
        return render_template("donor_documents/mine.html", state="invalid"), 400
    if not isinstance(contributor_id, int):
        return render_template("donor_documents/mine.html", state="invalid"), 400
    return contributor_id


def _donor(contributor_id: int) -> docs.Donor:
    with get_engine(current_app).connect() as conn:
        donor = docs.get_donor(conn, contributor_id)
    if donor is None:
        abort(404)
    return donor


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _receipt(donor: docs.Donor, entry_id: int) -> tuple[bytes, str]:
    with get_engine(current_app).connect() as conn:
        gift = docs.receipt(conn, donor.id, entry_id)
    if gift is None:
        abort(404)
    tax = receipt_pdf.tax_reduction_applies(current_app.config, donor)
    pdf = receipt_pdf.render_receipt(
        donor, gift, Letterhead.from_config(current_app.config), tax=tax
    )
    return pdf, receipt_pdf.receipt_filename(gift)


def _statement(donor: docs.Donor, year: int) -> tuple[bytes, str]:
    with get_engine(current_app).connect() as conn:
        statement = docs.annual_statement(conn, donor, year)
    if not statement.gifts:
        abort(404)
    tax = receipt_pdf.tax_reduction_applies(current_app.config, donor)
    pdf = receipt_pdf.render_statement(
        statement, Letterhead.from_config(current_app.config), tax=tax
    )
    return pdf, receipt_pdf.statement_filename(statement)


# --- the donor's own page ---------------------------------------------------------------------


@bp.get("/mina-gavor/<token>")
def mine(token: str) -> str | tuple[str, int]:
    who = _contributor_of(token)
    if not isinstance(who, int):
        return who
    donor = _donor(who)
    with get_engine(current_app).connect() as conn:
        gifts = docs.donor_gifts(conn, donor.id)
    by_year = [(y, [g for g in gifts if g.date.year == y]) for y in docs.years(gifts)]
    return render_template(
        "donor_documents/mine.html", state="ok", donor=donor, by_year=by_year, token=token
    )


@bp.get("/mina-gavor/<token>/kvitto/<int:entry_id>.pdf")
def my_receipt(token: str, entry_id: int) -> Response | tuple[str, int]:
    who = _contributor_of(token)
    if not isinstance(who, int):
        return who
    return _pdf(*_receipt(_donor(who), entry_id))


@bp.get("/mina-gavor/<token>/arsbesked/<int:year>.pdf")
def my_statement(token: str, year: int) -> Response | tuple[str, int]:
    who = _contributor_of(token)
    if not isinstance(who, int):
        return who
    return _pdf(*_statement(_donor(who), year))


# --- the finance desk -------------------------------------------------------------------------


@bp.get("/finance/donors/<int:contributor_id>")
@role_required(*ROLES)
def desk(contributor_id: int) -> tuple[str, int]:
    donor = _donor(contributor_id)
    with get_engine(current_app).connect() as conn:
        gifts = docs.donor_gifts(conn, donor.id)
    by_year = [(y, [g for g in gifts if g.date.year == y]) for y in docs.years(gifts)]
    return render_template(
        "donor_documents/desk.html",
        donor=donor,
        by_year=by_year,
        new_token=lambda: secrets.token_hex(16),
    ), 200


def _send(donor: docs.Donor, kind: str, ident: int, pdf: bytes, name: str) -> Response:
    token = request.form.get("token", "")
    if not _TOKEN.match(token):
        abort(400)
    if not donor.email:
        flash(_("Givaren har ingen e-postadress. Lägg till en under Givare först."), "error")
        return redirect(url_for("donor_documents.desk", contributor_id=donor.id))
    organisation = str(current_app.config.get("ORGANISATION_NAME") or "")
    subject = (
        f"Kvitto på din gåva från {organisation}"
        if kind == "receipt"
        else f"Årsbesked {ident} från {organisation}"
    )
    body = render_template(
        f"mail/donor_{kind}.txt",
        donor=donor,
        ident=ident,
        organisation=organisation,
        link=donor_url(donor.id),
    )
    with get_engine(current_app).begin() as conn:
        queued = mail.enqueue(
            conn,
            f"donor-{kind}:{donor.id}:{ident}:{token}",
            donor.email,
            subject,
            body,
            attachments=(mail.Attachment(name, "application/pdf", pdf),),
        )
    if queued:
        flash(_("Skickas till %(email)s.", email=donor.email), "info")
    return redirect(url_for("donor_documents.desk", contributor_id=donor.id))


@bp.post("/finance/donors/<int:contributor_id>/receipts/<int:entry_id>/send")
@role_required(*ROLES)
def send_receipt(contributor_id: int, entry_id: int) -> Response:
    donor = _donor(contributor_id)
    return _send(donor, "receipt", entry_id, *_receipt(donor, entry_id))


@bp.post("/finance/donors/<int:contributor_id>/statements/<int:year>/send")
@role_required(*ROLES)
def send_statement(contributor_id: int, year: int) -> Response:
    donor = _donor(contributor_id)
    return _send(donor, "statement", year, *_statement(donor, year))
