"""Staff sign-in for the pages: Flask-Login sessions, argon2 passwords, roles.

The JSON API does not use these sessions; it takes bearer tokens (``kassan.web.api.auth``),
which is also why it may be exempt from CSRF checks and the pages may not.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from kassan.web import login_throttle
from kassan.web.database import get_engine
from kassan.web.extensions import login_manager
from ledger.services import users

bp = Blueprint("auth", __name__)

HOME_ENDPOINT = "pages.ledger"

login_manager.login_view = "auth.login"
login_manager.login_message = "Logga in för att se sidan."
login_manager.login_message_category = "info"
login_manager.localize_callback = _


class StaffUser(UserMixin):
    """A signed-in staff member, as Flask-Login wants one: the id Flask-Login keeps in the
    cookie is the server-side session's token, so ending that session signs the cookie out."""

    def __init__(self, user: users.User, session_token: str) -> None:
        self.user = user
        self.id = user.id
        self.session_token = session_token

    def get_id(self) -> str:
        return self.session_token

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def is_active(self) -> bool:
        return self.user.active


@login_manager.user_loader
def _load_user(session_token: str) -> StaffUser | None:
    # Read on every request, so a logout, a deactivation or a new password signs out at once.
    with get_engine(current_app).connect() as conn:
        user = users.user_for_session(conn, session_token)
    return StaffUser(user, session_token) if user is not None else None


F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: str) -> Callable[[F], F]:
    """Let a page through only for a signed-in user with one of ``roles``; others get 403."""
    unknown = set(roles) - set(users.ROLES)
    if not roles or unknown:
        raise ValueError(f"role_required needs roles from {users.ROLES}, got {roles}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


class LoginForm(FlaskForm):
    email = StringField(
        _l("E-post"),
        validators=[DataRequired(_l("Fyll i din e-postadress.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Lösenord"),
        validators=[DataRequired(_l("Fyll i ditt lösenord.")), Length(max=1024)],
    )
    submit = SubmitField(_l("Logga in"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: one leading ``/``, never ``//`` (after the browser has dropped
    tabs and line breaks), no backslash, scheme or host. Anything else goes home instead."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not parts.path.startswith("//"):
            return target
    return url_for(HOME_ENDPOINT)


@bp.route("/login", methods=["GET", "POST"])
@login_throttle.throttled
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for(HOME_ENDPOINT))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        with get_engine(current_app).begin() as conn:
            user = users.authenticate(conn, form.email.data or "", form.password.data or "")
            token = users.start_session(conn, user) if user is not None else None
        if user is not None and token is not None:
            session.clear()  # a fresh session for the signed-in user
            login_user(StaffUser(user, token))
            return redirect(_safe_next(request.args.get("next")))
        login_throttle.mark_failed()
        # The same words whether the e-mail or the password was wrong.
        error = _("Fel e-postadress eller lösenord.")
    return render_template("login.html", form=form, error=error)


@bp.errorhandler(RateLimitExceeded)
def too_many_tries(exc: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    """The login page again, saying how long to wait; the right password is refused as well."""
    message, seconds = login_throttle.refusal(exc)
    page = render_template("login.html", form=LoginForm(), error=message)
    return page, 429, {"Retry-After": str(seconds)}


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated:
        with get_engine(current_app).begin() as conn:
            users.end_session(conn, current_user.session_token)
    logout_user()
    session.clear()
    flash(_("Du är utloggad."), "info")
    return redirect(url_for("auth.login"))
