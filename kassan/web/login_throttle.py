"""Login throttling: failed sign-ins are counted per account (the e-mail typed) and per client
address with Flask-Limiter, and a POST to /login over either limit is refused with 429 and
``Retry-After`` before the form is read further, so a throttled try never reaches argon2
(~0.4 s of CPU each) and the right password is refused too until the lockout ends.

Only failed tries count (``deduct_when``): Flask-Limiter tests such a limit before the view
and adds the hit after it, when the view has marked the try as failed. The store is
``RATELIMIT_STORAGE_URI`` (memory by default; Redis in production, docs/deployment.md).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from kassan.web.extensions import limiter
from ledger.errors import ConfigError

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_FAILED = "kassan_login_failed"


def init_app(app: Flask) -> None:
    """Attach the limiter; refuse to start on a limit that does not parse."""
    for name in ("LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_PER_ADDRESS"):
        try:
            parse_many(app.config[name])
        except ValueError as exc:
            raise ConfigError(f"{name} is not a rate limit such as '10 per 15 minutes'") from exc
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        # behind nginx every request comes from 127.0.0.1: the address limit needs the client's
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    limiter.init_app(app)


def login_email() -> str:
    """The account a sign-in is for, as the services compare it."""
    return (request.form.get("email") or "").strip().lower()


def _account_key() -> str:
    # a digest: the store holds no e-mail addresses, and a key's length stays fixed
    digest = hashlib.sha256(login_email().encode("utf-8", "replace")).hexdigest()
    return f"account:{digest}"


def _address_key() -> str:
    return f"address:{request.remote_addr or '-'}"


def _failed(response: Response) -> bool:
    return bool(g.get(_FAILED))


def mark_failed() -> None:
    """Count this try against the account and the address, and log it (never the password)."""
    g.setdefault(_FAILED, True)
    log.warning("failed sign-in for %r from %s", login_email(), request.remote_addr)


def throttled(view: F) -> F:
    """The login view's POST, limited per account and per client address."""
    limited: Callable[..., Any] = view
    for limit, key in (
        (lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], _account_key),
        (lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], _address_key),
    ):
        limited = limiter.limit(limit, key_func=key, methods=["POST"], deduct_when=_failed)(limited)
    return cast(F, limited)


def seconds_to_wait() -> int:
    """Until the last breached limit of this request lets a try through again."""
    now = time.time()
    waits = [
        # The window's own reset time, not ``reset_at``, which Flask-Limiter rounds up a whole
        # second; never longer than the limit's window, which is what the page promises.
        min(lim.window[0] - now, lim.limit.get_expiry())
        for lim in limiter.current_limits
        if lim.breached
    ]
    return max(1, math.ceil(max(waits, default=60)))


def refusal(exc: RateLimitExceeded) -> tuple[str, int]:
    """The Swedish words for a throttled sign-in; logs the refusal."""
    seconds = seconds_to_wait()
    log.warning(
        "sign-in throttled for %r from %s (%s)", login_email(), request.remote_addr, exc.limit
    )
    minutes = math.ceil(seconds / 60)
    message = ngettext(
        "För många inloggningsförsök. Försök igen om %(num)d minut.",
        "För många inloggningsförsök. Försök igen om %(num)d minuter.",
        minutes,
    )
    return message, seconds
