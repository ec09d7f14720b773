"""``/finance/autogiro``: the Autogiro mandate register (status, next debit, last result), the
files to and from Bankgirot, and a month's debits expected, approved and failed. It only reads
(``reports.autogiro``); the files themselves are made and read by ``kassan autogiro`` and
``kassan import``, and a report from Bankgirot uploaded at ``/finance/imports`` is imported
here at once (``imported``), the same way."""

from __future__ import annotations

from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request

from kassan import autogiro_reports
from kassan.web.auth import role_required
from kassan.web.database import get_engine
from ledger.banking_days import debit_date
from reports import autogiro

bp = Blueprint("autogiro_desk", __name__, url_prefix="/finance/autogiro")


@bp.get("")
@role_required("finance", "admin")
def register() -> str:
    month = request.args.get("month") or datetime.now(ZoneInfo("Europe/Stockholm")).strftime(
        "%Y-%m"
    )
    day = int(current_app.config.get("AUTOGIRO_DEBIT_DAY") or 28)
    try:
        debit_date(month, day)
    except ValueError:
        abort(400)
    with get_engine(current_app).connect() as conn:
        figures = autogiro.desk(conn, month, day)
    return render_template("finance/autogiro.html", desk=figures, month=month)


def imported(stream: IO[bytes], filename: str) -> tuple[str, int]:
    """Import an uploaded Autogiro report and show what it did (the finance desk's upload
    calls this for a file whose first record is Autogiro's); 200 when the file and the books
    agree, 422 when not (what could be booked is booked, as with ``kassan import``)."""
    result = autogiro_reports.import_report(
        get_engine(current_app), current_app.config, stream, filename
    )
    page = render_template(
        "finance/autogiro_import.html", result=result, lines=autogiro_reports.render(result)
    )
    return page, 200 if result.ok else 422
