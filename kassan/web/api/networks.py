"""``/api/v1/networks``: solidarity networks with their countries, partners and status, their
yearly budgets, and the organisations that take part with what they give besides money.

Networks are named by slug, as in entries. The schemas check shapes; the rules are in
``ledger.services.networks`` and ``ledger.services.dimensions``, shared with the staff pages.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import Connection

from kassan.web.api.auth import require_token
from kassan.web.api.schemas import computed
from kassan.web.database import get_engine
from ledger.errors import DimensionNotFound
from ledger.services import dimensions, networks
from ledger.services.dimensions import Budget
from ledger.services.networks import Membership, NetworkDetail
from ledger.statuses import NetworkStatus

blp = Blueprint("networks", __name__, url_prefix="/api/v1", description="Solidarity networks")
blp.before_request(require_token)


class PartnerSchema(Schema):
    name = fields.String(required=True)
    country = fields.String(required=True, metadata={"example": "CO"})


class NetworkFieldsSchema(Schema):
    name = fields.String()
    theme = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": [s.value for s in NetworkStatus]})
    countries = fields.List(fields.String(), metadata={"example": ["CO", "VE"]})
    partners = fields.List(fields.Nested(PartnerSchema))


class NewNetworkSchema(NetworkFieldsSchema):
    slug = fields.String(required=True, metadata={"example": "colombia"})
    name = fields.String(required=True)


class CountrySchema(Schema):
    code = fields.String()
    name = fields.String(metadata={"description": "in Swedish"})


class NetworkSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    theme = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    status = fields.String()
    countries = computed(
        fields.List(fields.Nested(CountrySchema)),
        lambda n: [{"code": c, "name": networks.country_name(c)} for c in n.countries],
    )
    partners = fields.List(fields.Nested(PartnerSchema))


class BudgetSchema(Schema):
    year = fields.Integer(required=True, strict=True)
    need_ore = fields.Integer(required=True, strict=True)
    sida_ore = fields.Integer(
        required=True, strict=True, metadata={"description": "the part Sida used to cover"}
    )


class CommitmentSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(networks.COMMITMENT_KINDS))
    year = fields.Integer(required=True, strict=True)
    hours = fields.Integer(load_default=None, allow_none=True, strict=True)
    count = fields.Integer(load_default=None, allow_none=True, strict=True)
    note = fields.String(load_default=None, allow_none=True)


class NewMembershipSchema(Schema):
    contributor = fields.Integer(required=True, strict=True)
    joined_on = fields.Date(required=True)


class MembershipSchema(Schema):
    id = fields.Integer()
    network = fields.String(attribute="network_slug")
    contributor = fields.Integer(attribute="contributor_id")
    contributor_name = fields.String()
    joined_on = fields.Date()
    commitments = fields.List(fields.Nested(CommitmentSchema))


def _network_id(conn: Connection, slug: str) -> int:
    found = dimensions.get_network_by_slug(conn, slug)
    if found is None:
        raise DimensionNotFound(f"no network {slug!r}", "slug")
    return found.id


@blp.route("/networks")
class Networks(MethodView):
    @blp.response(200, NetworkSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    def get(self) -> list[NetworkDetail]:
        """Every network, by name."""
        with get_engine(current_app).connect() as conn:
            return networks.list_all(conn)

    @blp.arguments(NewNetworkSchema)
    @blp.response(201, NetworkSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT", description="the slug is taken")
    def post(self, args: dict[str, Any]) -> NetworkDetail:
        """Create a network."""
        with get_engine(current_app).begin() as conn:
            return networks.get(conn, networks.create(conn, args))


@blp.route("/networks/<slug>")
class NetworkBySlug(MethodView):
    @blp.response(200, NetworkSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, slug: str) -> NetworkDetail:
        """One network."""
        with get_engine(current_app).connect() as conn:
            return networks.get(conn, _network_id(conn, slug))

    @blp.arguments(NetworkFieldsSchema)
    @blp.response(200, NetworkSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, args: dict[str, Any], slug: str) -> NetworkDetail:
        """Change the fields sent; countries and partners are replaced whole."""
        with get_engine(current_app).begin() as conn:
            return networks.update(conn, _network_id(conn, slug), args)


@blp.route("/networks/<slug>/budgets")
class NetworkBudgets(MethodView):
    @blp.response(200, BudgetSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, slug: str) -> list[Budget]:
        """The network's need per year and the part Sida used to cover, newest first."""
        with get_engine(current_app).connect() as conn:
            return networks.budgets(conn, _network_id(conn, slug))

    @blp.arguments(BudgetSchema)
    @blp.response(200, BudgetSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def put(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Set (or replace) the budget for a year."""
        with get_engine(current_app).begin() as conn:
            dimensions.set_budget(
                conn, _network_id(conn, slug), args["year"], args["need_ore"], args["sida_ore"]
            )
        return args


@blp.route("/networks/<slug>/memberships")
class NetworkMemberships(MethodView):
    @blp.response(200, MembershipSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, slug: str) -> list[Membership]:
        """The organisations taking part, with their commitments."""
        with get_engine(current_app).connect() as conn:
            return networks.memberships(conn, network_id=_network_id(conn, slug))

    @blp.arguments(NewMembershipSchema)
    @blp.response(201, MembershipSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT", description="a member already")
    def post(self, args: dict[str, Any], slug: str) -> Membership:
        """An organisation joins the network."""
        with get_engine(current_app).begin() as conn:
            membership_id = networks.join(
                conn, _network_id(conn, slug), args["contributor"], args["joined_on"]
            )
            found = networks.memberships(conn, contributor_id=args["contributor"])
        return next(m for m in found if m.id == membership_id)


@blp.route("/networks/<slug>/memberships/<int:membership_id>/commitments")
class MembershipCommitments(MethodView):
    @blp.arguments(CommitmentSchema)
    @blp.response(201, CommitmentSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, args: dict[str, Any], slug: str, membership_id: int) -> dict[str, Any]:
        """Record what the member gives besides money: hours or a count, for a year."""
        with get_engine(current_app).begin() as conn:
            network_id = _network_id(conn, slug)
            if not any(
                m.id == membership_id for m in networks.memberships(conn, network_id=network_id)
            ):
                raise DimensionNotFound(
                    f"no membership {membership_id} in {slug!r}", "membership_id"
                )
            new_id = networks.add_commitment(
                conn,
                membership_id,
                args["kind"],
                args["year"],
                hours=args["hours"],
                count=args["count"],
                note=args["note"],
            )
        return {"id": new_id, **args}
