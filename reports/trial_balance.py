"""Trial balance (råbalans): debit, credit and balance per account, from the kept aggregates.

The JSON shape is an interface (CLI ``kassan ledger trial-balance --json`` and
``GET /api/v1/trial-balance``): ``{"accounts": [{"account", "name", "debit_ore",
"credit_ore", "balance_ore"}], "totals": {"debit_ore", "credit_ore"}}``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ledger.money import Money
from ledger.services.balances import account_totals
from reports.display import format_money


def trial_balance(conn: Connection, year: int | None = None) -> dict[str, Any]:
    rows = account_totals(conn, year=year)
    return {
        "year": year,
        "accounts": [
            {
                "account": r.account,
                "name": r.name,
                "debit_ore": r.debit_ore,
                "credit_ore": r.credit_ore,
                "balance_ore": r.balance_ore,
            }
            for r in rows
        ],
        "totals": {
            "debit_ore": sum(r.debit_ore for r in rows),
            "credit_ore": sum(r.credit_ore for r in rows),
        },
    }


def render_text(report: dict[str, Any]) -> str:
    """The trial balance as a table for the terminal, amounts in Swedish format."""
    lines = [f"{'Konto':<6} {'Namn':<44} {'Debet':>16} {'Kredit':>16} {'Saldo':>16}"]
    for a in report["accounts"]:
        lines.append(
            f"{a['account']:<6} {a['name'][:44]:<44} "
            f"{format_money(Money(a['debit_ore'])):>16} {format_money(Money(a['credit_ore'])):>16} "
            f"{format_money(Money(a['balance_ore'])):>16}"
        )
    tot = report["totals"]
    lines.append(
        f"{'':<6} {'Summa':<44} {format_money(Money(tot['debit_ore'])):>16} "
        f"{format_money(Money(tot['credit_ore'])):>16}"
    )
    return "\n".join(lines)
