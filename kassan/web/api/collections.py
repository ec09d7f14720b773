"""``/api/v1/collections``: workplace collections for staff: list, get (with what they have
raised, from the ledger), create (approved by the same call's caller later), approve, close.

The rules live in ``ledger.services.collections``, shared with the start form and the desk.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from kassan.web.api.auth import current_api_user, require_personal_data_token
from kassan.web.database import get_engine
from ledger.services import collections, dimensions
from ledger.statuses import CollectionStatus

blp = Blueprint(
    "api_collections", __name__, url_prefix="/api/v1", description="Workplace collections"
)
blp.before_request(require_personal_data_token)


class NewCollectionSchema(Schema):
    org_name = fields.String(required=True)
    organisation_number = fields.String(required=True, metadata={"example": "802000-1234"})
    contact_name = fields.String(required=True)
    contact_email = fields.String(required=True)
    network = fields.String(load_default=None, allow_none=True, metadata={"description": "slug"})
    title = fields.String(required=True)
    body = fields.String(required=True)
    goal = fields.Integer(required=True, strict=True, metadata={"description": "whole kronor"})
    end_date = fields.Date(required=True)


class CollectionSchema(Schema):
    """A collection as the API answers it (``_record``)."""

    id = fields.Integer()
    slug = fields.String()
    status = fields.String(metadata={"enum": [str(s) for s in CollectionStatus]})
    title = fields.String()
    body = fields.String()
    network = fields.String(allow_none=True, metadata={"description": "the network's name"})
    organiser = fields.String()
    organisation_number = fields.String()
    contributor = fields.Integer(allow_none=True)
    reference = fields.String(allow_none=True, metadata={"description": "OCR reference"})
    goal_ore = fields.Integer()
    raised_ore = fields.Integer()
    gift_count = fields.Integer()
    cash_reported_ore = fields.Integer()
    end_date = fields.String(metadata={"format": "date"})


class CollectionListSchema(Schema):
    collections = fields.List(fields.Nested(CollectionSchema))


def _record(conn: Any, c: collections.Collection) -> dict[str, Any]:
    progress = collections.progress(conn, c, latest=0)
    return {
        "id": c.id,
        "slug": c.slug,
        "status": c.status,
        "title": c.title,
        "body": c.body,
        "network": c.network_name,
        "organiser": c.org_name,
        "organisation_number": c.organisation_number,
        "contributor": c.contributor_id,
        "reference": c.reference,
        "goal_ore": c.goal.ore,
        "raised_ore": progress.raised.ore,
        "gift_count": progress.gift_count,
        "cash_reported_ore": progress.cash_reported.ore,
        "end_date": c.end_date.isoformat(),
    }


def _found(conn: Any, collection_id: int) -> collections.Collection:
    found = collections.get(conn, collection_id)
    if found is None:
        abort(404, message=f"no collection {collection_id}")
    return found  # type: ignore[return-value]


@blp.route("/collections")
class Collections(MethodView):
    @blp.response(200, CollectionListSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self) -> dict[str, Any]:
        status = request.args.get("status") or None
        with get_engine(current_app).connect() as conn:
            found = collections.list_collections(conn, status=status)
            return {"collections": [_record(conn, c) for c in found]}

    @blp.arguments(NewCollectionSchema)
    @blp.response(201, CollectionSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        with get_engine(current_app).begin() as conn:
            network = None
            if body.get("network"):
                network = dimensions.get_network_by_slug(conn, body["network"])
                if network is None:
                    abort(422, message=f"no network {body['network']}")
            values = {**body, "goal": str(body["goal"]), "end_date": body["end_date"].isoformat()}
            created = collections.start(
                conn,
                values,
                network_id=network.id if network else None,
                image_data=None,
                address_hash=f"api:{current_api_user().id}",
                today=date.today(),
            )
            return _record(conn, created), 201


@blp.route("/collections/<int:collection_id>")
class CollectionItem(MethodView):
    @blp.response(200, CollectionSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, collection_id: int) -> dict[str, Any]:
        with get_engine(current_app).connect() as conn:
            return _record(conn, _found(conn, collection_id))


@blp.route("/collections/<int:collection_id>/approve")
class Approve(MethodView):
    @blp.response(200, CollectionSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, collection_id: int) -> dict[str, Any]:
        from kassan.web.collections import send_management_link

        with get_engine(current_app).begin() as conn:
            _found(conn, collection_id)
            approved = collections.approve(conn, collection_id)
            send_management_link(conn, approved)
            return _record(conn, approved)


@blp.route("/collections/<int:collection_id>/close")
class Close(MethodView):
    @blp.response(200, CollectionSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, collection_id: int) -> dict[str, Any]:
        with get_engine(current_app).begin() as conn:
            _found(conn, collection_id)
            return _record(conn, collections.close(conn, collection_id))
