"""``kassan export sie|beancount`` and the SIE import's command body.

``import_sie_command`` is plain Python (no click decorators) so that it can be wired under
``kassan import`` by whoever owns that command; it raises ``LedgerError`` on refusal.
Exports read one snapshot of the books that holds no writer's lock (``reading``), so others
go on booking while they run, and go to a temporary file beside the target that replaces it
only when complete, so a refused export (a voucher that does not balance) leaves no
half-written file behind.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import BinaryIO

import click
from flask import current_app
from sqlalchemy import Engine

from kassan.cli.errors import AppGroup
from kassan.web.database import get_engine
from ledger.db.engine import reading
from reports import beancount
from reports.sie import export as sie_export
from reports.sie import import_ as sie_import

export_cli = AppGroup("export", help="Export the books to other programs (SIE 4, beancount).")


@contextmanager
def _replacing(target: Path) -> Iterator[BinaryIO]:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _progress(advance: Callable[[int], None]) -> Callable[[int], None]:
    """Turn "done so far" reports into the bar's "this many more" steps."""
    shown = 0

    def update(done: int) -> None:
        nonlocal shown
        advance(done - shown)
        shown = done

    return update


@export_cli.command("sie")
@click.option("--year", type=int, required=True, help="The fiscal year to export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_sie_command(year: int, output: Path) -> None:
    """Write one fiscal year as SIE 4 (type 4, CP437) for the bookkeeping program."""
    config = current_app.config
    with reading(get_engine(current_app)) as conn:
        total = sie_export.count_vouchers(conn, year)
        with (
            _replacing(output) as out,
            click.progressbar(length=total, label="Skriver SIE") as bar,
        ):
            summary = sie_export.write_sie(
                conn,
                year,
                out,
                org_name=config.get("ORGANISATION_NAME", "Kassan"),
                org_number=config.get("ORGANISATION_NUMBER", ""),
                generated=date.today(),
                progress=_progress(bar.update),
            )
    click.echo(
        f"SIE 4 för {year}: {summary.vouchers} verifikationer, {summary.lines} rader -> {output}"
    )


@export_cli.command("beancount")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_beancount_command(output: Path) -> None:
    """Write the whole ledger as a beancount file."""
    with reading(get_engine(current_app)) as conn:
        total = beancount.count_entries(conn)
        with (
            _replacing(output) as raw,
            io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as out,
            click.progressbar(length=total, label="Skriver beancount") as bar,
        ):
            summary = beancount.write_beancount(conn, out, progress=_progress(bar.update))
    click.echo(
        f"beancount: {summary.accounts} konton, {summary.transactions} transaktioner -> {output}"
    )


def import_sie_command(path: Path, engine: Engine | None = None) -> None:
    """Import a SIE file's chart of accounts and opening balances, and print the outcome.

    Raises ``LedgerError`` (``SieImportInvalid`` listing file and line of each problem) when the
    file is refused (another organisation's file, opening balances the year already has, ...);
    nothing is changed then.
    """
    data = Path(path).read_bytes()
    ours = str(current_app.config["ORGANISATION_NUMBER"])
    with (engine or get_engine(current_app)).begin() as conn:
        result = sie_import.import_sie(conn, data, Path(path).name, organisation_number=ours)
    print(sie_import.render(result))
