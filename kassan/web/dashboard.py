"""The leadership dashboard (``/dashboard``) and its board report (``/dashboard/rapport.pdf``).

Leadership, finance and admin read it. Filters are GET parameters (``year``, ``network``, and
``sort`` for the network table), so every view is a link and the page works without JavaScript.
The figures come from ``reports.dashboard.build``; the page and the PDF show the same charts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from kassan.web import csp
from kassan.web.auth import role_required
from kassan.web.database import get_engine
from ledger.chart import GIFT_INCOME
from ledger.errors import DimensionNotFound
from ledger.services import journal
from ledger.services.users import ROLES
from reports import board_pdf, tally
from reports.charts import charts
from reports.dashboard import Dashboard, build
from reports.funding import NetworkGap, monthly_gift_fallback, today_in_stockholm
from reports.funding.render import (
    coverage_text,
    gap_relation_text,
    guidance_text,
    next_year_text,
)
from reports.funding.sources import networks

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# column -> (label, key, descending first); the network table sorts by one of them
SORTS: dict[str, tuple[str, Callable[[NetworkGap], Any], bool]] = {
    "name": ("Nätverk", lambda n: n.name.casefold(), False),
    "need": ("Behov", lambda n: n.figures.need_ore, True),
    "received": ("Mottaget", lambda n: n.figures.received_ore, True),
    "gap": ("Gap", lambda n: n.figures.gap_ore, True),
    "coverage": ("Täckning", lambda n: n.figures.coverage_bp or 0, False),
}


class DashboardArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=9999))
    network = fields.String(load_default=None, validate=validate.Length(min=1, max=60))
    sort = fields.String(load_default="name", validate=validate.OneOf(list(SORTS)))


@dataclass(frozen=True, slots=True)
class Filters:
    year: int
    network: str | None
    sort: str


def _filters() -> Filters:
    try:
        args = DashboardArgs().load(request.args)
    except ValidationError:
        abort(400)
    return Filters(args["year"] or today_in_stockholm().year, args["network"] or None, args["sort"])


def _dashboard(f: Filters) -> Dashboard:
    fallback = monthly_gift_fallback(current_app.config)
    engine = get_engine(current_app)
    with engine.begin() as conn:  # fold in what was booked since the last view, once
        tally.catch_up(conn)
    with engine.connect() as conn:  # writes nothing: the gifts' figures may be kept
        try:
            return build(conn, f.year, network=f.network, fallback_gift_ore=fallback, keep=True)
        except DimensionNotFound:
            abort(404)


def _sorted(rows: tuple[NetworkGap, ...], sort: str) -> list[NetworkGap]:
    _, key, descending = SORTS[sort]
    return sorted(rows, key=key, reverse=descending)


@bp.get("")
@role_required(*ROLES)
def overview() -> str:
    f = _filters()
    dash = _dashboard(f)
    with get_engine(current_app).connect() as conn:
        choices = [(n.slug, n.name) for n in networks(conn)]
        years = set(journal.fiscal_year_locks(conn))
    years |= {f.year, today_in_stockholm().year}
    end = date(f.year, 12, 31)
    gap = dash.gap
    drawn = charts(dash)  # the SVG is built with lxml, which escapes every label
    csp.allow_styles(c.style_source for c in drawn.values())
    return render_template(
        "dashboard/overview.html",
        income_account=GIFT_INCOME,
        f=f,
        dash=dash,
        gap=gap,
        rows=_sorted(gap.networks, f.sort),
        sorts=SORTS,
        charts={name: Markup(c.svg) for name, c in drawn.items()},
        titles={name: c.title for name, c in drawn.items()},
        choices=choices,
        years=sorted(years, reverse=True),
        days_left=max((end - gap.as_of).days, 0),
        coverage=coverage_text,
        guidance=lambda fig: guidance_text(fig, gap),
        relation=gap_relation_text(gap),
        next_year=None if dash.next_year is None else next_year_text(dash.next_year),
        can_see_contributors=current_user.role in ("finance", "admin"),
    )


@bp.get("/rapport.pdf")
@role_required(*ROLES)
def report_pdf() -> Response:
    f = _filters()
    dash = _dashboard(f)
    pdf = board_pdf.render(
        dash,
        organisation=str(current_app.config.get("ORGANISATION_NAME") or "Kassan"),
        made_on=today_in_stockholm(),
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{board_pdf.filename(dash)}"'},
    )
