"""``kassan swish refund <instruction-id> [--amount 100,00]``: refund a Swish gift."""

from __future__ import annotations

import click
from flask import current_app

from kassan.cli.errors import AppGroup
from kassan.web.database import get_engine
from ledger.money import parse_amount
from webhooks.swish import refunds

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
