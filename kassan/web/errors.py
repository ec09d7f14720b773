"""The one place where errors become HTTP answers: JSON under ``/api/``, Swedish pages elsewhere.

Domain errors (``ledger.errors``, ``webhooks.errors``, ``reports.errors``) carry no HTTP status;
``STATUSES`` below gives each class its status, looked up along the class's ancestry so that a
subclass answers like its parent unless it is listed itself.

Every API error, whatever raised it (a marshmallow schema, a ``LedgerError`` from a service,
the router, the token check), has the same JSON shape::

    {"error": {"status": 422,
               "code": "UnbalancedEntry",          # LedgerError class, "ValidationError",
                                                    # or the HTTP error ("NotFound", ...)
               "message": "debits and credits differ by 100 öre in SEK",
               "field": "lines",                    # the first offending field, or null
               "fields": {"lines": ["debits and credits differ by 100 öre in SEK"]}}}

Field names are paths into the request: ``lines[1].debit_ore``, ``date``, ``page_size``.

A database fault of the moment (``transient``: a lock or statement timeout, a deadlock or
serialization failure, a lost connection, SQLite busy) answers 503 with ``Retry-After``
(``RETRY_AFTER_SECONDS``): the request's transaction was rolled back by the ``with`` block
that held it, so nothing was saved and the same request may simply be sent again (Stripe and
Swish do so on their own). Any other database error stays a 500.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from ledger.errors import (
    AllocationConflict,
    AlreadyReversed,
    BankAccountConflict,
    BankAccountNotFound,
    CollectionConflict,
    DimensionConflict,
    DimensionNotFound,
    DimensionRefused,
    EntryNotFound,
    FiscalYearNotOpen,
    IntegrityViolation,
    InvoiceNotFound,
    LedgerDamaged,
    LedgerError,
    PeriodClosed,
    PledgeNotFound,
    ReceiptConflict,
    UserRefused,
)
from ledger.services.posting.database_errors import transient
from reports.errors import SieExportRefused, SieImportInvalid
from webhooks.errors import (
    BankFileConflict,
    BankFileInvalid,
    NotYetBookable,
    SwishNotConfigured,
    SwishNotFound,
    SwishRefundRefused,
    SwishRequestConflict,
    SwishRequestNotFound,
    SwishUnavailable,
)

API_PREFIX = "/api/"
VALIDATION_CODE = "ValidationError"
DATABASE_BUSY_CODE = "DatabaseBusy"
RETRY_AFTER_SECONDS = 5  # when the config does not say (``ledger.config``)

# The services name dimensions by their column; the API calls them by the request's names.
_API_FIELD_NAMES = {"contributor_id": "contributor"}


# Every refusal not listed answers as its nearest listed ancestor; ``LedgerError`` itself is a
# request the rules refuse (422).
STATUSES: dict[type[LedgerError], int] = {
    LedgerError: 422,
    EntryNotFound: 404,
    PeriodClosed: 409,
    FiscalYearNotOpen: 409,
    AlreadyReversed: 409,
    BankAccountConflict: 409,
    BankAccountNotFound: 404,
    IntegrityViolation: 500,
    LedgerDamaged: 503,
    DimensionNotFound: 404,
    DimensionConflict: 409,
    PledgeNotFound: 404,
    InvoiceNotFound: 404,
    ReceiptConflict: 409,
    AllocationConflict: 409,
    CollectionConflict: 409,
    BankFileConflict: 409,
    SwishNotConfigured: 503,
    SwishUnavailable: 503,
    SwishNotFound: 404,
    SwishRequestNotFound: 404,
    SwishRequestConflict: 409,
    SwishRefundRefused: 409,
    NotYetBookable: 409,
}

# API clients read ``code``: classes renamed when the errors were gathered into one module per
# package keep the code the API published before.
_PUBLISHED_CODES: dict[type[LedgerError], str] = {
    UserRefused: "UserError",
    DimensionRefused: "DimensionError",
    DimensionConflict: "DuplicateDimension",
    CollectionConflict: "CollectionState",
    BankFileInvalid: "BankFileError",
    BankFileConflict: "DuplicateImport",
    SwishRequestNotFound: "UnknownRequest",
    SwishRequestConflict: "Mismatch",
    SwishRefundRefused: "RefundRefused",
    SieExportRefused: "SieExportError",
    SieImportInvalid: "SieImportError",
}


def status_of(exc: LedgerError) -> int:
    """The HTTP status that answers ``exc``: its own class's, or its nearest listed ancestor's."""
    for cls in type(exc).__mro__:
        if cls in STATUSES:
            return STATUSES[cls]
    return STATUSES[LedgerError]


def code_of(exc: LedgerError) -> str:
    """The error's ``code`` in API answers: its class name, or the name the API published."""
    return _PUBLISHED_CODES.get(type(exc), type(exc).__name__)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(LedgerError, _handle_ledger_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(DBAPIError, _handle_database_error)


def is_api_request() -> bool:
    return request.path.startswith((API_PREFIX, "/webhooks/"))


def api_error(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON error response in the one documented shape."""
    if fields is None:
        fields = {field: [message]} if field else {}
    if field is None and fields:
        field = next(iter(fields))
    response = jsonify(
        error={"status": status, "code": code, "message": message, "field": field, "fields": fields}
    )
    response.status_code = status
    response.headers.update(headers or {})
    return response


def flatten_messages(messages: Any, path: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{"lines[0].debit_ore": [...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                sub = path
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            for name, texts in flatten_messages(value, sub).items():
                out.setdefault(name, []).extend(texts)
    elif isinstance(messages, list | tuple):
        for item in messages:
            if isinstance(item, dict | list | tuple):
                for name, texts in flatten_messages(item, path).items():
                    out.setdefault(name, []).extend(texts)
            else:
                out.setdefault(path, []).append(str(item))
    else:
        out.setdefault(path, []).append(str(messages))
    return out


def _api_field(field: str | None) -> str | None:
    if field is None:
        return None
    head, dot, last = field.rpartition(".")
    return f"{head}{dot}{_API_FIELD_NAMES.get(last, last)}"


def _handle_ledger_error(exc: LedgerError) -> Response | tuple[str, int]:
    if isinstance(exc, IntegrityViolation):
        # Python's checks let something through that the database refused: a bug to look at.
        current_app.logger.error(
            "integrity violation on %s %s: %s", request.method, request.path, exc
        )
    status = status_of(exc)
    if is_api_request():
        return api_error(status, code_of(exc), exc.message, field=_api_field(exc.field))
    return _page(status, exc.message if status < 500 else None)


def _handle_database_error(exc: DBAPIError) -> Response | tuple[str, int, dict[str, str]]:
    if not transient(exc):
        # Not a fault of the moment (a broken query, a constraint no check foresaw): Flask's
        # own handling logs it with its traceback and answers 500, as for any other bug.
        raise exc
    current_app.logger.warning(
        "database fault of the moment on %s %s, answered 503: %s",
        request.method,
        request.path,
        exc.orig if exc.orig is not None else exc,
        exc_info=exc,
    )
    seconds = int(current_app.config.get("RETRY_AFTER_SECONDS", RETRY_AFTER_SECONDS))
    headers = {"Retry-After": str(seconds)}
    if is_api_request():
        message = (
            "the database could not answer in time (a lock held by another transaction, or "
            f"the connection lost); nothing was saved: send the request again in {seconds} s"
        )
        return api_error(503, DATABASE_BUSY_CODE, message, headers=headers)
    page, status = _page(
        503,
        _("Databasen kunde inte svara just nu. Ingenting har sparats. Försök igen om en stund."),
        title=_("Tillfälligt otillgänglig"),
    )
    return page, status, headers


def _handle_http_exception(exc: HTTPException) -> Response | HTTPException | tuple[str, int]:
    status = exc.code
    if status is None or status < 400:
        return exc
    if is_api_request():
        return _api_http_error(exc, status)
    if isinstance(exc, CSRFError):
        return _page(
            status,
            _(
                "Formuläret saknar giltig säkerhetstoken eller har gått ut. "
                "Ladda om sidan och försök igen."
            ),
        )
    # a refusal of our own (kassan.web.input_guard) says in Swedish what was wrong
    return _page(status, getattr(exc, "detail", None))


def _api_http_error(exc: HTTPException, status: int) -> Response:
    headers = {
        name: value
        for name, value in exc.get_headers()
        if name.lower() in ("allow", "www-authenticate", "retry-after")
    }
    data = getattr(exc, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if messages:
        # webargs nests the messages under the request part: {"json": {...}}, {"query": {...}}
        fields: dict[str, list[str]] = {}
        for location, inner in messages.items():
            root = "" if isinstance(inner, dict) else str(location)
            for name, texts in flatten_messages(inner, root).items():
                fields.setdefault(name, []).extend(texts)
        code = VALIDATION_CODE if status == 422 else type(exc).__name__
        first = next(iter(fields), None)
        message = data.get("message") or (
            f"{first}: {fields[first][0]}" if first else "the request is invalid"
        )
        return api_error(status, code, message, fields=fields, headers=headers)
    message = data.get("message") or exc.description or HTTPStatus(status).phrase
    return api_error(status, type(exc).__name__, message, headers=headers)


_PAGE_TITLES = {
    400: _l("Felaktig begäran"),
    401: _l("Inloggning krävs"),
    403: _l("Åtkomst nekad"),
    404: _l("Sidan finns inte"),
    405: _l("Metoden stöds inte"),
    409: _l("Konflikt"),
    413: _l("För stor begäran"),
    422: _l("Uppgifterna kunde inte tas emot"),
}


def _page(status: int, detail: str | None = None, *, title: str | None = None) -> tuple[str, int]:
    title = title or _PAGE_TITLES.get(status) or _("Något gick fel")
    return render_template("error.html", status=status, title=str(title), detail=detail), status
