"""The stable codes the database's guards raise, and how to read one back from an error.

Every trigger that refuses a write names the rule it enforces with a code (migrations 0012, 0015;
the list with each rule is in docs/ledger.md). A caller recognises a refusal by this code,
never by the message's wording, which may change.

- PostgreSQL raises the code as the SQLSTATE (``RAISE EXCEPTION ... USING ERRCODE``). Class
  ``KA`` is Kassan's: the SQL standard leaves classes that start with I-Z to implementations,
  and PostgreSQL uses none starting with K. psycopg reports it as ``sqlstate``.
- SQLite's ``RAISE(ABORT, ...)`` has no SQLSTATE, so the message starts with the code and a
  colon: ``KA013: ledger: the period is closed``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import DBAPIError

__all__ = ["Guard", "Refusal", "refusal"]


class Guard(StrEnum):
    """One rule a trigger enforces; the value is its code on both databases."""

    POSTED_ENTRY_CHANGED = "KA001"
    LINES_ADDED_TO_POSTED_ENTRY = "KA002"
    ACCOUNT_NOT_IN_CHART = "KA003"
    NETWORK_MISSING = "KA004"
    CONTRIBUTOR_MISSING = "KA005"
    ENTRY_ID_OUT_OF_ORDER = "KA006"
    TOO_FEW_LINES = "KA007"
    UNBALANCED = "KA008"
    NUMBER_GAP = "KA009"
    HASH_CHAIN_BROKEN = "KA010"
    REVERSES_MISSING_ENTRY = "KA011"
    DATE_OUTSIDE_FISCAL_YEAR = "KA012"
    PERIOD_CLOSED = "KA013"
    FISCAL_YEAR_REMOVED = "KA014"
    PERIOD_REOPENED = "KA015"
    ROW_USED_BY_LINES = "KA016"
    KEPT_ROW_REMOVED = "KA017"
    YEAR_OPENED_IN_CLOSED_PERIOD = "KA018"


_SQLITE_CODE = re.compile(r"^(KA\d{3}): ")


@dataclass(frozen=True, slots=True)
class Refusal:
    """What the database refused: the guard (None for a constraint or anything else) and the
    first line of its message, without SQLite's code prefix."""

    guard: Guard | None
    message: str


def refusal(exc: DBAPIError) -> Refusal:
    """The guard behind a database error, read from its SQLSTATE or its SQLite code prefix."""
    message = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    code = getattr(exc.orig, "sqlstate", None)
    prefixed = _SQLITE_CODE.match(message)
    if prefixed:
        code = prefixed.group(1)
        message = message[prefixed.end() :]
    return Refusal(_guard(code), message)


def _guard(code: str | None) -> Guard | None:
    try:
        return Guard(code) if code else None
    except ValueError:  # a SQLSTATE of PostgreSQL's own (a constraint, a lock timeout, ...)
        return None
