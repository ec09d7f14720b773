"""``/api/v1/accounts`` and ``/api/v1/trial-balance``: the chart and the balances, read-only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from kassan.web.api.auth import require_token
from kassan.web.api.schemas import AccountSchema, TrialBalanceQuerySchema, TrialBalanceSchema
from kassan.web.database import get_engine
from ledger.services.accounts import list_accounts
from reports.trial_balance import trial_balance

blp = Blueprint("books", __name__, url_prefix="/api/v1", description="Chart and balances")
blp.before_request(require_token)


@blp.get("/accounts")
@blp.response(200, AccountSchema(many=True))
@blp.alt_response(401, response="UNAUTHORIZED")
def accounts() -> list[dict[str, Any]]:
    """The chart of accounts (BAS): code, name, type and normal side."""
    with get_engine(current_app).connect() as conn:
        return [asdict(a) for a in list_accounts(conn)]


@blp.get("/trial-balance")
@blp.arguments(TrialBalanceQuerySchema, location="query")
@blp.response(200, TrialBalanceSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
def trial_balance_view(args: dict[str, Any]) -> dict[str, Any]:
    """Debit, credit and balance per account (råbalans), for one year or all years."""
    with get_engine(current_app).connect() as conn:
        return trial_balance(conn, args["year"])
