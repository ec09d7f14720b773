"""``kassan autogiro mandates-out -o FILE`` and ``kassan autogiro payments-out --month YYYY-MM
-o FILE``: the files to Bankgirot, written only when there is something new to send."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app

from kassan.cli.errors import AppGroup, Refusal
from kassan.web.database import get_engine
from ledger.errors import ConfigError
from ledger.services import pii
from webhooks.autogiro import outgoing

autogiro_cli = AppGroup("autogiro", help="Autogiro: files to Bankgirot.")


def _today() -> datetime:
    return datetime.now(ZoneInfo("Europe/Stockholm"))


def _settings() -> outgoing.Settings:
    try:
        return outgoing.settings(current_app.config)
    except ConfigError as exc:
        raise Refusal(str(exc)) from exc


def _write(path: Path, content: bytes) -> None:
    if path.exists():
        raise Refusal(f"{path} finns redan; välj ett annat filnamn")
    path.write_bytes(content)


@autogiro_cli.command("mandates-out")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def mandates_out(output: Path) -> None:
    """The mandate file: new mandates (TK04) and cancellations (TK03) since the last one."""
    config = _settings()
    crypt = pii.cipher(current_app.config)
    with get_engine(current_app).begin() as conn:
        made = outgoing.mandates_out(conn, crypt, config, _today().date())
        if made is None:
            click.echo("inga nya medgivanden eller makuleringar; ingen fil skriven")
            return
        _write(output, made.content)
    click.echo(
        f"{output}: {made.new} nya medgivanden, {made.cancelled} makuleringar "
        "(skicka filen till Bankgirot)"
    )


@autogiro_cli.command("payments-out")
@click.option("--month", required=True, help="the month to debit, YYYY-MM")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def payments_out(month: str, output: Path) -> None:
    """The month's debit orders (TK82), one per active mandate not yet ordered for the month."""
    config = _settings()
    try:
        outgoing.due_day(month, config.debit_day)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from exc
    with get_engine(current_app).begin() as conn:
        made = outgoing.payments_out(conn, config, month, _today().date())
        if made is None:
            click.echo(f"{month}: alla aktiva medgivanden har redan en dragning; ingen fil skriven")
            return
        _write(output, made.content)
    click.echo(f"{output}: {made.new} dragningar för {month}, betalningsdag {made.due}")
