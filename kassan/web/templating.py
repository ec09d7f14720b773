"""What the page templates get besides their own data: money in Swedish, role and status names."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ledger.money import Money
from ledger.statuses import CollectionStatus
from reports.display import format_money

ROLE_NAMES = {
    "admin": _l("administratör"),
    "finance": _l("ekonomi"),
    "leadership": _l("ledning"),
}


def money(ore: int, currency: str = "SEK") -> str:
    """``123450`` öre as ``1 234,50 kr`` (Babel's no-break spaces) in the request's locale."""
    return format_money(Money(ore, currency), locale=str(get_locale() or "sv_SE"))


# Stored statuses are English words (ledger.statuses); people read these.
COLLECTION_STATUS_NAMES = {
    CollectionStatus.PENDING: _l("väntar på granskning"),
    CollectionStatus.CHANGES: _l("ändringar begärda"),
    CollectionStatus.REFUSED: _l("avslagen"),
    CollectionStatus.ACTIVE: _l("pågår"),
    CollectionStatus.CLOSED: _l("avslutad"),
}


def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


def collection_status(status: str) -> str:
    return str(COLLECTION_STATUS_NAMES.get(CollectionStatus(status), status))


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(role_name, "role_name")
    app.add_template_filter(collection_status, "collection_status")
