"""Staff pages: ``/ledger``, the journal and the trial balance (``/`` is the donors' page, see
``kassan.web.donate``). Pages only read here; every write goes through a ledger service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from math import ceil
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from kassan.web.auth import role_required
from kassan.web.database import get_engine
from ledger.entries import PostedEntry
from ledger.services import journal
from ledger.services.contributors import CONTRIBUTOR_KINDS
from ledger.services.users import ROLES
from reports.display import swedish_key
from reports.trial_balance import trial_balance

bp = Blueprint("pages", __name__)

PAGE_SIZE = 25


class LedgerArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=9999))
    # The dashboard's drill-down: the entries behind a figure (fiscal years are calendar years).
    network = fields.String(load_default=None, validate=validate.Length(min=1, max=60))
    account = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{4}$"))
    series = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{1,4}$"))
    kind = fields.String(load_default=None, validate=validate.OneOf(CONTRIBUTOR_KINDS))


@dataclass(frozen=True, slots=True)
class LineRow:
    account: str
    debit_ore: int
    credit_ore: int
    currency: str
    network: str | None


@dataclass(frozen=True, slots=True)
class EntryRow:
    """An entry as the page lists it: its amount is the sum of its debits, per currency."""

    voucher: str
    date: str
    text: str
    amounts: tuple[tuple[int, str], ...]
    networks: tuple[str, ...]
    reverses_id: int | None
    reversed_by_id: int | None
    lines: tuple[LineRow, ...]


def _row(entry: PostedEntry, names: dict[int, str]) -> EntryRow:
    totals: dict[str, int] = {}
    for ln in entry.lines:
        totals[ln.currency] = totals.get(ln.currency, 0) + ln.debit_ore
    lines = tuple(
        LineRow(
            ln.account,
            ln.debit_ore,
            ln.credit_ore,
            ln.currency,
            names.get(ln.network_id) if ln.network_id is not None else None,
        )
        for ln in entry.lines
    )
    return EntryRow(
        voucher=entry.voucher,
        date=entry.date.isoformat(),
        text=entry.text,
        amounts=tuple((ore, cur) for cur, ore in sorted(totals.items())),
        networks=tuple(sorted({ln.network for ln in lines if ln.network}, key=swedish_key)),
        reverses_id=entry.reverses_id,
        reversed_by_id=entry.reversed_by_id,
        lines=lines,
    )


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico before (or without) reading the page's icon link."""
    return send_from_directory(
        Path(current_app.root_path) / "static", "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )


@bp.get("/ledger")
@role_required(*ROLES)
def ledger() -> str:
    try:
        args = LedgerArgs().load(request.args)
    except ValidationError:
        abort(400)
    page: int = args["page"]
    year: int | None = args["year"]
    drill = {k: args[k] for k in ("network", "account", "series", "kind") if args[k]}
    with get_engine(current_app).connect() as conn:
        network_id = None
        if "network" in drill:
            network_id = journal.network_id(conn, drill["network"])
            if network_id is None:
                abort(404)
        flt = journal.EntryFilter(
            date_from=date(year, 1, 1) if year and drill else None,
            date_to=date(year, 12, 31) if year and drill else None,
            account=drill.get("account"),
            network_id=network_id,
            series=drill.get("series"),
            contributor_kind=drill.get("kind"),
        )
        entries, total = journal.list_entries(
            conn, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        names = journal.network_names(conn)
        report = trial_balance(conn, year)
        years = sorted(journal.fiscal_year_locks(conn), reverse=True)
    return render_template(
        "ledger.html",
        entries=[_row(e, names) for e in entries],
        page=page,
        pages=max(1, ceil(total / PAGE_SIZE)),
        total=total,
        report=report,
        year=year,
        years=years,
        drill=drill,
    )
