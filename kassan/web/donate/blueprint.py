"""The donor pages' blueprint and their language: Swedish by default, English with ``?lang=en``
(remembered in the session), and presets shown as a donor reads them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from flask import Blueprint, request, session, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import get_babel, get_locale

bp = Blueprint("donate", __name__)

LANGUAGES = ("sv", "en")


def _select_locale() -> str | None:
    lang = request.args.get("lang") or session.get("lang")
    return "en" if lang == "en" else None  # None: the default, Swedish


@bp.record_once
def _install_locale_selector(state: BlueprintSetupState) -> None:
    get_babel(state.app).locale_selector = _select_locale


@bp.before_request
def _remember_language() -> None:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang


def lang() -> str:
    """The page's language: en or sv."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "sv"


@bp.app_context_processor
def _language_switch() -> dict[str, Any]:
    def switch_url() -> str:
        other = "sv" if lang() == "en" else "en"
        values: dict[str, Any] = {k: v for k, v in request.args.items() if k != "lang"}
        values.update(request.view_args or {})
        values["lang"] = other
        return url_for(request.endpoint or "donate.index", **values)

    return {"lang": lang, "language_switch_url": switch_url, "whole_kronor": whole_kronor}


def whole_kronor(kronor: int) -> str:
    """A preset as a donor reads it: ``1 000 kr`` (``SEK 1,000`` in English), no öre."""
    pattern = "¤\u00a0#,##0" if lang() == "en" else "#,##0\u00a0¤"
    return format_currency(
        Decimal(kronor), "SEK", format=pattern, locale=str(get_locale()), currency_digits=False
    )
