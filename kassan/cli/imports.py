"""``kassan import``: bring files from outside into the books.

``kassan import FILE [--format F]`` imports a bank file (camt.053/054, BgMax, Swish report;
``webhooks.bankfiles``), which is what finance does every day, so it needs no sub-command;
``kassan import sie FILE`` reads a bookkeeping program's chart of accounts and opening balances
(``reports.sie``). ``kassan import bank FILE`` is the bank import spelt out, for a bank file
that happens to be called ``sie``.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from kassan.cli.bankfiles import import_command
from kassan.cli.errors import Group
from kassan.cli.exports import import_sie_command


class _ImportGroup(Group):
    """A group whose first argument, when it names no sub-command, is a bank file."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["bank", *args]
        return super().parse_args(ctx, args)


@click.group("import", cls=_ImportGroup)
def import_cli() -> None:
    """Import a bank file (kassan import FILE) or a SIE file (kassan import sie FILE)."""


import_cli.add_command(import_command, "bank")


@import_cli.command("sie")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_sie(file: Path) -> None:
    """Import a SIE 4 file's chart of accounts and opening balances (#KONTO, #IB)."""
    import_sie_command(file)
