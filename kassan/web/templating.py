"""What the page templates get besides their own data: money in Swedish, role names."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ledger.money import Money
from reports.display import format_money

ROLE_NAMES = {
    "admin": _l("administratör"),
    "finance": _l("ekonomi"),
    "leadership": _l("ledning"),
}


def money(ore: int, currency: str = "SEK") -> str:
    """``123450`` öre as ``1 234,50 kr`` (Babel's no-break spaces) in the request's locale."""
    return format_money(Money(ore, currency), locale=str(get_locale() or "sv_SE"))


def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(role_name, "role_name")
