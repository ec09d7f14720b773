"""``kassan swish refund <instruction-id> [--amount 100,00]``: refund a Swish gift;
``kassan swish charge-monthly --month ÅÅÅÅ-MM``: the month's recurring Swish payments."""

from __future__ import annotations

import click
from flask import current_app

from kassan.cli.errors import AppGroup, Refusal
from kassan.web.database import get_engine
from ledger.money import parse_amount
from webhooks.swish import charges, refunds

swish_cli = AppGroup("swish", help="Swish Handel payments.")


@swish_cli.command("refund")
@click.argument("instruction_id")
@click.option("--amount", default=None, help="Amount in kronor (1 234,50); default: all left")
def refund(instruction_id: str, amount: str | None) -> None:
    """Ask Swish to refund a paid Swish gift. The refund is booked when Swish confirms it."""
    try:
        money = parse_amount(amount) if amount is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--amount") from exc
    with get_engine(current_app).begin() as conn:
        refund_id = refunds.start(conn, current_app.config, instruction_id, money)
    click.echo(f"återbetalning {refund_id} skickad till Swish; den bokförs när Swish bekräftar den")


@swish_cli.command("charge-monthly")
@click.option("--month", required=True, help="The month to charge, ÅÅÅÅ-MM (e.g. 2026-12)")
def charge_monthly(month: str) -> None:
    """Make this month's payment for every active Swish consent (once per consent and month);
    a charge that failed on an earlier run is tried once more. Run it daily (docs/deployment.md)."""
    run = charges.charge_month(get_engine(current_app), current_app.config, month)
    click.echo(
        f"{month}: {run.sent} nya dragningar skickade till Swish, {run.retried} nya försök, "
        f"{run.already} redan gjorda"
    )
    for payment_id, why in run.problems:
        click.echo(f"  {payment_id}: {why}", err=True)
    if run.problems:
        raise Refusal(f"{len(run.problems)} dragningar kunde inte göras nu (se ovan)")
