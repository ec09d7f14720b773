"""``kassan mail``: deliver the e-mail outbox (run ``kassan mail send`` every minute)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from kassan.cli.errors import Group
from kassan.web.database import get_engine
from ledger.services import mail


@click.group("mail", cls=Group)
def mail_cli() -> None:
    """The e-mail outbox."""


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True, help="At most this many mails.")
@with_appcontext
def mail_send(limit: int) -> None:
    """Send the mails that are due; failures stay queued and are retried later."""
    report = mail.send_due(get_engine(current_app), current_app.config, limit=limit)
    click.echo(f"skickade {report.sent}, misslyckades {report.failed}")
    if report.failed:
        raise SystemExit(1)
