"""A donor's receipt for one gift and annual statement for a year, as PDF (WeasyPrint, A4, Swedish).

The records come from ``reports.donor_documents``; the letterhead from the settings, as the
invoices have it (``reports.invoice_pdf.Letterhead``). Nothing here reads the database. The
sentence on tax reduction is printed for persons only, and only when the organisation is an
approved gift recipient (``TAX_APPROVED_RECIPIENT``): a donor must not be told of a reduction
they cannot have.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import HTML

from ledger.money import Money
from reports.display import format_money
from reports.donor_documents import TAX, AnnualStatement, Donor, GiftRecord
from reports.invoice_pdf import Letterhead, _logo_uri

__all__ = [
    "receipt_filename",
    "render_receipt",
    "render_statement",
    "statement_filename",
    "tax_reduction_applies",
]

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html"]),
)


def tax_reduction_applies(config: Mapping[str, object], donor: Donor) -> bool:
    return bool(config.get("TAX_APPROVED_RECIPIENT")) and donor.kind == "person"


def receipt_filename(gift: GiftRecord) -> str:
    return f"kvitto-{gift.voucher}-{gift.date.isoformat()}.pdf"


def statement_filename(statement: AnnualStatement) -> str:
    return f"arsbesked-{statement.year}.pdf"


def _common(letterhead: Letterhead, tax: bool) -> dict[str, object]:
    def kr(money: Money) -> str:
        return format_money(money)

    def day(value: date) -> str:
        return value.isoformat()

    return {
        "org": letterhead,
        "logo": _logo_uri(letterhead.logo),
        "kr": kr,
        "day": day,
        "tax": TAX if tax else None,
        "tax_kr": lambda ore: format_money(Money(ore)),
        "today": format_date(date.today(), "long", locale="sv_SE"),
    }


def _pdf(html: str) -> bytes:
    pdf = HTML(string=html).write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf returns bytes when given no target
        raise RuntimeError("WeasyPrint made no PDF")
    return bytes(pdf)


def receipt_html(donor: Donor, gift: GiftRecord, letterhead: Letterhead, *, tax: bool) -> str:
    return _env.get_template("receipt.html").render(
        donor=donor, gift=gift, **_common(letterhead, tax)
    )


def render_receipt(donor: Donor, gift: GiftRecord, letterhead: Letterhead, *, tax: bool) -> bytes:
    """The receipt for one gift as an A4 PDF; ``tax``: print the tax-reduction sentence."""
    return _pdf(receipt_html(donor, gift, letterhead, tax=tax))


def statement_html(statement: AnnualStatement, letterhead: Letterhead, *, tax: bool) -> str:
    return _env.get_template("annual_statement.html").render(
        s=statement, donor=statement.donor, **_common(letterhead, tax)
    )


def render_statement(statement: AnnualStatement, letterhead: Letterhead, *, tax: bool) -> bytes:
    """The annual statement (every gift of the year and the total) as an A4 PDF."""
    return _pdf(statement_html(statement, letterhead, tax=tax))
