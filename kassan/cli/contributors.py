"""``kassan contributors``: one person's data as the GDPR asks for it: ``export ID`` writes all
Kassan holds about them as JSON, ``erase ID`` anonymises it and says what the books keep and
until when (``ledger.services.personal_data`` holds the rules; the Autogiro files that name
them, kept whole as underlying records: ``webhooks.autogiro.personal``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TextIO

import click
from flask import current_app
from flask.cli import with_appcontext

from kassan.cli.errors import Group
from kassan.web.database import get_engine
from ledger.services import personal_data, pii
from webhooks.autogiro import personal

_TABLES = {
    "contributors": "givaren",
    "gifts": "gåvor",
    "bank_lines": "bankrader",
    "swish_payments": "Swishbetalningar",
    "swish_consents": "Swishmedgivanden",
    "autogiro_mandates": "autogiromedgivanden",
    "email_outbox": "e-postmeddelanden",
}


@click.group("contributors", cls=Group)
def contributors_cli() -> None:
    """Contributors' personal data: export and erasure."""


@contributors_cli.command("export")
@click.argument("contributor_id", type=int)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
@with_appcontext
def export(contributor_id: int, output: TextIO) -> None:
    """Write everything Kassan holds about contributor ID as JSON (standard output by default)."""
    crypt = pii.cipher(current_app.config)
    with get_engine(current_app).connect() as conn:
        data = personal_data.export(conn, crypt, contributor_id)
        data["autogiro_files"] = personal.listed(personal.held_files(conn, contributor_id))
    output.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@contributors_cli.command("erase")
@click.argument("contributor_id", type=int)
@with_appcontext
def erase(contributor_id: int) -> None:
    """Anonymise contributor ID's personal data; the books keep their entries and amounts."""
    with get_engine(current_app).begin() as conn:
        done = personal_data.erase(conn, contributor_id, now=datetime.now(UTC))
        files = personal.held_files(conn, contributor_id)
    if done.already:
        click.echo(f"Givare {contributor_id} är redan raderad; inget att ändra.")
    else:
        changed = ", ".join(f"{_TABLES[k]} {n}" for k, n in done.changed.items())
        click.echo(f"Raderade personuppgifter för givare {contributor_id}: {changed}.")
    if done.kept_until is None:
        click.echo("Inga verifikationer gäller givaren; bokföringen behåller inget om hen.")
    else:
        click.echo(
            f"Kvar: {done.entries_kept} verifikation(er) med belopp och datum, utfärdade fakturor "
            f"och bankfilerna som banken skickade, till och med {done.kept_until.isoformat()} "
            "(Bokföringslagen 7 kap. 2 §: sju år efter räkenskapsårets slut)."
        )
    if files:
        click.echo(
            f"Kvar: {len(files)} Autogirofil(er) till och från Bankgirot som nämner givaren "
            "(betalarnummer; i medgivandefiler även personnummer och kontonummer), hela som "
            "räkenskapsinformation, till och med "
            f"{max(f.kept_until for f in files).isoformat()} (Bokföringslagen 7 kap. 2 §): "
            + ", ".join(f.filename for f in files)
            + "."
        )
