"""``/api/v1/invoices``: list and read invoices and credit notes, issue one by hand, send it with
its PDF, credit all or part of it, and download its PDF.

Issuing and crediting book in series F through ``ledger.services.invoices``; sending queues the
mail in the outbox (``kassan mail send`` delivers it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from kassan.web.api import paging
from kassan.web.api.auth import current_api_user, require_personal_data_token
from kassan.web.api.schemas import computed
from kassan.web.database import get_engine
from ledger.money import Money
from ledger.services import invoice_run, invoices
from ledger.services.invoices import Invoice, Recipient
from reports import invoice_pdf

blp = Blueprint("invoices", __name__, url_prefix="/api/v1", description="Invoices and credit notes")
blp.before_request(require_personal_data_token)

_ORE = validate.Range(min=1, max=10**12)


class NewInvoiceLineSchema(Schema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount_ore = fields.Integer(strict=True, required=True, validate=_ORE)


class NewInvoiceSchema(Schema):
    contributor_id = fields.Integer(strict=True, required=True)
    network = fields.String(load_default=None, allow_none=True)
    issue_date = fields.Date(load_default=None, allow_none=True)
    due_days = fields.Integer(strict=True, load_default=None, allow_none=True)
    lines = fields.List(
        fields.Nested(NewInvoiceLineSchema),
        required=True,
        validate=validate.Length(min=1, max=invoices.MAX_LINES),
    )


class CreditSchema(Schema):
    amount_ore = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=_ORE,
        metadata={"description": "omit to credit all that is unpaid"},
    )
    reason = fields.String(load_default=None, allow_none=True)
    date = fields.Date(load_default=None, allow_none=True)


class InvoiceLineSchema(Schema):
    description = fields.String()
    amount_ore = fields.Integer()


def _recipient(r: Recipient) -> dict[str, Any]:
    return {
        "name": r.name,
        "organisation_number": r.org_number,
        "contact_person": r.contact,
        "address": list(r.address),
        "email": r.email,
    }


class InvoiceSchema(Schema):
    number = fields.Integer()
    kind = fields.String(metadata={"description": "invoice or credit_note"})
    credits_number = fields.Integer(allow_none=True)
    status = computed(fields.String(), lambda inv: inv.status(date.today()))
    contributor_id = fields.Integer()
    network = fields.String(allow_none=True)
    issue_date = fields.Date()
    due_date = fields.Date(allow_none=True)
    currency = fields.String()
    total_ore = fields.Integer()
    credited_ore = fields.Integer()
    paid_ore = fields.Integer()
    outstanding_ore = fields.Integer(attribute="outstanding.ore")
    reference = fields.String(allow_none=True, metadata={"description": "OCR reference"})
    entry_id = fields.Integer()
    recipient = computed(fields.Dict(), lambda inv: _recipient(inv.recipient))
    sent = computed(fields.Boolean(), lambda inv: inv.sent_at is not None)
    lines = fields.List(fields.Nested(InvoiceLineSchema))


class InvoicePageSchema(Schema):
    items = fields.List(fields.Nested(InvoiceSchema))
    pagination = fields.Dict()


class SentSchema(Schema):
    number = fields.Integer()
    queued = fields.Boolean(metadata={"description": "false: it was queued before"})


@blp.route("/invoices")
class Invoices(MethodView):
    @blp.arguments(paging.ContributorPageQuerySchema, location="query")
    @blp.response(200, InvoicePageSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """A page of invoices and credit notes, newest number first."""
        return paging.contributor_page(args, invoices.list_invoices)

    @blp.arguments(NewInvoiceSchema)
    @blp.response(201, InvoiceSchema)
    def post(self, body: dict[str, Any]) -> tuple[Invoice, int]:
        """Issue an invoice by hand: it gets the next number and is booked (1510 / 3993)."""
        with get_engine(current_app).begin() as conn:
            invoice, _ = invoices.issue(
                conn,
                contributor_id=body["contributor_id"],
                network=body["network"],
                lines=[(ln["description"], Money(ln["amount_ore"])) for ln in body["lines"]],
                issue_date=body["issue_date"] or date.today(),
                due_days=body["due_days"] or int(current_app.config["INVOICE_DUE_DAYS"]),
                created_by=current_api_user().id,
            )
        return invoice, 201


@blp.route("/invoices/<int:number>")
class InvoiceByNumber(MethodView):
    @blp.response(200, InvoiceSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, number: int) -> Invoice:
        """One invoice or credit note."""
        with get_engine(current_app).connect() as conn:
            return invoices.get(conn, number)


@blp.route("/invoices/<int:number>/send")
class InvoiceSend(MethodView):
    @blp.response(202, SentSchema)
    def post(self, number: int) -> tuple[dict[str, Any], int]:
        """Queue the document with its PDF to the recipient's invoice e-mail (once)."""
        engine = get_engine(current_app)
        with engine.connect() as conn:
            invoice = invoices.get(conn, number)
        pdf = invoice_pdf.renderer(current_app.config)(invoice, None)
        with engine.begin() as conn:
            queued = invoice_run.send(conn, invoice, pdf, current_app.config)
        return {"number": number, "queued": queued}, 202


@blp.route("/invoices/<int:number>/credit")
class InvoiceCredit(MethodView):
    @blp.arguments(CreditSchema, required=False)
    @blp.response(201, InvoiceSchema, description="the credit note")
    def post(self, body: dict[str, Any], number: int) -> tuple[Invoice, int]:
        """Credit all or part of what is unpaid on an invoice with a credit note."""
        amount = body.get("amount_ore")
        with get_engine(current_app).begin() as conn:
            note = invoices.credit(
                conn,
                number,
                on=body.get("date") or date.today(),
                amount=None if amount is None else Money(amount),
                reason=body.get("reason"),
                created_by=current_api_user().id,
            )
        return note, 201


@blp.route("/invoices/<int:number>/pdf")
class InvoicePdf(MethodView):
    @blp.response(200, content_type="application/pdf")
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, number: int) -> Response:
        """The document as PDF."""
        with get_engine(current_app).connect() as conn:
            invoice = invoices.get(conn, number)
        pdf = invoice_pdf.renderer(current_app.config)(invoice, None)
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{invoice_pdf.filename(invoice)}"'
            },
        )
