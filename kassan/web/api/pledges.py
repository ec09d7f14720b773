"""``/api/v1/pledges``: list, read and create pledges, and invoice one of their instalments.

The body is typed by the schema here; what a pledge may be is decided by
``ledger.services.pledges.validate``, the same check the finance page runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from kassan.web.api import paging
from kassan.web.api.auth import current_api_user, require_personal_data_token
from kassan.web.api.invoices import InvoiceSchema
from kassan.web.database import get_engine
from ledger.db import tables as t
from ledger.errors import PledgeInvalid, PledgeNotFound
from ledger.services import invoice_run, pledge_status, pledges
from ledger.services.invoices import Invoice
from ledger.services.pledge_status import PledgeView

blp = Blueprint("pledges", __name__, url_prefix="/api/v1", description="Pledges (åtaganden)")
blp.before_request(require_personal_data_token)


class NewPledgeSchema(Schema):
    contributor_id = fields.Integer(strict=True, required=True)
    network = fields.String(load_default=None, allow_none=True, metadata={"example": "fred"})
    amount_ore = fields.Integer(strict=True, required=True, metadata={"description": "per period"})
    period = fields.String(required=True, validate=validate.OneOf(list(pledges.PERIODS)))
    start_date = fields.Date(required=True)
    end_date = fields.Date(load_default=None, allow_none=True)
    instalments = fields.Integer(strict=True, load_default=None, allow_none=True)
    payment_way = fields.String(required=True, validate=validate.OneOf(list(pledges.WAYS)))
    note = fields.String(load_default=None, allow_none=True)


class InstalmentSchema(Schema):
    seq = fields.Integer()
    due_date = fields.Date()
    amount_ore = fields.Integer()
    invoiced_ore = fields.Integer()
    paid_ore = fields.Integer()
    status = fields.String()
    reference = fields.String(allow_none=True, metadata={"description": "OCR reference"})
    invoice_number = fields.Integer(allow_none=True)


class PledgeSchema(Schema):
    id = fields.Integer()
    contributor_id = fields.Integer()
    contributor_name = fields.String()
    network = fields.String(allow_none=True)
    amount_ore = fields.Integer()
    currency = fields.String()
    period = fields.String()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    payment_way = fields.String()
    note = fields.String(allow_none=True)
    status = fields.String()
    promised_ore = fields.Integer(attribute="promised.ore")
    invoiced_ore = fields.Integer(attribute="invoiced.ore")
    paid_ore = fields.Integer(attribute="paid.ore")
    overdue_ore = fields.Integer(attribute="overdue.ore")
    instalments = fields.List(fields.Nested(InstalmentSchema))


class PledgePageSchema(Schema):
    items = fields.List(fields.Nested(PledgeSchema))
    pagination = fields.Dict()


@blp.route("/pledges")
class Pledges(MethodView):
    @blp.arguments(paging.ContributorPageQuerySchema, location="query")
    @blp.response(200, PledgePageSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """A page of pledges, newest first, with each instalment's status and the totals."""
        return paging.contributor_page(args, pledge_status.list_pledges, today=date.today())

    @blp.arguments(NewPledgeSchema)
    @blp.response(201, PledgeSchema)
    def post(self, body: dict[str, Any]) -> tuple[PledgeView, int]:
        """Create a pledge and its instalments (bankgiro ones get their OCR references)."""
        draft = pledges.validate(body)
        with get_engine(current_app).begin() as conn:
            pledge_id = pledges.create(conn, draft, created_by=current_api_user().id)
            view = pledge_status.get(conn, pledge_id, today=date.today())
        return view, 201


@blp.route("/pledges/<int:pledge_id>")
class PledgeById(MethodView):
    @blp.response(200, PledgeSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, pledge_id: int) -> PledgeView:
        """One pledge with its instalments."""
        with get_engine(current_app).connect() as conn:
            return pledge_status.get(conn, pledge_id, today=date.today())


@blp.route("/pledges/<int:pledge_id>/instalments/<int:seq>/invoice")
class InstalmentInvoice(MethodView):
    @blp.response(201, InvoiceSchema, description="issued now")
    @blp.alt_response(200, schema=InvoiceSchema, description="issued before", success=True)
    def post(self, pledge_id: int, seq: int) -> tuple[Invoice, int]:
        """Invoice one instalment of a pledge paid by invoice (at most once)."""
        i = t.pledge_instalments.c
        with get_engine(current_app).begin() as conn:
            view = pledge_status.get(conn, pledge_id, today=date.today())
            if view.payment_way != "invoice":
                raise PledgeInvalid(
                    {"payment_way": f"pledge {pledge_id} is paid by {view.payment_way}"}
                )
            instalment_id = conn.execute(
                select(i.id).where(i.pledge_id == pledge_id, i.seq == seq)
            ).scalar()
            if instalment_id is None:
                raise PledgeNotFound(f"pledge {pledge_id} has no instalment {seq}", "seq")
            invoice, new = invoice_run.issue_instalment(
                conn,
                instalment_id,
                on=date.today(),
                due_days=int(current_app.config["INVOICE_DUE_DAYS"]),
            )
        return invoice, 201 if new else 200
