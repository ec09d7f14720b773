"""``kassan import FILE [--format F]``: import a bank file and print its totals beside the
file's own, and for a camt.053 the file's closing balance beside the ledger's 1930 balance."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kassan.web.database import get_engine
from ledger.money import Money
from reports.display import format_money
from webhooks.bankfiles.detect import FORMATS
from webhooks.bankfiles.importer import ImportResult, import_file


def _kr(ore: int, currency: str) -> str:
    return format_money(Money(ore, currency))


def render(result: ImportResult) -> str:
    c, cur = result.counts, result.currency
    lines = [
        f"Import {result.id}: {result.filename} ({result.format})",
        f"  rader lästa:     {c.line_count}",
        f"  insättningar:    {c.credit_count} st, {_kr(c.credit_ore, cur)}",
        f"  uttag:           {c.debit_count} st, {_kr(c.debit_ore, cur)}",
        f"  bokförda:        {c.booked_count}",
        f"    matchade:      {c.matched_count}",
        f"    omatchade:     {c.unmatched_count} (på 2890)",
        f"  redan bokförda:  {c.confirmed_count} (bekräftade)",
    ]
    for ctl in result.summary.get("controls", []):
        mark = "ok" if ctl["ok"] else "AVVIKER"
        lines.append(f"  filen: {ctl['what']}: {ctl['declared']}, läst: {ctl['computed']} [{mark}]")
    for bal in result.summary.get("balances", []):
        closing = bal["closing_ore"]
        mark = "ok" if closing == result.cash_ore else "AVVIKER"
        lines.append(
            f"  utgående saldo {bal['account']}: {_kr(closing, bal['currency'])}, "
            f"1930 i bokföringen: {_kr(result.cash_ore, cur)} [{mark}]"
        )
    return "\n".join(lines)


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "format_", type=click.Choice(FORMATS), help="Skip detection")
def import_command(file: Path, format_: str | None) -> None:
    """Import a bank file (camt.053/054, BgMax, Swish report) and book its payments."""
    size = file.stat().st_size
    with (
        file.open("rb") as stream,
        click.progressbar(length=size, label="Läser in") as bar,
    ):
        shown = 0

        def progress(done: int, _total: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        result = import_file(
            get_engine(current_app),
            stream,
            file.name,
            format=format_,
            progress=progress,
            mail_config=current_app.config,
        )
    click.echo(render(result))
