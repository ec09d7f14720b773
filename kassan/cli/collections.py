"""``kassan collections``: close the workplace collections whose end date has passed (run daily;
running it again closes nothing twice)."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from kassan.cli.errors import Group
from kassan.web.database import get_engine
from ledger.services import collections

_DATE = click.DateTime(["%Y-%m-%d"])


@click.group("collections", cls=Group)
def collections_cli() -> None:
    """Workplace collections."""


@collections_cli.command("close-expired")
@click.option("--date", "on", type=_DATE, default=None, help="Today's date (default today)")
@with_appcontext
def close_expired(on: datetime | None) -> None:
    """Close every active collection whose end date is before DATE."""
    day = on.date() if on is not None else date.today()
    with get_engine(current_app).begin() as conn:
        closed = collections.close_expired(conn, day)
    click.echo(f"stängde {closed} insamling(ar) som slutade före {day.isoformat()}")
