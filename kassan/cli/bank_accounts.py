"""``kassan bank-accounts``: which bank accounts are ours, and which ledger account each books to.

A camt statement or notification is imported only for an account listed here (issue 11,
rule 4). Messages are in Swedish: finance staff run these.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from kassan.cli.errors import Group
from kassan.web.database import get_engine
from ledger.chart import BANK
from ledger.services import bank_accounts


@click.group("bank-accounts", cls=Group)
def bank_accounts_cli() -> None:
    """Our bank accounts (IBAN or Swedish clearing and account number)."""


@bank_accounts_cli.command("add")
@click.argument("iban")
@click.option(
    "--account", "ledger_account", required=True, help=f"Ledger account it books to ({BANK}, ...)"
)
@click.option("--name", default="", help="What the account is called, e.g. 'Sparkonto'")
@with_appcontext
def add(iban: str, ledger_account: str, name: str) -> None:
    """Make IBAN ours, booking to the ledger account (an asset account: 1930, 1940, ...)."""
    with get_engine(current_app).begin() as conn:
        added = bank_accounts.add(conn, iban, ledger_account, name)
    click.echo(f"bankkontot {added.number} är vårt och bokförs på konto {added.ledger_account}")


@bank_accounts_cli.command("list")
@with_appcontext
def list_accounts() -> None:
    """Our bank accounts and the ledger account each books to."""
    with get_engine(current_app).connect() as conn:
        accounts = bank_accounts.all_accounts(conn)
    if not accounts:
        click.echo("inga bankkonton; lägg till med: kassan bank-accounts add IBAN --account 1930")
        return
    for a in accounts:
        click.echo(f"{a.number}\t{a.ledger_account}\t{a.name}".rstrip())


@bank_accounts_cli.command("remove")
@click.argument("iban")
@with_appcontext
def remove(iban: str) -> None:
    """Stop importing files for IBAN; what was booked from it stays booked."""
    with get_engine(current_app).begin() as conn:
        removed = bank_accounts.remove(conn, iban)
    click.echo(f"bankkontot {removed.number} är inte längre vårt; det bokförda står kvar")
