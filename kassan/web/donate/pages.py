"""The donor's way in: ``/`` (the networks and how far each year's need is covered), and
``/n/<slug>`` and ``/ge`` (the gift form, to one network or where the need is greatest)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, render_template, request
from werkzeug.wrappers import Response

from kassan.web.database import get_engine
from kassan.web.donate import autogiro
from kassan.web.donate.blueprint import bp
from kassan.web.donate.form_page import (
    form_values,
    network_or_404,
    render_form,
    store_gift,
    validate,
)
from kassan.web.donate.payment import by_reference, start_checkout
from ledger.services import dimensions, gifts
from reports.display import swedish_key
from reports.funding import funding_gap, monthly_gift_fallback
from reports.funding.render import coverage_text


def _coverage(conn: Any, year: int) -> list[dict[str, Any]]:
    """Each network with the funding gap's own figures: the donor page says what the dashboard
    and the board report say (``coverage_text``: one number, rounded one way). Kept per
    process while the ledger head and the change mark stand (``keep=True``): ``conn`` only
    reads, so a gift or posting committed by anyone shows on the next view (issue 14)."""
    fallback = monthly_gift_fallback(current_app.config)
    report = funding_gap(conn, year, fallback_gift_ore=fallback, keep=True)
    figures = {n.network_id: n.figures for n in report.networks}
    rows: list[dict[str, Any]] = []
    for network in sorted(dimensions.list_networks(conn), key=lambda n: swedish_key(n.name)):
        f = figures.get(network.id)
        if f is None or not f.need_ore or f.coverage_bp is None:
            rows.append({"network": network, "coverage": None})
            continue
        rows.append(
            {
                "network": network,
                "received": max(0, f.received_ore),
                "need": f.need_ore,
                "coverage": coverage_text(f.coverage_bp),
                "bar": min(100, f.coverage_bp // 100),
            }
        )
    return rows


@bp.get("/")
def index() -> str:
    year = date.today().year
    with get_engine(current_app).connect() as conn:
        rows = _coverage(conn, year)
    return render_template("donate/index.html", rows=rows, year=year)


@bp.route("/ge", methods=["GET", "POST"], defaults={"slug": None})
@bp.route("/n/<slug>", methods=["GET", "POST"])
def give(slug: str | None) -> Response | tuple[str, int]:
    network = network_or_404(slug)
    if request.method == "GET":
        with get_engine(current_app).connect() as conn:
            returning = gifts.get_gift(conn, request.args.get("gift", ""))
        if returning is not None and returning.network_id != (network.id if network else None):
            returning = None
        values = form_values(returning)
        values.setdefault("gift", gifts.new_public_id())
        return render_form(network, values)
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    draft, errors = validate()
    if draft is None:
        return render_form(network, values, errors, status=422)
    network_id = network.id if network else None
    public_id = store_gift(values.get("gift", ""), draft, network_id)
    values["gift"] = public_id
    if draft.channel == "card":
        return start_checkout(network, public_id, values)
    if draft.channel == "autogiro":
        return autogiro.start(public_id, request.form)
    return by_reference(network, public_id, values)
