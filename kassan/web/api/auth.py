"""Bearer tokens for the JSON API: ``Authorization: Bearer <token>``.

Any active staff user's token may read; writing (any method but GET, HEAD, OPTIONS) needs
the finance or admin role. Endpoints that answer with personal data (contributors, collections'
contacts, invoices' recipients, pledges' givers) need finance or admin to read as well, as the
staff pages for them do: leadership sees totals, never people. The user is kept in
``flask.g.api_user`` for the request.
"""

from __future__ import annotations

from flask import current_app, g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from kassan.web.database import get_engine
from ledger.services import users

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PERSONAL_DATA_ROLES = frozenset({"finance", "admin"})
_MAX_TOKEN = 200


def _unauthorized(message: str) -> Unauthorized:
    return Unauthorized(message, www_authenticate=WWWAuthenticate("bearer", {"realm": "kassan"}))


def require_token() -> None:
    """``before_request`` of every API blueprint."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("an API token is needed: Authorization: Bearer <token>")
    user = None
    if len(token) <= _MAX_TOKEN:
        with get_engine(current_app).connect() as conn:
            user = users.user_for_token(conn, token)
    if user is None:
        raise _unauthorized("the API token is unknown or revoked")
    if request.method not in READ_METHODS and not user.can_write():
        raise Forbidden("writing needs the finance or admin role")
    g.api_user = user


def require_personal_data_token() -> None:
    """``before_request`` of the blueprints that answer with people's names and addresses."""
    require_token()
    if g.api_user.role not in PERSONAL_DATA_ROLES:
        raise Forbidden("personal data needs the finance or admin role")


def current_api_user() -> users.User:
    user: users.User = g.api_user
    return user
