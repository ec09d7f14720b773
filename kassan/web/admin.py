"""Staff pages under ``/admin`` for the admin and finance roles: contributors (list, search,
create, edit, merge, one person's data as JSON) and networks (list, edit, budgets, memberships
and commitments).

Forms are parsed with the API's marshmallow schemas and handed to the same services; a refused
field is shown on the form in Swedish, next to the field it names, with status 422.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from werkzeug.wrappers import Response

from kassan.web.api.contributors import ContributorFieldsSchema
from kassan.web.auth import role_required
from kassan.web.database import get_engine
from ledger.errors import DimensionNotFound, DimensionRefused
from ledger.money import parse_amount
from ledger.services import contributors, dimensions, merge, networks, personal_data, pii
from ledger.statuses import NetworkStatus
from webhooks.autogiro import personal

bp = Blueprint("admin", __name__, url_prefix="/admin")
STAFF = ("admin", "finance")
PAGE_SIZE = 50
ORG_KIND_NAMES = {"club": "Klubb", "branch": "Avdelning", "federation": "Förbund", "other": "Annan"}
STATUS_NAMES: dict[str, str] = {
    NetworkStatus.ACTIVE: "Aktivt",
    NetworkStatus.PAUSED: "Vilande",
    NetworkStatus.CLOSED: "Avslutat",
}
COMMITMENT_NAMES = {
    "expert_role": "Expertroll",
    "study_circle": "Studiecirkel",
    "campaign": "Kampanj",
    "other": "Annat",
}


class _Form(Schema):
    class Meta:
        unknown = EXCLUDE


class NetworkForm(_Form):
    name = fields.String()
    theme = fields.String()
    description = fields.String()
    status = fields.String()
    countries = fields.String(metadata={"description": "codes separated by commas or spaces"})
    partners = fields.String(metadata={"description": "one per line: name; country code"})


def _refused(exc: DimensionRefused) -> dict[str, str]:
    # "partners[1].country" is shown at the form field "partners"
    field = (exc.field or "form").split("[")[0].split(".")[0]
    return {field: exc.sv or exc.message}


def _user_id() -> int:
    return int(current_user.user.id)


def _contributor_values() -> dict[str, Any]:
    values: dict[str, Any] = ContributorFieldsSchema(unknown=EXCLUDE).load(request.form)
    return values


# --- contributors -----------------------------------------------------------------------------


@bp.route("/contributors", methods=["GET", "POST"])
@role_required(*STAFF)
def contributor_list() -> Response | tuple[str, int] | str:
    errors: dict[str, str] = {}
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = dict(request.form)
        kind = form.get("kind", "")
        try:
            with get_engine(current_app).begin() as conn:
                new_id = contributors.create(
                    conn, pii.cipher(current_app.config), kind, _contributor_values()
                )
            flash("Givaren är sparad.", "success")
            return redirect(url_for("admin.contributor", contributor_id=new_id), code=303)
        except DimensionRefused as exc:
            errors = _refused(exc)
    query = request.args.get("q", "").strip()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with get_engine(current_app).connect() as conn:
        found, total = contributors.search(
            conn, query or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    html = render_template(
        "admin/contributors.html",
        contributors=found,
        total=total,
        query=query,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        errors=errors,
        form=form,
        org_kinds=ORG_KIND_NAMES,
    )
    return (html, 422) if errors else html


@bp.route("/contributors/<int:contributor_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def contributor(contributor_id: int) -> Response | tuple[str, int] | str:
    errors: dict[str, str] = {}
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = dict(request.form)
        try:
            with get_engine(current_app).begin() as conn:
                values = {
                    k: v for k, v in _contributor_values().items() if k in contributors.EDITABLE
                }
                contributors.update(conn, pii.cipher(current_app.config), contributor_id, values)
            flash("Ändringarna är sparade.", "success")
            return redirect(url_for("admin.contributor", contributor_id=contributor_id), code=303)
        except DimensionRefused as exc:
            errors = _refused(exc)
    return _contributor_page(contributor_id, errors, form)


def _contributor_page(
    contributor_id: int, errors: dict[str, str], form: dict[str, Any]
) -> tuple[str, int] | str:
    with get_engine(current_app).connect() as conn:
        record = contributors.get(conn, contributor_id)
        similar = contributors.possible_duplicates(conn, contributor_id)
        member_of = networks.memberships(conn, contributor_id=contributor_id)
    html = render_template(
        "admin/contributor.html",
        c=record,
        similar=similar,
        memberships=member_of,
        errors=errors,
        form=form,
        org_kinds=ORG_KIND_NAMES,
    )
    return (html, 422) if errors else html


@bp.get("/contributors/<int:contributor_id>/personuppgifter.json")
@role_required(*STAFF)
def contributor_export(contributor_id: int) -> Response:
    """Everything Kassan holds about this contributor, as ``kassan contributors export``."""
    try:
        with get_engine(current_app).connect() as conn:
            data = personal_data.export(conn, pii.cipher(current_app.config), contributor_id)
            data["autogiro_files"] = personal.listed(personal.held_files(conn, contributor_id))
    except DimensionNotFound:
        abort(404)
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    name = f"givare-{contributor_id}-personuppgifter.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/contributors/<int:contributor_id>/merge")
@role_required(*STAFF)
def contributor_merge(contributor_id: int) -> Response | tuple[str, int] | str:
    """Merge this contributor into the one chosen in the form (``into``)."""
    raw = request.form.get("into", "").strip()
    if not raw.isdigit():
        errors = {"into": "Slå samman med: ange givarens nummer."}
        return _contributor_page(contributor_id, errors, dict(request.form))
    try:
        with get_engine(current_app).begin() as conn:
            result = merge.merge(
                conn, contributor_id, int(raw), on=date.today(), created_by=_user_id()
            )
    except DimensionRefused as exc:
        return _contributor_page(contributor_id, {"into": exc.sv or exc.message}, {})
    flash(f"Givare {result.from_id} är sammanslagen med givare {result.into_id}.", "success")
    return redirect(url_for("admin.contributor", contributor_id=result.into_id), code=303)


# --- networks ---------------------------------------------------------------------------------


@bp.get("/networks")
@role_required(*STAFF)
def network_list() -> str:
    with get_engine(current_app).connect() as conn:
        found = networks.list_all(conn)
    return render_template(
        "admin/networks.html",
        networks=found,
        statuses=STATUS_NAMES,
        country_name=networks.country_name,
    )


def _network_values(form: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in form.items() if k not in ("countries", "partners")}
    if "countries" in form:
        values["countries"] = form["countries"].replace(",", " ").split()
    if "partners" in form:
        values["partners"] = [
            {"name": name.strip(), "country": country.strip()}
            for line in form["partners"].splitlines()
            if line.strip()
            for name, _, country in [line.rpartition(";") if ";" in line else (line, "", "")]
        ]
    return values


@bp.route("/networks/<slug>", methods=["GET", "POST"])
@role_required(*STAFF)
def network(slug: str) -> Response | tuple[str, int] | str:
    errors: dict[str, str] = {}
    form: dict[str, Any] = {}
    with get_engine(current_app).connect() as conn:
        found = dimensions.get_network_by_slug(conn, slug)
    if found is None:
        raise DimensionNotFound(f"no network {slug!r}", "slug")
    if request.method == "POST":
        form = dict(request.form)
        action = form.get("action", "network")
        try:
            with get_engine(current_app).begin() as conn:
                _apply(conn, found.id, action, form)
            flash("Ändringarna är sparade.", "success")
            return redirect(url_for("admin.network", slug=slug), code=303)
        except DimensionRefused as exc:
            errors = _refused(exc)
        except ValidationError as exc:
            errors = {str(k): "Uppgiften har fel format." for k in exc.messages}
    with get_engine(current_app).connect() as conn:
        detail = networks.get(conn, found.id)
        budgets = networks.budgets(conn, found.id)
        members = networks.memberships(conn, network_id=found.id)
        orgs, _ = contributors.search(conn, kind="organisation", limit=500)
    html = render_template(
        "admin/network.html",
        n=detail,
        budgets=budgets,
        members=members,
        organisations=orgs,
        errors=errors,
        form=form,
        statuses=STATUS_NAMES,
        commitment_kinds=COMMITMENT_NAMES,
        country_name=networks.country_name,
    )
    return (html, 422) if errors else html


def _kronor(form: dict[str, Any], field: str, label: str) -> int:
    try:
        return parse_amount(str(form.get(field, ""))).ore
    except ValueError as exc:
        raise DimensionRefused(str(exc), field, f"{label}: skriv beloppet i kronor.") from exc


def _whole(form: dict[str, Any], field: str, label: str) -> int | None:
    raw = str(form.get(field, "")).strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise DimensionRefused(f"{field} is a whole number", field, f"{label}: ett heltal.")
    return int(raw)


def _apply(conn: Any, network_id: int, action: str, form: dict[str, Any]) -> None:
    if action == "budget":
        year = _whole(form, "year", "År") or 0
        need = _kronor(form, "need", "Behov")
        sida = _kronor(form, "sida", "Sidas del")
        dimensions.set_budget(conn, network_id, year, need, sida)
    elif action == "member":
        try:
            joined = date.fromisoformat(form.get("joined_on", ""))
        except ValueError as exc:
            raise DimensionRefused("bad date", "joined_on", "Datum: skriv ÅÅÅÅ-MM-DD.") from exc
        who = _whole(form, "contributor_id", "Organisation") or 0
        networks.join(conn, network_id, who, joined)
    elif action == "commitment":
        networks.add_commitment(
            conn,
            _whole(form, "membership_id", "Medlemskap") or 0,
            form.get("kind", ""),
            _whole(form, "year", "År") or 0,
            hours=_whole(form, "hours", "Timmar"),
            count=_whole(form, "count", "Antal"),
            note=form.get("note") or None,
        )
    else:
        networks.update(conn, network_id, _network_values(NetworkForm().load(form)))
