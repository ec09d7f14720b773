"""What the page templates get besides their own data: money in Swedish, role and status names."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from jinja2 import FileSystemBytecodeCache

from ledger.money import Money
from ledger.statuses import CollectionStatus, DebitStatus, MandateStatus
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


MANDATE_STATUS_NAMES = {
    MandateStatus.NEW: _l("ny, inte skickad"),
    MandateStatus.SENT: _l("skickad till Bankgirot"),
    MandateStatus.ACTIVE: _l("godkänd"),
    MandateStatus.REFUSED: _l("avvisad"),
    MandateStatus.CANCELLED: _l("makulerad"),
}

DEBIT_STATUS_NAMES = {
    DebitStatus.ORDERED: _l("beställd"),
    DebitStatus.APPROVED: _l("dragen"),
    DebitStatus.FAILED: _l("misslyckad"),
    DebitStatus.RENEWED: _l("förnyas"),
    DebitStatus.REJECTED: _l("avvisad"),
    DebitStatus.REFUNDED: _l("återbetald"),
}


def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


def collection_status(status: str) -> str:
    return str(COLLECTION_STATUS_NAMES.get(CollectionStatus(status), status))


def mandate_status(status: str) -> str:
    return str(MANDATE_STATUS_NAMES.get(MandateStatus(status), status))


def debit_status(status: str) -> str:
    return str(DEBIT_STATUS_NAMES.get(DebitStatus(status), status))


def init_app(app: Flask) -> None:
    # Compiled templates are kept on disk (Jinja's bytecode cache; a template whose source
    # changed is compiled again), so a new server process loads a page's template instead of
    # parsing and compiling it on its first request: about half of a first dashboard view.
    cache = Path(app.instance_path) / "template-cache"
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(cache))
    app.add_template_filter(money, "money")
    app.add_template_filter(role_name, "role_name")
    app.add_template_filter(collection_status, "collection_status")
    app.add_template_filter(mandate_status, "mandate_status")
    app.add_template_filter(debit_status, "debit_status")
