"""The finance desk, ``/finance``: the queue of bank lines waiting in suspense, one line with
its suggestions, search, split and return, and the bank imports with their totals.

Views only parse the form, call one service in one transaction and say what happened; the
bookings are ``ledger.services.reconcile``'s, the reads ``ledger.services.suspense``'s and
``reports.bank_reconciliation``'s. Every form carries a fresh token so a double submit books
nothing twice. Refusals come back on the same page, in Swedish, with nothing booked.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from kassan import autogiro_reports
from kassan.web import appliers, autogiro_desk
from kassan.web.auth import role_required
from kassan.web.database import get_engine
from ledger.errors import DeskRefused, LedgerError
from ledger.money import Money, parse_amount
from ledger.services import dimensions, expected, reconcile, suspense
from ledger.statuses import ImportJobStatus
from reports import bank_reconciliation
from reports.display import format_money
from webhooks.bankfiles import jobs, uploads
from webhooks.bankfiles import result as import_result
from webhooks.swish import charge_results as swish_charges

bp = Blueprint("finance", __name__, url_prefix="/finance")

ROLES = ("finance", "admin")
SPLIT_ROWS = 4

Page = tuple[str, int]  # a rendered page and its status: 422 when it shows a refusal


def _token() -> str:
    return secrets.token_hex(16)


def _user_id() -> int | None:
    return int(current_user.id) if current_user.is_authenticated else None


def _amount(raw: str | None, field: str, label: str) -> int:
    text_ = (raw or "").strip()
    if not text_:
        raise DeskRefused(_("%(label)s: fyll i ett belopp.", label=label), field)
    try:
        money = parse_amount(text_)
    except ValueError:
        raise DeskRefused(
            _("%(label)s: '%(text)s' är inte ett belopp.", label=label, text=text_), field
        ) from None
    return money.ore


def _target(raw: str | None, contributor: str | None = None) -> reconcile.Target:
    """``expected:12``, ``network:3`` or ``network:0`` (unrestricted) from a form."""
    kind, _sep, ident = (raw or "").partition(":")
    who = int(contributor) if contributor and contributor.isdigit() else None
    if kind == "expected" and ident.isdigit():
        return reconcile.Target("expected", expected_payment_id=int(ident), contributor_id=who)
    if kind == "network" and ident.isdigit():
        network_id = int(ident) or None
        return reconcile.Target("network", network_id=network_id, contributor_id=who)
    raise DeskRefused(_("Välj vart pengarna ska."), "target")


def _done(allocations: list[reconcile.Allocation], line_id: int | None = None) -> Response:
    if allocations:
        total = sum(a.amount_ore for a in allocations)
        flash(
            _(
                "Kopplat %(amount)s i %(count)s verifikation(er).",
                amount=format_money(Money(total)),
                count=len(allocations),
            ),
            "info",
        )
    if line_id is not None:
        return redirect(url_for("finance.line", line_id=line_id))
    return redirect(url_for("finance.desk"))


@bp.get("")
@role_required(*ROLES)
def desk() -> Page:
    return _desk_page()


def _desk_page(error: LedgerError | None = None, upload_errors: Any = None) -> Page:
    with get_engine(current_app).connect() as conn:
        lines, count, open_total = suspense.queue(conn)
        rows = [(ln, suspense.suggestions(conn, ln, limit=1)) for ln in lines]
        networks = dimensions.list_networks(conn)
        ledger_2890 = suspense.suspense_balance(conn)
        out_lines = bank_reconciliation.open_outgoing(conn)
        conflicts = import_result.conflict_lines(conn)
        swish_failed = swish_charges.failed(conn)
    status = 200 if error is None and not upload_errors else 422
    return render_template(
        "finance/desk.html",
        rows=rows,
        count=count,
        open_total=open_total,
        ledger_2890=ledger_2890,
        out_lines=out_lines,
        conflicts=conflicts,
        swish_failed=swish_failed,
        networks=networks,
        new_token=_token,
        error=error,
        upload_errors=upload_errors,
        describe=suspense.describe,
    ), status


@bp.get("/lines/<int:line_id>")
@role_required(*ROLES)
def line(line_id: int) -> Page:
    return _line_page(line_id)


def _line_page(line_id: int, error: LedgerError | None = None) -> Page:
    q = request.args.get("q", "").strip()[:100]
    with get_engine(current_app).connect() as conn:
        found = suspense.get_line(conn, line_id)
        if found is None:
            abort(404)
        allocations = reconcile.allocations_for(conn, line_id)
        picks = suspense.suggestions(conn, found) if found.open_ore else []
        results = suspense.search_expected(conn, q) if q else []
        people = suspense.search_contributors(conn, q) if q else []
        networks = dimensions.list_networks(conn)
        references = {
            a.expected_payment_id: ep.reference
            for a in allocations
            if a.expected_payment_id is not None
            and (ep := expected.by_id(conn, a.expected_payment_id)) is not None
        }
    return render_template(
        "finance/line.html",
        line=found,
        allocations=allocations,
        references=references,
        suggestions=picks,
        q=q,
        results=results,
        people=people,
        networks=networks,
        split_rows=SPLIT_ROWS,
        new_token=_token,
        today=date.today().isoformat(),
        error=error,
        describe=suspense.describe,
    ), 200 if error is None else 422


def _run_on_line(line_id: int, action: Any) -> Response | Page:
    """Run one desk action in one transaction; a refusal re-renders the line with nothing
    booked (the transaction rolls back)."""
    try:
        with get_engine(current_app).begin() as conn:
            done = action(conn)
    except LedgerError as exc:
        return _line_page(line_id, error=exc)
    return _done(done, line_id)


@bp.post("/lines/<int:line_id>/allocate")
@role_required(*ROLES)
def allocate(line_id: int) -> Response | Page:
    form = request.form

    def action(conn: Any) -> list[reconcile.Allocation]:
        part = reconcile.Part(
            _target(form.get("target"), form.get("contributor_id")),
            _amount(form.get("amount"), "amount", _("Belopp")),
        )
        return reconcile.allocate(
            conn,
            line_id,
            [part],
            token=form.get("token", ""),
            user_id=_user_id(),
            mail_config=current_app.config,
        )

    return _run_on_line(line_id, action)


@bp.post("/lines/<int:line_id>/split")
@role_required(*ROLES)
def split(line_id: int) -> Response | Page:
    form = request.form

    def action(conn: Any) -> list[reconcile.Allocation]:
        parts = []
        for i in range(1, SPLIT_ROWS + 1):
            raw_target, raw_amount = form.get(f"target_{i}", ""), form.get(f"amount_{i}", "")
            if not raw_target and not raw_amount.strip():
                continue
            label = _("Rad %(n)s, belopp", n=i)
            amount = _amount(raw_amount, f"amount_{i}", label)
            try:
                target = _target(raw_target, form.get(f"contributor_{i}"))
            except DeskRefused:
                raise DeskRefused(
                    _("Rad %(n)s: välj vart pengarna ska.", n=i), f"target_{i}"
                ) from None
            parts.append(reconcile.Part(target, amount))
        return reconcile.allocate(
            conn,
            line_id,
            parts,
            token=form.get("token", ""),
            user_id=_user_id(),
            mail_config=current_app.config,
        )

    return _run_on_line(line_id, action)


@bp.post("/lines/<int:line_id>/return")
@role_required(*ROLES)
def send_back(line_id: int) -> Response | Page:
    form = request.form

    def action(conn: Any) -> list[reconcile.Allocation]:
        amount = _amount(form.get("amount"), "amount", _("Belopp"))
        try:
            day = date.fromisoformat(form.get("on", ""))
        except ValueError:
            raise DeskRefused(
                _("Datum: skriv datumet då pengarna skickades tillbaka (ÅÅÅÅ-MM-DD)."), "on"
            ) from None
        return reconcile.allocate(
            conn,
            line_id,
            [reconcile.Part(reconcile.Target("returned"), amount)],
            token=form.get("token", ""),
            user_id=_user_id(),
            on=day,
            note=form.get("note"),
        )

    return _run_on_line(line_id, action)


@bp.post("/allocations/<int:allocation_id>/undo")
@role_required(*ROLES)
def undo(allocation_id: int) -> Response | Page:
    line_id = int(request.form.get("line_id", "0") or 0)
    try:
        with get_engine(current_app).begin() as conn:
            done = reconcile.undo(conn, allocation_id, user_id=_user_id())
    except LedgerError as exc:
        if line_id:
            return _line_page(line_id, error=exc)
        raise
    flash(
        _(
            "Kopplingen är återförd; %(amount)s väntar igen.",
            amount=format_money(Money(done.amount_ore)),
        ),
        "info",
    )
    return redirect(url_for("finance.line", line_id=done.line_id))


@bp.post("/lines/allocate")
@role_required(*ROLES)
def allocate_many() -> Response | Page:
    form = request.form
    try:
        with get_engine(current_app).begin() as conn:
            ids = [int(v) for v in form.getlist("line_id") if v.isdigit()]
            reference = form.get("reference", "").strip()
            if reference:
                ep = expected.by_reference(conn, reference)
                if ep is None:
                    raise DeskRefused(
                        _("Referens: %(ref)s är ingen känd OCR-referens.", ref=reference),
                        "reference",
                    )
                target = reconcile.Target("expected", expected_payment_id=ep.id)
            else:
                target = _target(form.get("target"))
            done = reconcile.allocate_lines(
                conn,
                ids,
                target,
                token=form.get("token", ""),
                user_id=_user_id(),
                mail_config=current_app.config,
            )
    except LedgerError as exc:
        return _desk_page(error=exc)
    return _done(done)


@bp.get("/imports")
@role_required(*ROLES)
def imports() -> str:
    with get_engine(current_app).connect() as conn:
        found = bank_reconciliation.list_imports(conn)
        reading = jobs.unfinished(conn)
    return render_template("finance/imports.html", imports=found, reading=reading)


@bp.post("/imports")
@role_required(*ROLES)
def upload() -> Response | Page:
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _desk_page(error=DeskRefused(_("Fil: välj en bankfil."), "file"))
    try:
        if autogiro_reports.is_autogiro(sent.stream):  # imported at once, as kassan import does
            return autogiro_desk.imported(sent.stream, sent.filename)
        job_id = uploads.enqueue(
            get_engine(current_app), sent.stream, sent.filename, user_id=_user_id()
        )
    except LedgerError as exc:
        return _desk_page(error=exc)
    appliers.wake_import_worker(current_app._get_current_object())  # type: ignore[attr-defined]
    return redirect(url_for("finance.import_job", job_id=job_id))


@bp.get("/imports/jobs/<int:job_id>")
@role_required(*ROLES)
def import_job(job_id: int) -> Response | Page:
    """An upload's progress: the page reloads itself (a meta refresh: no script) until the
    worker is done, then leads to the import, or lists why the file was refused."""
    with get_engine(current_app).connect() as conn:
        job = jobs.read(conn, job_id)
    if job is None:
        abort(404)
    if job.status == ImportJobStatus.DONE and job.import_id is not None:
        with get_engine(current_app).connect() as conn:
            result = import_result.load(conn, job.import_id)
        if result is not None and not result.ok:
            flash(
                _(
                    "Filen %(name)s är inläst, men filen och bokföringen stämmer inte: "
                    "se kontrollen nedan.",
                    name=job.filename,
                ),
                "error",
            )
        else:
            flash(_("Filen %(name)s är inläst.", name=job.filename), "info")
        return redirect(url_for("finance.import_page", import_id=job.import_id))
    return render_template("finance/import_job.html", job=job, Status=ImportJobStatus), 200


@bp.get("/imports/<int:import_id>")
@role_required(*ROLES)
def import_page(import_id: int) -> str:
    with get_engine(current_app).connect() as conn:
        report = bank_reconciliation.import_report(conn, import_id)
        result = import_result.load(conn, import_id)
    if report is None or result is None:
        abort(404)
    return render_template("finance/import.html", report=report, result=result)
