"""``/api/v1/entries``: book, read, list and reverse journal entries.

Each view parses with a schema, calls one ledger service in one transaction (writes) or on one
connection (reads), and returns plain data for the response schema; errors are mapped in
``kassan.web.errors``. Posted entries are never changed, so PUT, PATCH and DELETE answer 405.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from kassan.web.api import paging
from kassan.web.api.auth import current_api_user, require_token
from kassan.web.api.schemas import (
    EntryPageSchema,
    EntryQuerySchema,
    EntrySchema,
    NewEntrySchema,
    ReversalSchema,
)
from kassan.web.database import get_engine
from ledger.entries import Draft, PostedEntry
from ledger.errors import EntryNotFound, UnknownDimension
from ledger.services import expected, journal, posting

blp = Blueprint(
    "entries", __name__, url_prefix="/api/v1", description="Journal entries (verifikationer)"
)
blp.before_request(require_token)


def entry_record(entry: PostedEntry, slugs: dict[int, str]) -> dict[str, Any]:
    """An entry for ``EntrySchema``: network ids become slugs, as the API takes them."""
    return {
        "id": entry.id,
        "series": entry.series,
        "number": entry.number,
        "voucher": entry.voucher,
        "fiscal_year": entry.fiscal_year,
        "date": entry.date,
        "text": entry.text,
        "source_kind": entry.source_kind,
        "source_key": entry.source_key,
        "reverses_id": entry.reverses_id,
        "reversed_by_id": entry.reversed_by_id,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "lines": [
            {
                "line_no": ln.line_no,
                "account": ln.account,
                "debit_ore": ln.debit_ore,
                "credit_ore": ln.credit_ore,
                "currency": ln.currency,
                "network": slugs.get(ln.network_id) if ln.network_id is not None else None,
                "contributor": ln.contributor_id,
            }
            for ln in entry.lines
        ],
    }


@blp.route("/entries")
class Entries(MethodView):
    @blp.arguments(EntryQuerySchema, location="query")
    @blp.response(200, EntryPageSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """A page of entries, newest first, with optional filters."""
        page = paging.requested(args)
        with get_engine(current_app).connect() as conn:
            network_id = None
            if args["network"] is not None:
                network_id = journal.network_id(conn, args["network"])
                if network_id is None:
                    raise UnknownDimension(f"no network {args['network']!r}", "network")
            flt = journal.EntryFilter(
                date_from=args["date_from"],
                date_to=args["date_to"],
                account=args["account"],
                network_id=network_id,
                series=args["series"],
            )
            entries, total = journal.list_entries(conn, flt, limit=page.size, offset=page.offset)
            slugs = journal.network_slugs(conn)
        return page.body([entry_record(e, slugs) for e in entries], total)

    @blp.arguments(NewEntrySchema)
    @blp.response(201, EntrySchema, description="booked")
    @blp.alt_response(
        200, schema=EntrySchema, description="already booked with this source_key", success=True
    )
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT", description="the period is closed")
    def post(self, draft: Draft) -> tuple[dict[str, Any], int]:
        """Book an entry. Unbalanced or invalid entries get 422 and nothing is stored."""
        engine = get_engine(current_app)
        # A transaction of its own: booked together with concurrent posts (group commit).
        entry, booked = posting.submit(engine, draft, created_by=current_api_user().id)
        if booked:
            # Committed: nothing after this may fail the request, or a retry would book it
            # again. Its lines are the draft's, in order, so their networks are the draft's.
            slugs = {
                posted.network_id: line.network
                for posted, line in zip(entry.lines, draft.lines, strict=True)
                if posted.network_id is not None and line.network is not None
            }
        else:  # booked before under this source key: a failed read here is safe to retry
            with engine.connect() as conn:
                slugs = journal.network_slugs(conn)
        return entry_record(entry, slugs), 201 if booked else 200


@blp.route("/entries/<int:entry_id>")
class EntryById(MethodView):
    @blp.response(200, EntrySchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, entry_id: int) -> dict[str, Any]:
        """One entry with its lines."""
        with get_engine(current_app).connect() as conn:
            entry = journal.get_entry(conn, entry_id)
            if entry is None:
                raise EntryNotFound(f"no entry {entry_id}", "id")
            slugs = journal.network_slugs(conn)
        return entry_record(entry, slugs)


@blp.route("/entries/<int:entry_id>/reverse")
class EntryReversal(MethodView):
    @blp.arguments(ReversalSchema, required=False)
    @blp.response(201, EntrySchema, description="the reversing entry")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="already reversed")
    def post(self, args: dict[str, Any], entry_id: int) -> tuple[dict[str, Any], int]:
        """Book the mirror of an entry (a correction); an entry is reversed at most once."""
        with get_engine(current_app).begin() as conn:
            entry = posting.reverse(
                conn,
                entry_id,
                on=args["date"],
                text_=args["text"],
                created_by=current_api_user().id,
            )
            # what the reversed entry paid on an expected payment no longer counts
            expected.reverse_receipts_of(conn, entry_id, reversal_entry_id=entry.id)
            slugs = journal.network_slugs(conn)
        return entry_record(entry, slugs), 201
