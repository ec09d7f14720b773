"""``kassan webhooks retry``: apply the Stripe events that wait in the inbox."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ledger.web.database import get_engine
from webhooks.stripe import inbox

webhooks_cli = AppGroup("webhooks", help="Webhook inboxes (Stripe).")


@webhooks_cli.command("retry")
@click.option("--limit", type=int, default=None, help="At most this many events")
def retry(limit: int | None) -> None:
    """Apply every Stripe event stored but not processed, oldest first; exit 1 if any failed."""
    counts = inbox.retry_pending(get_engine(current_app), current_app.config, limit=limit)
    processed = counts[inbox.Outcome.PROCESSED]
    failed = counts[inbox.Outcome.FAILED]
    click.echo(
        f"{processed} processed, {failed} failed, {counts[inbox.Outcome.DONE_BEFORE]} done before"
    )
    if failed:
        raise click.exceptions.Exit(1)
