"""Finance pages for pledges and invoices (``/finance/pledges``, ``/finance/invoices``): list,
create and show them; invoice an instalment, issue an invoice by hand, send it, remind, credit.

Views parse the form, call one service and redirect; the services book and decide. Forms are
checked with Swedish messages here before a service sees them, so a finance officer reads what
was wrong next to the field.
"""

from __future__ import annotations

from datetime import date
from math import ceil
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
from sqlalchemy import select
from werkzeug.wrappers import Response

from kassan.web.auth import role_required
from kassan.web.database import get_engine
from ledger.db import tables as t
from ledger.errors import LedgerError, PledgeInvalid
from ledger.money import Money, parse_amount
from ledger.services import invoice_run, invoices, pledge_status, pledges
from ledger.statuses import InvoiceStatus, PaymentStatus
from reports import invoice_pdf
from reports.display import format_money

bp = Blueprint("finance_invoices", __name__, url_prefix="/finance")

PAGE_SIZE = 25
WRITERS = ("finance", "admin")
STATUS_NAMES: dict[str, str] = {
    InvoiceStatus.OPEN: "öppen",
    InvoiceStatus.PARTLY_PAID: "delvis betald",
    InvoiceStatus.PAID: "betald",
    InvoiceStatus.OVERDUE: "förfallen",
    InvoiceStatus.WRITTEN_OFF: "avskriven",
    InvoiceStatus.CREDITED: "krediterad",
    InvoiceStatus.CREDIT_NOTE: "kreditfaktura",
    PaymentStatus.CANCELLED: "makulerad",
}
PERIOD_NAMES = {"month": "månad", "quarter": "kvartal", "year": "år"}
WAY_NAMES = {"invoice": "faktura", "bankgiro": "bankgiro (OCR)", "card": "kort"}


@bp.app_template_filter("status_name")
def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def _choices() -> dict[str, Any]:
    c, n = t.contributors.c, t.networks.c
    with get_engine(current_app).connect() as conn:
        people = conn.execute(
            select(c.id, c.name).where(c.merged_into.is_(None)).order_by(c.name).limit(2000)
        ).all()
        nets = conn.execute(select(n.slug, n.name).order_by(n.name)).all()
    return {"contributors": people, "networks": nets}


