"""The donor's way in: ``/`` (the networks and how far each year's need is covered), and
``/n/<slug>`` and ``/ge`` (the gift form, to one network or where the need is greatest)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, render_template, request
from werkzeug.wrappers import Response

from kassan.web.database import get_engine
from kassan.web.donate.blueprint import bp
from kassan.web.donate.form_page import (
    form_values,
    network_or_404,
    render_form,
    store_gift,
    validate,
)
from kassan.web.donate.payment import by_reference, start_checkout
from ledger.chart import GIFT_INCOME
from ledger.services import balances, dimensions, gifts


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
    return by_reference(network, public_id, values)
