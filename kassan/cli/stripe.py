"""``kassan webhooks retry`` and ``kassan webhooks work``: apply the Stripe events that wait in
the inbox, once (all of them, whatever their attempts) or as a worker that keeps polling; the
worker also imports the uploaded bank files that wait (``webhooks.bankfiles.worker``)."""

from __future__ import annotations

import signal
from types import FrameType

import click
from flask import current_app

from kassan.cli.errors import AppGroup
from kassan.web.database import get_engine
from webhooks.bankfiles import worker as import_worker
from webhooks.stripe import inbox, worker

webhooks_cli = AppGroup("webhooks", help="Webhook inboxes (Stripe).")


def _echo_counts(counts: dict[inbox.Outcome, int]) -> None:
    click.echo(
        f"{counts[inbox.Outcome.PROCESSED]} bokförda, {counts[inbox.Outcome.FAILED]} misslyckade, "
        f"{counts[inbox.Outcome.DONE_BEFORE]} klara sedan tidigare"
    )


def _echo_imports(counts: dict[import_worker.Outcome, int]) -> None:
    o = import_worker.Outcome
    click.echo(
        f"bankfiler: {counts[o.DONE]} inlästa, {counts[o.REFUSED]} avvisade, "
        f"{counts[o.FAILED]} avbrutna"
    )


@webhooks_cli.command("retry")
@click.option("--limit", type=int, default=None, help="At most this many events")
def retry(limit: int | None) -> None:
    """Apply every Stripe event stored but not processed, oldest first; exit 1 if any failed."""
    counts = inbox.retry_pending(get_engine(current_app), current_app.config, limit=limit)
    _echo_counts(counts)
    if counts[inbox.Outcome.FAILED]:
        raise click.exceptions.Exit(1)


@webhooks_cli.command("work")
@click.option(
    "--interval", type=float, default=1.0, show_default=True, help="Seconds between inbox polls"
)
@click.option("--once", is_flag=True, help="One pass over what waits, then exit")
def work(interval: float, once: bool) -> None:
    """Apply Stripe events as they arrive in the inbox and import uploaded bank files, until
    stopped (SIGTERM or Ctrl-C).

    Run it with STRIPE_WEBHOOK_APPLY=worker (and KASSAN_BANK_IMPORT_IN_APP=0) on the app
    servers; events that failed are tried again with a back-off, up to the inbox's attempt
    limit (then `kassan webhooks retry`).
    """
    if interval <= 0:
        raise click.BadParameter("must be above 0", param_hint="--interval")
    applier = worker.Applier(
        get_engine(current_app), current_app.config, settled_for=None, poll_every=interval
    )
    engine = get_engine(current_app)
    if once:
        _echo_counts(applier.drain_once())
        _echo_imports(import_worker.work_once(engine, current_app.config))
        return
    importer = import_worker.ImportWorker(engine, current_app.config, poll_every=interval)
    importer.start()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        applier.stop(timeout=0)
        importer.stop(timeout=0)

    previous = signal.signal(signal.SIGTERM, _stop)
    click.echo(f"bokför Stripe-händelser från inkorgen var {interval:g}:e sekund")
    try:
        applier.run()
    except KeyboardInterrupt:
        pass  # Ctrl-C: the event at hand was rolled back and waits in the inbox
    finally:
        signal.signal(signal.SIGTERM, previous)
        importer.stop(timeout=0)  # a job cut short is resumed by the next worker
    _echo_counts(applier.counts)
    _echo_imports(importer.counts)
