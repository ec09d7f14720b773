"""``kassan import FILE [--format F]``: import a bank file here and now (the same job and
steps as an upload, which the background worker imports) and print its result: the lines read
and what became of them, the file's totals beside what the books now hold for it, every line in
conflict beside the entry it collides with, and for a camt.053 the file's closing balance
beside the ledger's 1930 balance. Exits 1 when the file and the books disagree (a conflict or
a difference): what could be booked is booked, the rest waits at the finance desk."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kassan import autogiro_reports
from kassan.web.database import get_engine
from ledger.money import Money
from reports.display import format_money
from webhooks.bankfiles.autogiro import detect_autogiro
from webhooks.bankfiles.detect import FORMATS
from webhooks.bankfiles.importer import import_file
from webhooks.bankfiles.result import ImportResult


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
        f"  redan bokförda:  {c.confirmed_count} (bekräftade, samma innehåll)",
        f"  i konflikt:      {c.conflict_count} (inte bokförda, väntar i kassan)",
        f"  överhoppade:     {result.skipped} (preliminära eller info-poster, inte bokförda)",
        f"  filens summa:    {_kr(result.total('file_ore'), cur)}",
        f"  i bokföringen:   {_kr(result.total('booked_ore'), cur)} nu"
        f" + {_kr(result.total('already_ore'), cur)} redan bokfört",
    ]
    for conflict in result.conflicts:
        lines.append(
            f"  KONFLIKT rad {conflict.line_no} ({conflict.key}): "
            f"{_kr(conflict.amount_ore, conflict.currency)}, {conflict.note or ''}; "
            f"krockar med {conflict.entry or 'en rad tidigare i filen'}"
        )
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
    lines.extend(f"  AVVIKER: {problem}" for problem in result.problems)
    lines.append(
        "  filen och bokföringen stämmer [ok]"
        if result.ok
        else "  filen och bokföringen stämmer inte: se ovan och kön i /finance [AVVIKER]"
    )
    return "\n".join(lines)


def _import_autogiro(file: Path) -> None:
    with file.open("rb") as stream:
        result = autogiro_reports.import_report(
            get_engine(current_app), current_app.config, stream, file.name
        )
    click.echo("\n".join(autogiro_reports.render(result)))
    if not result.ok:
        raise SystemExit(1)


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "format_", type=click.Choice(FORMATS), help="Skip detection")
def import_command(file: Path, format_: str | None) -> None:
    """Import a bank file (camt.053/054, BgMax, Swish report, Autogiro) and book its payments."""
    with file.open("rb") as head:
        autogiro = format_ is None and detect_autogiro(head.read(4096)) is not None
    if autogiro:
        _import_autogiro(file)
        return
    size = file.stat().st_size
    with (
        file.open("rb") as stream,
        # the file is read twice: checked whole first, then booked
        click.progressbar(length=2 * size, label="Läser in") as bar,
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
    if not result.ok:
        raise SystemExit(1)
