"""The JSON API under ``/api/v1`` (flask-smorest), with its OpenAPI document at
``/api/v1/openapi.json``. Clients authenticate with bearer tokens, never with the staff
session cookie, so the API blueprints are exempt from CSRF checks."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from kassan.web.api import (
    allocations,
    bank_imports,
    books,
    collections,
    contributors,
    entries,
    funding_gap,
    invoices,
    networks,
    pledges,
)
from kassan.web.api.schemas import ErrorSchema
from kassan.web.extensions import csrf

CONFIG: dict[str, Any] = {
    "API_TITLE": "Kassan",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Kassan's double-entry ledger. Amounts are integers in öre. Send "
                "`Authorization: Bearer <token>` (`kassan tokens create EMAIL`); any staff "
                "role may read, writing needs finance or admin. Errors always have the shape "
                '`{"error": {"status", "code", "message", "field", "fields"}}`. A 503 with '
                "`Retry-After` (code `DatabaseBusy`) is a database fault of the moment (a lock "
                "not had in time, a lost connection): nothing was saved; send the same request "
                "again after that many seconds."
            )
        },
        "security": [{"bearerAuth": []}],
    },
}

BLUEPRINTS = (
    entries.blp,
    books.blp,
    bank_imports.blp,
    collections.blp,
    contributors.blp,
    networks.blp,
    invoices.blp,
    pledges.blp,
    funding_gap.blp,
    allocations.blp,
)


class KassanApi(Api):
    """flask-smorest's Api, without its own error handler: ``kassan.web.errors`` maps all."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass


def init_api(app: Flask) -> KassanApi:
    # One Api per app: it holds that app's OpenAPI document.
    api = KassanApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "a Kassan API token"}
    )
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
        csrf.exempt(blp)
    app.extensions["kassan.api"] = api
    return api
