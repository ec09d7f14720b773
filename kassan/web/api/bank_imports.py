"""``/api/v1/bank-imports``: upload a bank file (multipart) and read what earlier imports did.

The view parses the upload, calls ``import_file`` (one transaction) and returns its result,
the same object ``kassan import`` prints and the finance desk shows: ``ok`` is false when a
line is in conflict or the file's totals and the books disagree (the file is stored and what
could be booked is booked; ``problems`` says what differs). A file imported before answers
409, a file with a bad line 422 listing every fault with its file, line and field; in both
cases nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import Connection, select

from kassan.web.api.auth import current_api_user, require_token
from kassan.web.database import get_engine
from kassan.web.errors import api_error, code_of, status_of
from ledger.db import tables as t
from webhooks.bankfiles.detect import FORMATS
from webhooks.bankfiles.importer import import_file
from webhooks.bankfiles.result import from_row, load
from webhooks.errors import BankFileInvalid

blp = Blueprint("bank_imports", __name__, url_prefix="/api/v1", description="Bank-file imports")
blp.before_request(require_token)


class UploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class UploadFormSchema(Schema):
    format = fields.String(load_default=None, validate=validate.OneOf(FORMATS))


class GroupSchema(Schema):
    group = fields.String()
    account = fields.String()
    currency = fields.String()
    file_count = fields.Integer()
    file_ore = fields.Integer()
    booked_count = fields.Integer(metadata={"description": "booked by this import"})
    booked_ore = fields.Integer()
    already_count = fields.Integer(metadata={"description": "booked before, with equal content"})
    already_ore = fields.Integer()
    conflict_count = fields.Integer()
    conflict_ore = fields.Integer()
    difference_ore = fields.Integer(metadata={"description": "file - booked - already booked"})


class ConflictSchema(Schema):
    line_no = fields.Integer()
    key = fields.String()
    booking_date = fields.String()
    amount_ore = fields.Integer(metadata={"description": "signed: money in positive"})
    currency = fields.String()
    note = fields.String(allow_none=True, metadata={"description": "what differs, in Swedish"})
    entry_id = fields.Integer(
        allow_none=True, metadata={"description": "the entry booked under the same key"}
    )
    entry = fields.String(allow_none=True, metadata={"description": "that entry, in words"})


class BankImportSchema(Schema):
    id = fields.Integer()
    sha256 = fields.String()
    filename = fields.String()
    format = fields.String()
    imported_at = fields.DateTime()
    imported_by = fields.Integer(allow_none=True)
    currency = fields.String()
    line_count = fields.Integer()
    credit_count = fields.Integer()
    credit_ore = fields.Integer()
    debit_count = fields.Integer()
    debit_ore = fields.Integer()
    booked_count = fields.Integer()
    confirmed_count = fields.Integer()
    matched_count = fields.Integer()
    unmatched_count = fields.Integer()
    conflict_count = fields.Integer(
        metadata={"description": "lines whose key is booked with other content: booked nowhere"}
    )
    skipped = fields.Integer(
        metadata={"description": "pending or information entries: reported, not booked"}
    )
    file_total_ore = fields.Integer(metadata={"description": "the file's net, money in positive"})
    booked_total_ore = fields.Integer(
        metadata={"description": "what the books hold for the file: booked now + already booked"}
    )
    groups = fields.List(
        fields.Nested(GroupSchema),
        metadata={"description": "per BgMax deposit, camt account or Swish account"},
    )
    problems = fields.List(
        fields.String(), metadata={"description": "every difference, in Swedish; empty when ok"}
    )
    conflicts = fields.List(
        fields.Nested(ConflictSchema),
        metadata={"description": "the lines in conflict (one import only; empty in the list)"},
    )
    ok = fields.Boolean(
        metadata={"description": "no conflict, and the file's totals equal what was booked"}
    )
    summary = fields.Dict(metadata={"description": "the file's own control totals, balances"})
    ledger_cash_ore = fields.Integer(
        metadata={"description": "the ledger's 1930 balance after the import (POST only)"}
    )


class BankImportListSchema(Schema):
    items = fields.List(fields.Nested(BankImportSchema))


def _record(row: Any) -> dict[str, Any]:
    out = from_row(row).as_dict()
    del out["ledger_cash_ore"]  # only known right after the import
    out.update(imported_at=row.imported_at, imported_by=row.imported_by)
    return out


def _rows(conn: Connection) -> list[dict[str, Any]]:
    i = t.bank_imports.c
    query = select(t.bank_imports).order_by(i.id.desc())
    return [_record(r) for r in conn.execute(query.limit(500))]


def _one(conn: Connection, import_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(t.bank_imports).where(t.bank_imports.c.id == import_id)).first()
    if row is None:
        return None
    out = _record(row)
    result = load(conn, import_id)
    out["conflicts"] = [c.as_dict() for c in result.conflicts] if result else []
    return out


@blp.route("/bank-imports")
class BankImports(MethodView):
    @blp.response(200, BankImportListSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    def get(self) -> dict[str, Any]:
        """The latest imports (at most 500), newest first."""
        with get_engine(current_app).connect() as conn:
            return {"items": _rows(conn)}

    @blp.arguments(UploadFormSchema, location="form")
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, BankImportSchema, description="imported")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT", description="this file was imported before")
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> Any:
        """Import a camt.053/054, BgMax or Swish-report file; nothing is stored on any error."""
        upload = files["file"]
        name = upload.filename or "bankfil"
        try:
            result = import_file(
                get_engine(current_app),
                upload.stream,
                name,
                format=form["format"],
                user_id=current_api_user().id,
                mail_config=current_app.config,
            )
        except BankFileInvalid as exc:
            return _refused(exc)
        with get_engine(current_app).connect() as conn:
            record = _one(conn, result.id)
        return {**(record or {}), "ledger_cash_ore": result.cash_ore}, 201


def _refused(exc: BankFileInvalid) -> Response:
    listed: dict[str, list[str]] = {}
    for e in exc.errors:
        where = f"{e.file}:{e.line}" if e.line is not None else e.file
        listed.setdefault(f"{where}:{e.field}" if e.field else where, []).append(e.message)
    return api_error(status_of(exc), code_of(exc), exc.message, fields=listed)


@blp.route("/bank-imports/<int:import_id>")
class BankImport(MethodView):
    @blp.response(200, BankImportSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, import_id: int) -> Any:
        """One import with its totals and the file's own control totals."""
        with get_engine(current_app).connect() as conn:
            found = _one(conn, import_id)
        if found is None:
            return api_error(404, "ImportNotFound", f"no bank import {import_id}", field="id")
        return found
