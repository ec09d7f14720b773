"""The Flask extensions Kassan's web side uses, made once here and attached in ``create_app``.

flask-smorest's ``Api`` is the exception: it keeps one OpenAPI document per instance, so the
factory makes one per app (see ``kassan.web.api``).
"""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# No default limits: only the login form is limited (kassan.web.login_throttle). The store and
# strategy come from the app's RATELIMIT_* config in init_app.
limiter = Limiter(get_remote_address)
