"""``POST /api/v1/allocations``: give part of a year's unrestricted income to a network.

Allocating is leadership's decision as much as finance's, so this blueprint lets leadership
tokens write too (the other API blueprints keep writing to finance and admin). The body's
``token`` is the form's one-time token: sending the same body twice books once (201 the first
time, 200 with the same allocation after).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from kassan.web.database import get_engine
from ledger.errors import DimensionNotFound
from ledger.money import Money
from ledger.services import allocations, journal, users
from ledger.services.allocations import Allocation
from reports.display import format_money

blp = Blueprint(
    "allocations",
    __name__,
    url_prefix="/api/v1",
    description="Allocating unrestricted money to networks",
)

ALLOCATING_ROLES = frozenset({"leadership", "finance", "admin"})
_MAX_TOKEN = 200


def require_allocator() -> None:
    """``before_request``: a bearer token of a leadership, finance or admin user."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    user = None
    if scheme.lower() == "bearer" and token and len(token) <= _MAX_TOKEN:
        with get_engine(current_app).connect() as conn:
            user = users.user_for_token(conn, token)
    if user is None:
        raise Unauthorized(
            "a valid API token is needed: Authorization: Bearer <token>",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "kassan"}),
        )
    if user.role not in ALLOCATING_ROLES:
        raise Forbidden("allocating needs the leadership, finance or admin role")
    g.api_user = user


blp.before_request(require_allocator)


class NewAllocationSchema(Schema):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2200))
    network = fields.String(required=True, metadata={"example": "fred"})
    amount_ore = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    note = fields.String(
        required=True, validate=validate.Length(min=1, max=300), metadata={"example": "§4"}
    )
    token = fields.String(
        required=True,
        validate=validate.Length(min=8, max=100),
        metadata={"description": "the form's one-time token: the same token books once"},
    )
    date = fields.Date(
        load_default=None, metadata={"description": "accounting date in the year (default today)"}
    )


class AllocationSchema(Schema):
    entry_id = fields.Integer()
    voucher = fields.String(metadata={"example": "A12"})
    year = fields.Integer()
    date = fields.Date()
    network = fields.String()
    amount_ore = fields.Integer()
    amount = fields.String(metadata={"example": "5 000,00 kr"})
    text = fields.String()
    unallocated_ore = fields.Integer(metadata={"description": "left in the year after this"})
    unallocated = fields.String()


def _record(a: Allocation, left: Money) -> dict[str, Any]:
    return {
        "entry_id": a.entry_id,
        "voucher": a.voucher,
        "year": a.year,
        "date": a.date,
        "network": a.network,
        "amount_ore": a.amount_ore,
        "amount": format_money(Money(a.amount_ore)),
        "text": a.text,
        "unallocated_ore": left.ore,
        "unallocated": format_money(left),
    }


@blp.route("/allocations")
class Allocations(MethodView):
    @blp.arguments(NewAllocationSchema)
    @blp.response(201, AllocationSchema, description="booked now")
    @blp.alt_response(200, schema=AllocationSchema, description="booked before", success=True)
    @blp.alt_response(401, response="UNAUTHORIZED")
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Book an allocation entry (series A: 3993 without network to 3993 with it)."""
        with get_engine(current_app).begin() as conn:
            network_id = journal.network_id(conn, body["network"])
            if network_id is None:
                raise DimensionNotFound(f"no network {body['network']!r}", "network")
            made = allocations.allocate(
                conn,
                year=body["year"],
                network_id=network_id,
                amount=Money(body["amount_ore"]),
                note=body["note"],
                user=g.api_user.id,
                token=body["token"],
                on=body["date"],
            )
            left = allocations.unallocated(conn, made.year)
        return _record(made, left), 201 if made.new else 200
