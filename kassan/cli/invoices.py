"""``kassan invoices``: the pledge invoice run and the reminders (run both once a day; running
either again on the same date does nothing twice)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from kassan.cli.errors import Group
from kassan.web.database import get_engine
from ledger.services import invoice_run
from reports import invoice_pdf

_DATE = click.DateTime(["%Y-%m-%d"])


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else date.today()


@click.group("invoices", cls=Group)
def invoices_cli() -> None:
    """Invoices for pledges, and reminders."""


def _batch(
    job: Callable[..., Any],
    on: datetime | None,
    workers: int | None,
    counted: str,
    count: Callable[[Any], int],
) -> None:
    """Run an invoice ``job`` (``invoice_run.run`` or ``remind``) for the day, its PDFs made by
    ``workers`` processes (default ``KASSAN_PDF_WORKERS``: the cores), and say what it did; a
    ``LedgerError`` becomes the command's error message."""
    day = _day(on)
    config = current_app.config
    with invoice_pdf.batch_renderer(config, workers=workers) as render:
        report = job(get_engine(current_app), day, config=config, render=render)
    click.echo(f"{day.isoformat()}: {counted} {count(report)}, e-postade {report.mailed}")
    if report.without_email:
        numbers = ", ".join(str(n) for n in report.without_email)
        click.echo(f"ingen e-postadress, skicka med post: {numbers}")


_WORKERS = click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Processes making the PDFs (default KASSAN_PDF_WORKERS: the cores)",
)


@invoices_cli.command("run")
@click.option("--date", "on", type=_DATE, default=None, help="Invoice date (default today)")
@_WORKERS
@with_appcontext
def invoices_run(on: datetime | None, workers: int | None) -> None:
    """Invoice the pledge instalments due by DATE plus the lead days, and mail each invoice."""
    _batch(invoice_run.run, on, workers, "utfärdade", lambda report: report.issued)


@invoices_cli.command("remind")
@click.option("--date", "on", type=_DATE, default=None, help="Today's date (default today)")
@_WORKERS
@with_appcontext
def invoices_remind(on: datetime | None, workers: int | None) -> None:
    """Remind about unpaid invoices past their due date (each reminder once)."""
    _batch(invoice_run.remind, on, workers, "påminnelser", lambda report: report.reminded)
