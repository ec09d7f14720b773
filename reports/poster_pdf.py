"""A workplace collection's poster: one A4 page for the notice board with the title, the goal,
a Swish QR code and the bankgiro number with the collection's OCR reference, and the page's
short URL with a QR code to it. Every text from the organiser is escaped (Jinja autoescape).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from weasyprint import HTML

from ledger.payment_instructions import format_bankgiro, qr_svg, swish_number
from ledger.services.collections import Collection, swish_payload
from reports.display import format_money

__all__ = ["render", "render_html"]

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)


def render_html(collection: Collection, config: Mapping[str, object], *, page_url: str) -> str:
    payee = config.get("SWISH_PAYEE_NUMBER")
    bankgiro = config.get("BANKGIRO")
    swish = None
    if payee and collection.reference:
        # segno writes the SVG from the reference's digits and our own title: safe as it is
        swish = Markup(qr_svg(swish_payload(str(payee), collection.reference), title="Swish"))
    return _env.get_template("poster.html").render(
        c=collection,
        goal=format_money(collection.goal),
        organisation=config.get("ORGANISATION_NAME") or "",
        swish=swish,
        swish_number=swish_number(str(payee)) if payee else None,
        bankgiro=format_bankgiro(str(bankgiro)) if bankgiro else None,
        page_url=page_url,
        card=bool(config.get("STRIPE_SECRET_KEY")),
        page_qr=Markup(qr_svg(page_url, title="Insamlingens sida")),
    )


def render(collection: Collection, config: Mapping[str, object], *, page_url: str) -> bytes:
    """The poster as a one-page A4 PDF."""
    pdf = HTML(string=render_html(collection, config, page_url=page_url)).write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf returns bytes when given no target
        raise RuntimeError("WeasyPrint made no PDF")
    return bytes(pdf)
