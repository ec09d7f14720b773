"""``GET /api/v1/funding-gap``: per network and in total, how much of the year's need is covered.

The figures are ``reports.funding.funding_gap``'s, rendered by ``reports.funding.render`` (the
same JSON the CLI writes). Every amount comes as ``<name>_ore`` (integer) and ``<name>`` (the
Swedish text). Any staff token (leadership, finance, admin) may read it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from kassan.web.api.auth import require_token
from kassan.web.database import get_engine
from reports.funding import funding_gap, monthly_gift_fallback
from reports.funding.render import AMOUNTS, to_json

blp = Blueprint(
    "funding_gap", __name__, url_prefix="/api/v1", description="The funding gap per network"
)
blp.before_request(require_token)


class FundingGapQuerySchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(2000, 2200))
    network = fields.String(load_default=None, metadata={"description": "a network's slug"})
    as_of = fields.Date(
        load_default=None,
        metadata={"description": "reference date (default: today in Stockholm)"},
    )


def _figures_schema() -> type[Schema]:
    attrs: dict[str, Any] = {}
    for name in AMOUNTS:
        attrs[f"{name}_ore"] = fields.Integer(allow_none=True)
        attrs[name] = fields.String(allow_none=True, metadata={"example": "1 234,50 kr"})
    attrs.update(
        coverage_bp=fields.Integer(
            allow_none=True, metadata={"description": "hundredths of a percent"}
        ),
        coverage=fields.String(metadata={"example": "63,4 %"}),
        donors_needed=fields.Integer(allow_none=True),
        donors=fields.String(),
        monthly_givers=fields.Integer(),
    )
    return Schema.from_dict(attrs, name="FundingGapFigures")


FiguresSchema = _figures_schema()


class NetworkGapSchema(FiguresSchema):  # type: ignore[valid-type,misc]
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    status = fields.String()


class CancellationsSchema(Schema):
    stopped = fields.Integer()
    exposed = fields.Integer()
    monthly_rate = fields.String(metadata={"example": "0.016667"})


class FailureShareSchema(Schema):
    failed = fields.Integer()
    decided = fields.Integer()
    share = fields.String(metadata={"example": "0.050000"})


class FailuresSchema(Schema):
    """Each channel's monthly debits of the 12 months up to ``as_of``: failed of decided."""

    autogiro = fields.Nested(FailureShareSchema)
    swish = fields.Nested(FailureShareSchema)


class FundingGapSchema(Schema):
    year = fields.Integer()
    as_of = fields.String()
    months_left = fields.Integer()
    currency = fields.String()
    network = fields.String(allow_none=True)
    median_monthly_gift_ore = fields.Integer()
    median_monthly_gift = fields.String()
    median_is_fallback = fields.Boolean()
    cancellations = fields.Nested(CancellationsSchema)
    failures = fields.Nested(FailuresSchema)
    networks = fields.List(fields.Nested(NetworkGapSchema))
    unrestricted = fields.Nested(FiguresSchema, allow_none=True)
    total = fields.Nested(FiguresSchema)


@blp.get("/funding-gap")
@blp.arguments(FundingGapQuerySchema, location="query")
@blp.response(200, FundingGapSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
def funding_gap_view(args: dict[str, Any]) -> dict[str, Any]:
    """Need, received, committed, projected, gap, coverage, pace and donors per network."""
    fallback = monthly_gift_fallback(current_app.config)
    with get_engine(current_app).connect() as conn:  # writes nothing: gifts' figures may be kept
        report = funding_gap(
            conn,
            args["year"],
            network=args["network"],
            as_of=args["as_of"],
            fallback_gift_ore=fallback,
            keep=True,
        )
    return to_json(report)
