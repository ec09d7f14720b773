"""Workplace collection pages: the public start form ``/insamling/ny``, the collection's page
``/i/<slug>`` (with the give form, carrying the collection), its image and poster, the
organiser's private management page ``/i/<slug>/hantera/<token>``, and the finance desk's
approval queue ``/finance/insamlingar``.

The management link is signed with the app's secret and names the collection's token version:
revoking bumps the version, so every link sent before stops working.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from kassan.web.auth import role_required
from kassan.web.database import get_engine
from kassan.web.donate import form_page, payment
from kassan.web.templating import collection_status
from ledger import payment_instructions as instructions
from ledger.errors import CollectionInvalid, LedgerError
from ledger.money import parse_amount
from ledger.services import collections, dimensions, gifts, mail
from ledger.statuses import CollectionStatus
from reports import poster_pdf
from reports.display import format_money

bp = Blueprint("collections", __name__)

ROLES = ("finance", "admin")
_SALT = "collection-manage"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def manage_token(collection: collections.Collection) -> str:
    return str(_serializer().dumps([collection.id, collection.token_version]))


def _base() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def _public_or_404(slug: str) -> collections.Collection:
    with get_engine(current_app).connect() as conn:
        found = collections.by_slug(conn, slug)
    if found is None or found.status not in collections.PUBLIC:
        abort(404)  # nothing is public before approval
    return found


# --- start ------------------------------------------------------------------------------------


@bp.context_processor
def _image_limits() -> dict[str, int]:
    """The limits the forms state are the ones the server checks."""
    return {
        "image_max_mb": collections.IMAGE_MAX_MB,
        "image_max_megapixels": collections.IMAGE_MAX_PIXELS // 1_000_000,
    }


@bp.route("/insamling/ny", methods=["GET", "POST"])
def start() -> str | tuple[str, int]:
    engine = get_engine(current_app)
    with engine.connect() as conn:
        networks = dimensions.list_networks(conn)
    if request.method == "GET":
        return render_template("collections/start.html", networks=networks, values={}, errors={})
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    address = collections.ip_hash(str(current_app.config["SECRET_KEY"]), request.remote_addr or "-")
    upload = request.files.get("image")
    data = upload.read(collections.IMAGE_MAX_BYTES + 1) if upload and upload.filename else None
    network = next((n for n in networks if n.slug == values.get("network")), None)
    today = date.today()
    try:
        with engine.begin() as conn:
            if collections.rate_limited(conn, address, datetime.now(UTC)):
                return render_template(
                    "collections/start.html",
                    networks=networks,
                    values=values,
                    errors={"form": "För många insamlingar från samma adress. Försök om en timme."},
                ), 429
            created = collections.start(
                conn,
                values,
                network_id=network.id if network else None,
                image_data=data,
                address_hash=address,
                today=today,
            )
    except CollectionInvalid as exc:
        return render_template(
            "collections/start.html", networks=networks, values=values, errors=exc.errors
        ), 422
    return render_template("collections/started.html", collection=created)


# --- the public page --------------------------------------------------------------------------


def _page(
    found: collections.Collection,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    config = current_app.config
    with get_engine(current_app).connect() as conn:
        progress = collections.progress(conn, found)
        network = next(
            (n for n in dimensions.list_networks(conn) if n.id == found.network_id), None
        )
    swish_qr = None
    payee = config.get("SWISH_PAYEE_NUMBER")
    if payee and found.reference and found.status == CollectionStatus.ACTIVE:
        payload = collections.swish_payload(str(payee), found.reference)
        swish_qr = instructions.qr_svg(payload, title="Swish-QR-kod")
    bankgiro = config.get("BANKGIRO")
    return render_template(
        "collections/page.html",
        collection=found,
        progress=progress,
        network=network,
        days_left=max(0, (found.end_date - date.today()).days),
        swish_qr=swish_qr,
        swish_number=instructions.swish_number(str(payee)) if payee else None,
        bankgiro=instructions.format_bankgiro(str(bankgiro)) if bankgiro else None,
        format_money=format_money,
        values=values,
        errors=errors or {},
        problem=None,
        presets=gifts.PRESETS_KR,
        channels=(
            tuple(c for c in form_page.channels() if c != "autogiro")
            if found.status == CollectionStatus.ACTIVE
            else ()
        ),
        swish_handel=form_page.swish_handel(),
    ), status


@bp.route("/i/<slug>", methods=["GET", "POST"])
def page(slug: str) -> Response | tuple[str, int]:
    found = _public_or_404(slug)
    if request.method == "GET":
        values = {"frequency": "once", "donor_kind": "person", "amount": "200"}
        values["gift"] = gifts.new_public_id()
        return _page(found, values)
    if found.status != CollectionStatus.ACTIVE:
        abort(409)
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    draft, errors = form_page.validate(autogiro_offered=False)
    if draft is None:
        return _page(found, values, errors, status=422)
    public_id = form_page.store_gift(values.get("gift", ""), draft, found.network_id)
    engine = get_engine(current_app)
    with engine.begin() as conn:
        gift = gifts.get_gift(conn, public_id)
        if gift is None:  # pragma: no cover - just written
            abort(500)
        shown = (
            draft.donor_name if values.get("show_name") and draft.donor_kind == "person" else None
        )
        collections.attach_gift(conn, gift.id, found.id, shown)
        network = next(
            (n for n in dimensions.list_networks(conn) if n.id == found.network_id), None
        )
    values["gift"] = public_id
    if draft.channel == "card":
        return payment.start_checkout(network, public_id, values, collection=found.slug)
    return payment.by_reference(network, public_id, values)


@bp.get("/i/<slug>/bild")
def image(slug: str) -> Response:
    with get_engine(current_app).connect() as conn:
        found = collections.image(conn, slug)
    if found is None:
        abort(404)
    data, kind = found
    return Response(data, mimetype=kind, headers={"Content-Disposition": "inline"})


@bp.get("/i/<slug>/affisch.pdf")
def poster(slug: str) -> Response:
    found = _public_or_404(slug)
    pdf = poster_pdf.render(found, current_app.config, page_url=f"{_base()}/i/{found.slug}")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="affisch-{found.slug}.pdf"'},
    )


# --- the organiser's page ---------------------------------------------------------------------


def _managed(slug: str, token: str) -> collections.Collection:
    try:
        collection_id, version = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        abort(404)
    with get_engine(current_app).connect() as conn:
        found = collections.get(conn, int(collection_id))
    if found is None or found.slug != slug or found.token_version != version:
        abort(404)  # revoked, or a link to another collection
    return found


@bp.route("/i/<slug>/hantera/<token>", methods=["GET", "POST"])
def manage(slug: str, token: str) -> Response | tuple[str, int]:
    found = _managed(slug, token)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action")
        try:
            with get_engine(current_app).begin() as conn:
                if action == "edit":
                    fields = ("title", "body", "goal", "end_date", "thanks_text")
                    values = {k: request.form.get(k, "") for k in fields}
                    collections.edit(conn, found.id, values, by="organiser", today=date.today())
                elif action == "cash":
                    try:
                        amount = parse_amount(request.form.get("cash", ""), "SEK")
                    except ValueError:
                        msg = {"cash": "Skriv beloppet i kronor."}
                        raise CollectionInvalid(msg) from None
                    collections.report_cash(
                        conn, found.id, amount, request.form.get("note", ""), date.today()
                    )
                elif action == "close":
                    collections.close(conn, found.id)
                else:
                    abort(400)
            flash("Sparat.")
            return redirect(url_for("collections.manage", slug=slug, token=token), code=303)
        except CollectionInvalid as exc:
            errors = exc.errors
        except LedgerError as exc:
            errors = {exc.field or "form": exc.message}
    with get_engine(current_app).connect() as conn:
        current = collections.get(conn, found.id) or found
        progress = collections.progress(conn, current, latest=500)
        changes = collections.history(conn, found.id)
    return render_template(
        "collections/manage.html",
        collection=current,
        progress=progress,
        changes=changes,
        errors=errors,
        format_money=format_money,
        token=token,
    ), 422 if errors else 200


# --- the finance desk's queue -----------------------------------------------------------------


def send_management_link(conn: Any, found: collections.Collection) -> None:
    """E-mail the organiser the private link (and, when asked to change, the reason)."""
    link = f"{_base()}/i/{found.slug}/hantera/{manage_token(found)}"
    body = render_template("collections/mail.txt", collection=found, link=link)
    subject = " ".join(f"Insamlingen {found.title}".split())[:300]  # no header injection
    mail.enqueue(
        conn,
        f"collection:{found.id}:{found.status}:{found.token_version}",
        found.contact_email,
        subject,
        body,
    )


@bp.get("/finance/insamlingar")
@role_required(*ROLES)
def queue() -> str:
    with get_engine(current_app).connect() as conn:
        waiting = collections.list_collections(conn, status=CollectionStatus.PENDING)
        waiting += collections.list_collections(conn, status=CollectionStatus.CHANGES)
        active = collections.list_collections(conn, status=CollectionStatus.ACTIVE)
    return render_template(
        "collections/queue.html", waiting=waiting, active=active, format_money=format_money
    )


@bp.post("/finance/insamlingar/<int:collection_id>")
@role_required(*ROLES)
def decide(collection_id: int) -> Response:
    decision = request.form.get("decision", "")
    try:
        with get_engine(current_app).begin() as conn:
            if decision == "approve":
                found = collections.approve(conn, collection_id)
            elif decision == "revoke":
                found = collections.revoke_links(conn, collection_id)
            else:
                found = collections.review(
                    conn, collection_id, decision, request.form.get("note", "")
                )
            send_management_link(conn, found)
        flash(f"Insamlingen {found.title}: {collection_status(found.status)}.")
    except LedgerError as exc:
        flash(f"Gick inte: {exc.message}")
    return redirect(url_for("collections.queue"), code=303)


# --- soft credit on the staff's contributor page ----------------------------------------------


@bp.app_template_global()
def organised_collections(contributor_id: int) -> list[dict[str, Any]]:
    """The collections a club ran and what each raised, for ``admin/contributor.html``: the
    admin view renders it without knowing collections exist."""
    with get_engine(current_app).connect() as conn:
        organised = collections.for_contributor(conn, contributor_id)
    return [
        {
            "collection": o.collection,
            "raised": format_money(o.progress.raised),
            "goal": format_money(o.collection.goal),
            "gift_count": o.progress.gift_count,
        }
        for o in organised
    ]
