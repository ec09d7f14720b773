"""``/api/v1/contributors``: list and search, read, create, change and merge contributors.

The schemas only check shapes (types); every rule about the fields lives in
``ledger.services.contributors``, which the staff pages call too. A personnummer is taken in
clear and only ever answered masked (``19811218-****``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from kassan.web.api import paging
from kassan.web.api.auth import current_api_user, require_personal_data_token
from kassan.web.api.schemas import PaginationSchema
from kassan.web.database import get_engine
from ledger.services import contributors, merge, pii
from ledger.services.contributors import ContributorRecord
from ledger.services.dimensions import CONTRIBUTOR_KINDS

blp = Blueprint("contributors", __name__, url_prefix="/api/v1", description="Contributors (givare)")
blp.before_request(require_personal_data_token)

_TEXT = {"load_default": None, "allow_none": True}


class ContributorFieldsSchema(Schema):
    """The fields a person or organisation is made of, as text; the service checks them."""

    name = fields.String(metadata={"example": "Seko klubb Posten Göteborg"})
    email = fields.String(allow_none=True)
    personnummer = fields.String(
        allow_none=True, metadata={"description": "persons only; answered masked"}
    )
    organisation_number = fields.String(allow_none=True, metadata={"example": "556036-0793"})
    org_kind = fields.String(allow_none=True, metadata={"enum": list(contributors.ORG_KINDS)})
    contact_person = fields.String(allow_none=True)
    address_line1 = fields.String(allow_none=True)
    address_line2 = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True, metadata={"example": "111 81"})
    city = fields.String(allow_none=True)
    invoice_email = fields.String(allow_none=True)


class NewContributorSchema(ContributorFieldsSchema):
    kind = fields.String(required=True, validate=validate.OneOf(CONTRIBUTOR_KINDS))
    name = fields.String(required=True)


class ContributorQuerySchema(paging.PageQuerySchema):
    q = fields.String(load_default=None, metadata={"description": "name, e-mail or number"})
    kind = fields.String(load_default=None, validate=validate.OneOf(CONTRIBUTOR_KINDS))


class ContributorSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    personnummer = fields.String(allow_none=True, metadata={"example": "19811218-****"})
    organisation_number = fields.String(allow_none=True)
    org_kind = fields.String(allow_none=True)
    contact_person = fields.String(allow_none=True)
    address_line1 = fields.String(allow_none=True)
    address_line2 = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    invoice_email = fields.String(allow_none=True)
    merged_into = fields.Integer(allow_none=True)
    possible_duplicates = fields.List(fields.Integer(), metadata={"description": "similar names"})


class ContributorPageSchema(Schema):
    items = fields.List(fields.Nested(ContributorSchema))
    pagination = fields.Nested(PaginationSchema)


class MergeRequestSchema(Schema):
    into = fields.Integer(
        required=True, strict=True, metadata={"description": "the contributor that remains"}
    )
    date = fields.Date(load_default=None, metadata={"description": "of the entry; default today"})


class MergeSchema(Schema):
    from_id = fields.Integer()
    into_id = fields.Integer()
    entry_id = fields.Integer(allow_none=True, metadata={"description": "the reclassification"})
    moved = fields.Dict(keys=fields.String(), values=fields.Integer())
    merged_now = fields.Boolean()


def record(c: ContributorRecord, duplicates: list[int] | None = None) -> dict[str, Any]:
    out = {f: getattr(c, f) for f in ContributorRecord.__slots__ if f != "personnummer_masked"}
    out["personnummer"] = c.personnummer_masked
    if duplicates is not None:
        out["possible_duplicates"] = duplicates
    return out


@blp.route("/contributors")
class Contributors(MethodView):
    @blp.arguments(ContributorQuerySchema, location="query")
    @blp.response(200, ContributorPageSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """A page of contributors (not merged away), by name; ``q`` searches."""
        page = paging.requested(args)
        with get_engine(current_app).connect() as conn:
            items, total = contributors.search(
                conn, args["q"], kind=args["kind"], limit=page.size, offset=page.offset
            )
        return page.body([record(c) for c in items], total)

    @blp.arguments(NewContributorSchema)
    @blp.response(201, ContributorSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT", description="the number or e-mail is taken")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Create a person or organisation; a duplicate number or e-mail is refused (409)."""
        crypt = pii.cipher(current_app.config)
        values = {k: v for k, v in args.items() if k != "kind"}
        with get_engine(current_app).begin() as conn:
            new_id = contributors.create(conn, crypt, args["kind"], values)
            return record(contributors.get(conn, new_id))


@blp.route("/contributors/<int:contributor_id>")
class ContributorById(MethodView):
    @blp.response(200, ContributorSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, contributor_id: int) -> dict[str, Any]:
        """One contributor, with the ids of others whose names look alike."""
        with get_engine(current_app).connect() as conn:
            found = contributors.get(conn, contributor_id)
            similar = [c.id for c in contributors.possible_duplicates(conn, contributor_id)]
        return record(found, similar)

    @blp.arguments(ContributorFieldsSchema)
    @blp.response(200, ContributorSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="the number or e-mail is taken")
    def patch(self, args: dict[str, Any], contributor_id: int) -> dict[str, Any]:
        """Change the fields sent; the kind never changes."""
        crypt = pii.cipher(current_app.config)
        with get_engine(current_app).begin() as conn:
            return record(contributors.update(conn, crypt, contributor_id, args))


@blp.route("/contributors/<int:contributor_id>/merge")
class ContributorMerge(MethodView):
    @blp.arguments(MergeRequestSchema)
    @blp.response(201, MergeSchema, description="merged now")
    @blp.alt_response(200, schema=MergeSchema, description="merged before", success=True)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, args: dict[str, Any], contributor_id: int) -> tuple[dict[str, Any], int]:
        """Merge this contributor into ``into``: one reclassification entry, rows re-pointed."""
        with get_engine(current_app).begin() as conn:
            result = merge.merge(
                conn,
                contributor_id,
                args["into"],
                on=args["date"] or date.today(),
                created_by=current_api_user().id,
            )
        body = {
            "from_id": result.from_id,
            "into_id": result.into_id,
            "entry_id": result.entry_id,
            "moved": result.moved,
            "merged_now": result.merged_now,
        }
        return body, 201 if result.merged_now else 200
