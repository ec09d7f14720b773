"""``kassan report funding-gap --year Y --format json|csv|pdf -o FILE``: reports written to files.

A format is one entry in ``FUNDING_GAP_FORMATS``: a function from the computed ``FundingGap``
(and the app's config) to the file's bytes. Another format (the board PDF) is one more entry.
The whole file is rendered before anything is written, and it replaces the target in one
step, so a refused report leaves no half-written file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app

from kassan.cli.errors import AppGroup
from kassan.web.database import get_engine
from reports import board_pdf, dashboard
from reports.funding import FundingGap, funding_gap, monthly_gift_fallback, today_in_stockholm
from reports.funding.render import to_csv, to_json

report_cli = AppGroup("report", help="Reports for leadership and the board, written to files.")

Renderer = Callable[[FundingGap, Mapping[str, Any]], bytes]


def _json(report: FundingGap, config: Mapping[str, Any]) -> bytes:
    return (json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _csv(report: FundingGap, config: Mapping[str, Any]) -> bytes:
    return to_csv(report)


def _pdf(report: FundingGap, config: Mapping[str, Any]) -> bytes:
    """The board report: the dashboard's other figures are read for the same year and date."""
    with get_engine(current_app).connect() as conn:
        dash = dashboard.build(
            conn,
            report.year,
            network=report.network,
            as_of=report.as_of,
            fallback_gift_ore=report.median_gift_ore if report.median_is_fallback else None,
        )
    organisation = str(config.get("ORGANISATION_NAME") or "Kassan")
    return board_pdf.render(dash, organisation=organisation, made_on=today_in_stockholm())


FUNDING_GAP_FORMATS: dict[str, Renderer] = {"json": _json, "csv": _csv, "pdf": _pdf}


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target`` and move it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@report_cli.command("funding-gap")
@click.option("--year", type=int, required=True, help="The year whose need is measured")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FUNDING_GAP_FORMATS)),
    default="json",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--network", default=None, help="One network's slug; default all networks")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Reference date (YYYY-MM-DD); default today in Stockholm",
)
def funding_gap_command(
    year: int, fmt: str, output: Path, network: str | None, as_of: datetime | None
) -> None:
    """The funding gap per network and in total, as JSON, CSV (Swedish headers) or the board
    report PDF."""
    config = current_app.config
    fallback = monthly_gift_fallback(config)
    with get_engine(current_app).connect() as conn:
        report = funding_gap(
            conn,
            year,
            network=network,
            as_of=as_of.date() if as_of else None,
            fallback_gift_ore=fallback,
        )
    write_atomically(output, FUNDING_GAP_FORMATS[fmt](report, config))
    click.echo(
        f"Finansieringsgap {year} ({len(report.networks)} nätverk, per "
        f"{report.as_of.isoformat()}) -> {output}"
    )