@bp.get("/pledges")
@role_required(*WRITERS)
def pledge_list() -> str:
    page = _page()
    with get_engine(current_app).connect() as conn:
        items, total = pledge_status.list_pledges(
            conn, today=date.today(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    return render_template(
        "invoices/pledges.html",
        pledges=items,
        page=page,
        pages=max(1, ceil(total / PAGE_SIZE)),
        periods=PERIOD_NAMES,
        ways=WAY_NAMES,
    )


@bp.route("/pledges/new", methods=["GET", "POST"])
@role_required(*WRITERS)
def pledge_new() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            draft = pledges.validate(request.form)
            with get_engine(current_app).begin() as conn:
                pledge_id = pledges.create(conn, draft, created_by=int(current_user.id))
        except PledgeInvalid as exc:
            errors = exc.errors
        else:
            flash(f"Åtagande {pledge_id} är sparat.", "success")
            return redirect(url_for("finance_invoices.pledge_show", pledge_id=pledge_id), 303)
    return render_template(
        "invoices/pledge_form.html",
        form=request.form,
        errors=errors,
        periods=PERIOD_NAMES,
        ways=WAY_NAMES,
        **_choices(),
    ), (422 if errors else 200)


@bp.get("/pledges/<int:pledge_id>")
@role_required(*WRITERS)
def pledge_show(pledge_id: int) -> str:
    with get_engine(current_app).connect() as conn:
        view = pledge_status.get(conn, pledge_id, today=date.today())
    return render_template(
        "invoices/pledge.html", pledge=view, periods=PERIOD_NAMES, ways=WAY_NAMES
    )


@bp.post("/pledges/<int:pledge_id>/instalments/<int:seq>/invoice")
@role_required(*WRITERS)
def pledge_invoice(pledge_id: int, seq: int) -> Response:
    i = t.pledge_instalments.c
    with get_engine(current_app).begin() as conn:
        view = pledge_status.get(conn, pledge_id, today=date.today())
        instalment_id = conn.execute(
            select(i.id).where(i.pledge_id == pledge_id, i.seq == seq)
        ).scalar()
        if instalment_id is None or view.payment_way != "invoice":
            abort(404)
        invoice, new = invoice_run.issue_instalment(
            conn, instalment_id, on=date.today(), due_days=current_app.config["INVOICE_DUE_DAYS"]
        )
    flash(
        f"Faktura {invoice.number} är {'utfärdad' if new else 'redan utfärdad'}.",
        "success" if new else "info",
    )
    return redirect(url_for("finance_invoices.invoice_show", number=invoice.number), 303)


@bp.get("/invoices")
@role_required(*WRITERS)
def invoice_list() -> str:
    page = _page()
    with get_engine(current_app).connect() as conn:
        items, total = invoices.list_invoices(conn, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "invoices/invoices.html",
        invoices=items,
        page=page,
        pages=max(1, ceil(total / PAGE_SIZE)),
        today=date.today(),
    )


def _invoice_form(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    raw_id = str(form.get("contributor_id", "")).strip()
    if not raw_id.isdigit():
        errors["contributor_id"] = "Välj vem fakturan ska till."
    description = str(form.get("description", "")).strip()
    if not description or len(description) > 200:
        errors["description"] = "Skriv vad fakturan gäller (högst 200 tecken)."
    amount = None
    try:
        amount = parse_amount(str(form.get("amount", "")))
        if not 0 < amount.ore <= 10**12:
            raise ValueError(amount)
    except ValueError:
        errors["amount"] = "Skriv beloppet i kronor, större än noll, till exempel 5 000."
    try:
        raw_day = str(form.get("issue_date", "")).strip()
        day = date.fromisoformat(raw_day) if raw_day else date.today()
    except ValueError:
        errors["issue_date"] = "Skriv fakturadatumet som ÅÅÅÅ-MM-DD."
        day = date.today()
    values = {
        "contributor_id": int(raw_id) if raw_id.isdigit() else 0,
        "network": str(form.get("network", "")).strip() or None,
        "lines": [(description, amount)] if amount is not None else [],
        "issue_date": day,
    }
    return values, errors


@bp.route("/invoices/new", methods=["GET", "POST"])
@role_required(*WRITERS)
def invoice_new() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, errors = _invoice_form(request.form)
        if not errors:
            try:
                with get_engine(current_app).begin() as conn:
                    invoice, _ = invoices.issue(
                        conn,
                        **values,
                        due_days=current_app.config["INVOICE_DUE_DAYS"],
                        created_by=int(current_user.id),
                    )
            except LedgerError as exc:
                errors[exc.field or "contributor_id"] = f"Fakturan kunde inte utfärdas: {exc}"
            else:
                flash(f"Faktura {invoice.number} är utfärdad och bokförd.", "success")
                return redirect(
                    url_for("finance_invoices.invoice_show", number=invoice.number), 303
                )
    return render_template(
        "invoices/invoice_form.html", form=request.form, errors=errors, **_choices()
    ), (422 if errors else 200)


def _get(number: int) -> invoices.Invoice:
    with get_engine(current_app).connect() as conn:
        return invoices.get(conn, number)


@bp.get("/invoices/<int:number>")
@role_required(*WRITERS)
def invoice_show(number: int) -> str:
    return _invoice_page(_get(number), {})


def _invoice_page(invoice: invoices.Invoice, errors: dict[str, str], **extra: Any) -> str:
    """The invoice's page, with what its credit form got wrong (``errors``), if anything."""
    with get_engine(current_app).connect() as conn:
        next_reminder = invoice_run.next_reminder(conn, invoice.id)
    return render_template(
        "invoices/invoice.html",
        invoice=invoice,
        status=invoice.status(date.today()),
        next_reminder=next_reminder,
        errors=errors,
        **extra,
    )


@bp.get("/invoices/<int:number>.pdf")
@role_required(*WRITERS)
def invoice_pdf_download(number: int) -> Response:
    invoice = _get(number)
    pdf = invoice_pdf.renderer(current_app.config)(invoice, None)
    name = invoice_pdf.filename(invoice)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@bp.post("/invoices/<int:number>/send")
@role_required(*WRITERS)
def invoice_send(number: int) -> Response:
    invoice = _get(number)
    if not invoice.recipient.email:
        flash(
            f"{invoice.recipient.name} saknar e-postadress för fakturor: skicka med post.", "error"
        )
    else:
        pdf = invoice_pdf.renderer(current_app.config)(invoice, None)
        with get_engine(current_app).begin() as conn:
            queued = invoice_run.send(conn, invoice, pdf, current_app.config)
        flash(
            f"Faktura {number} {'ligger i utkorgen' if queued else 'var redan skickad'} "
            f"till {invoice.recipient.email}.",
            "success" if queued else "info",
        )
    return redirect(url_for("finance_invoices.invoice_show", number=number), 303)


@bp.post("/invoices/<int:number>/remind")
@role_required(*WRITERS)
def invoice_remind(number: int) -> Response:
    invoice = _get(number)
    if invoice.kind != "invoice" or invoice.outstanding.ore <= 0:
        flash(f"Faktura {number} har inget kvar att betala.", "error")
        return redirect(url_for("finance_invoices.invoice_show", number=number), 303)
    with get_engine(current_app).connect() as conn:
        n = invoice_run.next_reminder(conn, invoice.id)
    made, mailed = invoice_run.remind_one(
        get_engine(current_app),
        number,
        n,
        date.today(),
        config=current_app.config,
        render=invoice_pdf.renderer(current_app.config),
    )
    if made:
        where = "ligger i utkorgen" if mailed else "är noterad; skicka den med post"
        flash(f"Påminnelse {n} för faktura {number} {where}.", "success")
    return redirect(url_for("finance_invoices.invoice_show", number=number), 303)


@bp.post("/invoices/<int:number>/credit")
@role_required(*WRITERS)
def invoice_credit(number: int) -> Any:
    invoice = _get(number)
    errors: dict[str, str] = {}
    raw = str(request.form.get("amount", "")).strip()
    amount: Money | None = None
    if raw:
        try:
            amount = parse_amount(raw)
        except ValueError:
            errors["amount"] = "Skriv beloppet i kronor, till exempel 500 eller 500,50."
    left = invoice.outstanding
    if not errors and (left.ore <= 0 or (amount is not None and not 0 < amount.ore <= left.ore)):
        errors["amount"] = f"Du kan kreditera högst det som är obetalt: {format_money(left)}."
    reason = str(request.form.get("reason", "")).strip()
    if len(reason) > 150:
        errors["reason"] = "Skälet får vara högst 150 tecken."
    if errors:
        return _invoice_page(invoice, errors, form=request.form), 422
    with get_engine(current_app).begin() as conn:
        note = invoices.credit(
            conn,
            number,
            on=date.today(),
            amount=amount,
            reason=reason or None,
            created_by=int(current_user.id),
        )
    flash(f"Kreditfaktura {note.number} är utfärdad och bokförd.", "success")
    return redirect(url_for("finance_invoices.invoice_show", number=note.number), 303)
