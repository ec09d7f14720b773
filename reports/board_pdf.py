"""The board report: the dashboard's figures and charts as an A4 PDF in Swedish (WeasyPrint).

``render`` takes a built ``Dashboard`` and returns the PDF's bytes; nothing here reads the
database. The charts are the same SVG strings the page shows (``reports.charts``), so the board
sees the picture leadership saw. The report is dated and names the period it covers: the year
from 1 January up to the reference date of the figures.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from weasyprint import HTML

from ledger.money import Money
from reports.charts import charts
from reports.dashboard import Dashboard
from reports.display import format_money
from reports.funding.render import (
    coverage_text,
    gap_relation_text,
    guidance_text,
    next_year_text,
)

__all__ = ["filename", "period_end", "render", "render_html"]

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html"]),
)


def period_end(dash: Dashboard) -> date:
    """The last day the figures cover: the reference date, or the year's end if it is past."""
    return min(dash.gap.as_of, date(dash.gap.year, 12, 31))


def filename(dash: Dashboard) -> str:
    scope = f"-{dash.network}" if dash.network else ""
    return f"styrelserapport-{dash.gap.year}{scope}-{dash.gap.as_of.isoformat()}.pdf"


def render_html(dash: Dashboard, *, organisation: str, made_on: date) -> str:
    def kr(ore: int | None) -> str:
        return "–" if ore is None else format_money(Money(ore, dash.gap.currency))

    # pygal builds the SVG with lxml, which escapes every label; our title and desc are escaped
    svgs = {name: Markup(c.svg) for name, c in charts(dash).items()}
    return _env.get_template("board.html").render(
        dash=dash,
        gap=dash.gap,
        organisation=organisation,
        made_on=made_on,
        period_start=date(dash.gap.year, 1, 1),
        period_end=period_end(dash),
        charts=svgs,
        kr=kr,
        coverage=coverage_text,
        guidance=lambda f: guidance_text(f, dash.gap),
        relation=gap_relation_text(dash.gap),
        next_year=None if dash.next_year is None else next_year_text(dash.next_year),
        days_left=max((date(dash.gap.year, 12, 31) - dash.gap.as_of).days, 0),
    )


def render(dash: Dashboard, *, organisation: str, made_on: date) -> bytes:
    """The board report as an A4 PDF."""
    pdf = HTML(string=render_html(dash, organisation=organisation, made_on=made_on)).write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf returns bytes when given no target
        raise RuntimeError("WeasyPrint made no PDF")
    return bytes(pdf)
