"""The Flask app factory. ``create_app`` does no I/O: the engine connects on first use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request

from kassan.web import (
    admin,
    appliers,
    auth,
    autogiro_desk,
    collections,
    csp,
    dashboard,
    donate,
    donor_documents,
    errors,
    finance,
    input_guard,
    invoices,
    login_throttle,
    pages,
    stripe_webhook,
    swish_recurring,
    templating,
)
from kassan.web import swish as swish_views
from kassan.web.api import CONFIG as API_CONFIG
from kassan.web.api import init_api
from kassan.web.database import ENGINE_KEY, get_engine
from kassan.web.extensions import babel, csrf, login_manager
from ledger.config import from_environment
from ledger.db.engine import make_engine
from ledger.errors import ConfigError
from ledger.services.collections import IMAGE_MAX_BYTES

__all__ = ["create_app", "get_engine"]

WEB_DEFAULTS: dict[str, Any] = {
    **API_CONFIG,
    "BABEL_DEFAULT_LOCALE": "sv_SE",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "WTF_CSRF_ENABLED": True,
}

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The Kassan app; raises ``ConfigError`` when the environment cannot run it."""
    instance = os.environ.get("KASSAN_INSTANCE_PATH") or str(Path.cwd() / "instance")
    app = Flask(__name__, instance_path=instance)
    app.config.update(from_environment(app.instance_path))
    app.config.update(WEB_DEFAULTS)
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY must not be empty")
    app.extensions[ENGINE_KEY] = make_engine(app.config["DATABASE_URL"])

    app.before_request(_bank_file_limit)  # before anything reads the body
    input_guard.init_app(app)  # the int converter, before any route is added
    login_throttle.init_app(app)  # after the input guard: it reads the login form
    babel.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    templating.init_app(app)
    errors.register_error_handlers(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(finance.bp)
    app.register_blueprint(autogiro_desk.bp)
    app.register_blueprint(invoices.bp)
    app.register_blueprint(donor_documents.bp)
    app.register_blueprint(csrf.exempt(stripe_webhook.bp))
    app.register_blueprint(swish_views.bp)
    csrf.exempt(swish_views.receive)  # only the callback: Swish posts JSON without a token
    app.register_blueprint(swish_recurring.bp)
    csrf.exempt(swish_recurring.receive_consent)  # Swish's callbacks, as above
    csrf.exempt(swish_recurring.receive_payment)
    app.register_blueprint(donate.bp)
    app.register_blueprint(collections.bp)
    init_api(app)
    app.after_request(_security_headers)
    appliers.start_with_app(app)
    return app


# Where a bank file is uploaded: the API and the finance desk's form; a collection's image: its
# start form. Everything else keeps MAX_CONTENT_LENGTH (1 MiB).
# Werkzeug spools file parts to disk, so the limit is not memory.
BANK_FILE_UPLOADS = frozenset({"/api/v1/bank-imports", "/finance/imports"})
# The image's own limit (stated on the form) plus room for the form's other fields: an image
# within the stated limit is never refused by the request's size.
IMAGE_FORM_MAX_BYTES = IMAGE_MAX_BYTES + 256 * 1024


def _bank_file_limit() -> None:
    if request.method != "POST":
        return
    if request.path in BANK_FILE_UPLOADS:
        request.max_content_length = current_app.config["BANK_FILE_MAX_BYTES"]
    elif request.path == "/insamling/ny":
        request.max_content_length = IMAGE_FORM_MAX_BYTES


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", csp.policy())
    if response.mimetype in ("text/html", "application/json"):
        # Ledger pages and API answers hold people's gifts: keep them out of shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    if current_app.config["KASSAN_ENV"] == "production":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
