"""``/api/v1/bank-imports``: upload a bank file (multipart) and read what earlier imports did.

An upload is stored as a job and answered ``202 Accepted`` at once, with ``Location`` naming
``/api/v1/bank-imports/jobs/<id>``: the background worker checks the whole file, then books it
in short transactions (``webhooks.bankfiles.importer``). The job reads ``waiting``, then
``running`` with its progress, then ``done`` with the import's result (the same object
``kassan import`` prints and the finance desk shows: ``ok`` is false when a line is in conflict
or the file's totals and the books disagree), or ``refused`` listing every fault with its file,
line and field, and then nothing was booked. A file imported before, or waiting already,
answers 409 at once, naming the earlier import or job.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import Connection, select

from kassan import autogiro_reports
from kassan.web import appliers
from kassan.web.api.auth import current_api_user, require_token
from kassan.web.database import get_engine
from kassan.web.errors import api_error
from ledger.db import tables as t
from ledger.statuses import ImportJobStatus
from reports import bank_reconciliation
from webhooks.bankfiles import jobs, uploads
from webhooks.bankfiles.detect import FORMATS
from webhooks.bankfiles.result import from_row, load

blp = Blueprint("bank_imports", __name__, url_prefix="/api/v1", description="Bank-file imports")
blp.before_request(require_token)


class UploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class UploadFormSchema(Schema):
    format = fields.String(load_default=None, validate=validate.OneOf(FORMATS))


class AutogiroOutcomeSchema(Schema):
    line = fields.Integer()
    payer_number = fields.Integer()
    amount_ore = fields.Integer(allow_none=True)
    what = fields.String(metadata={"description": "what became of the record, in Swedish"})
    voucher = fields.String(allow_none=True)


class AutogiroImportSchema(Schema):
    filename = fields.String()
    kind = fields.String(metadata={"description": "which Autogiro report"})
    records = fields.Integer()
    ok = fields.Boolean(metadata={"description": "the file and the books agree"})
    booked = fields.List(fields.Nested(AutogiroOutcomeSchema))
    already = fields.List(fields.Nested(AutogiroOutcomeSchema))
    conflicts = fields.List(fields.Nested(AutogiroOutcomeSchema))
    listed = fields.List(fields.Nested(AutogiroOutcomeSchema))
    problems = fields.List(fields.String())
    controls = fields.List(fields.Dict())
    file_ore = fields.Integer(allow_none=True)
    booked_ore = fields.Integer()
    already_ore = fields.Integer()


class AutogiroResultSchema(Schema):
    autogiro = fields.Nested(AutogiroImportSchema)


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
        metadata={
            "description": "the ledger's 1930 balance after the import (a done job's result only)"
        }
    )


class JobErrorSchema(Schema):
    file = fields.String()
    line = fields.Integer(allow_none=True, metadata={"description": "the file's text line"})
    field = fields.String(allow_none=True)
    message = fields.String(metadata={"description": "what is wrong, in Swedish"})


class JobSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    sha256 = fields.String()
    status = fields.String(
        validate=validate.OneOf([str(s) for s in ImportJobStatus]),
        metadata={
            "description": "waiting; running (bytes_done of size checked, then lines_done of "
            "line_total booked); done (import_id and result); refused (errors: nothing was "
            "booked); failed (errors: the ledger refused a batch after the check)"
        },
    )
    size = fields.Integer(metadata={"description": "the file's size in bytes"})
    bytes_done = fields.Integer(metadata={"description": "bytes of the file checked"})
    line_total = fields.Integer(
        allow_none=True, metadata={"description": "the file's lines, once it is checked"}
    )
    lines_done = fields.Integer(metadata={"description": "lines booked (or confirmed) so far"})
    import_id = fields.Integer(allow_none=True)
    errors = fields.List(fields.Nested(JobErrorSchema))
    result = fields.Nested(
        BankImportSchema, allow_none=True, metadata={"description": "the import, once done"}
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
    query = (
        select(t.bank_imports).where(~bank_reconciliation.being_imported()).order_by(i.id.desc())
    )
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
        """The latest finished imports (at most 500), newest first; one still being booked
        is read through its job."""
        with get_engine(current_app).connect() as conn:
            return {"items": _rows(conn)}

    @blp.arguments(UploadFormSchema, location="form")
    @blp.arguments(UploadSchema, location="files")
    @blp.response(
        202,
        JobSchema,
        description="stored: the worker imports it; poll the job named by Location",
        headers={
            "Location": {
                "description": "the job: /api/v1/bank-imports/jobs/{job_id}",
                "schema": {"type": "string"},
            }
        },
    )
    @blp.alt_response(
        201, schema=AutogiroResultSchema, description="an Autogiro report: imported at once"
    )
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(
        409, response="CONFLICT", description="this file was imported before, or waits already"
    )
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> Any:
        """Upload a camt.053/054, BgMax or Swish-report file to be imported in the background;
        an Autogiro report from Bankgirot is imported at once and answered 201 with what it did
        (``ok`` false when the file and the books disagree)."""
        upload = files["file"]
        engine = get_engine(current_app)
        if form["format"] is None and autogiro_reports.is_autogiro(upload.stream):
            result = autogiro_reports.import_report(
                engine, current_app.config, upload.stream, upload.filename or "autogiro"
            )
            return jsonify({"autogiro": autogiro_reports.as_dict(result)}), 201
        job_id = uploads.enqueue(
            engine,
            upload.stream,
            upload.filename or "bankfil",
            format=form["format"],
            user_id=current_api_user().id,
        )
        appliers.wake_import_worker(current_app._get_current_object())  # type: ignore[attr-defined]
        with engine.connect() as conn:
            body = _job(conn, job_id)
        return body, 202, {"Location": url_for("bank_imports.BankImportJob", job_id=job_id)}


def _job(conn: Connection, job_id: int) -> dict[str, Any] | None:
    job = jobs.read(conn, job_id)
    if job is None:
        return None
    out = job.as_dict()
    out["result"] = None
    if job.status == ImportJobStatus.DONE and job.import_id is not None:
        out["result"] = _one(conn, job.import_id)
        if out["result"] is not None:
            out["result"]["ledger_cash_ore"] = job.cash_ore
    return out


@blp.route("/bank-imports/jobs/<int:job_id>")
class BankImportJob(MethodView):
    @blp.response(200, JobSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, job_id: int) -> Any:
        """An uploaded file's job: waiting, running with its progress, done with the import's
        result, or refused with every fault by file, line and field."""
        with get_engine(current_app).connect() as conn:
            found = _job(conn, job_id)
        if found is None:
            return api_error(404, "ImportJobNotFound", f"no bank import job {job_id}", field="id")
        return found


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
