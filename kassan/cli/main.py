"""The ``kassan`` command: Flask's CLI (``kassan run``) plus Kassan's own commands.

Commands are thin: they parse, open one transaction, call one service and print.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click
from flask import Flask, current_app
from sqlalchemy import Engine

from kassan.cli.autogiro import autogiro_cli
from kassan.cli.bank_accounts import bank_accounts_cli
from kassan.cli.collections import collections_cli
from kassan.cli.contributors import contributors_cli
from kassan.cli.demo import demo_cli
from kassan.cli.errors import FlaskGroup, Refusal
from kassan.cli.exports import export_cli
from kassan.cli.imports import import_cli
from kassan.cli.invoices import invoices_cli
from kassan.cli.mail import mail_cli
from kassan.cli.reports import report_cli
from kassan.cli.stripe import webhooks_cli
from kassan.cli.swish import swish_cli
from kassan.web.app import create_app, get_engine
from ledger import migrate
from ledger.db.engine import reading
from ledger.services import users as user_service


def _engine() -> Engine:
    return get_engine(current_app)


def _command_app() -> Flask:
    """The app a command runs in. It starts no Stripe applier threads of its own: a command
    is not a server (``kassan webhooks work`` is the command that books events), and the dev
    server books each delivery as it comes, as every app does."""
    return create_app({"STRIPE_APPLIER_AUTOSTART": False})


@click.group(cls=FlaskGroup, create_app=_command_app, add_version_option=False)
def main() -> None:
    """Kassan: fundraising and donations ledger."""


main.add_command(demo_cli)
main.add_command(webhooks_cli)
main.add_command(mail_cli)
main.add_command(invoices_cli)
main.add_command(collections_cli)
main.add_command(contributors_cli)
main.add_command(swish_cli)
main.add_command(import_cli)
main.add_command(export_cli)
main.add_command(report_cli)
main.add_command(bank_accounts_cli)
main.add_command(autogiro_cli)


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema with the migrations."""
    migrate.upgrade(_engine(), revision)
    click.echo(f"databasen har version {migrate.current(_engine())}")


@main.group()
def users() -> None:
    """Staff users."""


def _read_password(prompt: bool) -> str:
    if sys.stdin.isatty() and prompt:
        return click.prompt(
            "Lösenord",
            hide_input=True,
            confirmation_prompt="Upprepa lösenordet",
        )
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise Refusal("inget lösenord på standard in")
    return password


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(user_service.ROLES), required=True)
def users_create(email: str, role: str) -> None:
    """Create a staff user; the password is read from stdin or asked for."""
    password = _read_password(prompt=True)
    with _engine().begin() as conn:
        user = user_service.create_user(conn, email, password, role)
    click.echo(f"skapade {user.email} ({user.role})")


@users.command("password")
@click.argument("email")
def users_password(email: str) -> None:
    """Give the user a new password (read as for create); every session of the user ends."""
    password = _read_password(prompt=True)
    with _engine().begin() as conn:
        ended = user_service.set_password(conn, email, password)
    click.echo(f"nytt lösenord för {email.strip().lower()}; avslutade {ended} inloggningar")


@users.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """The user can no longer sign in; all of their sessions and API tokens end at once."""
    with _engine().begin() as conn:
        done = user_service.deactivate_user(conn, email)
    click.echo(
        f"avaktiverade {done.user.email}: avslutade {done.sessions} inloggningar, "
        f"återkallade {done.tokens} token"
    )


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.argument("email")
@click.option("--label", default="cli", show_default=True)
def tokens_create(email: str, label: str) -> None:
    """Print a new API token for the user (shown once; only its hash is stored)."""
    with _engine().begin() as conn:
        token = user_service.create_token(conn, email, label)
    click.echo(token)


@tokens.command("revoke")
@click.argument("email")
def tokens_revoke(email: str) -> None:
    """Revoke every API token of the user."""
    with _engine().begin() as conn:
        count = user_service.revoke_tokens(conn, email)
    click.echo(f"återkallade {count} token")


@main.group()
def ledger() -> None:
    """The books."""


@ledger.command("trial-balance")
@click.option("--year", type=int, default=None, help="One fiscal year; default all years")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table")
def ledger_trial_balance(year: int | None, as_json: bool) -> None:
    """Debit, credit and balance per account (from the kept balances)."""
    from reports.trial_balance import render_text, trial_balance

    with reading(_engine()) as conn:
        report = trial_balance(conn, year)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render_text(report))


@ledger.command("verify")
def ledger_verify() -> None:
    """Check every invariant and the hash chain; exit 1 naming the first bad entry."""
    from ledger.services.verify import verify

    # A snapshot that holds no writer's lock: posts, imports and webhooks go on booking while
    # a verify of millions of lines runs.
    with reading(_engine()) as conn:
        report = verify(conn)
    if report.ok:
        click.echo(
            f"bokföringen OK: {report.entries} verifikationer, {report.lines} rader, "
            "hashkedjan obruten"
        )
        return
    for problem in report.problems:
        click.echo(f"FEL {problem}", err=True)
    raise click.exceptions.Exit(1)


@ledger.command("close")
@click.option(
    "--through",
    "through",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last day of the closed period (YYYY-MM-DD)",
)
def ledger_close(through: datetime) -> None:
    """Close the books through a date: nothing more can be booked on or before it."""
    from ledger.services.periods import close_through

    with _engine().begin() as conn:
        close_through(conn, through.date())
    click.echo(f"bokföringen stängd till och med {through.date().isoformat()}, i alla räkenskapsår")


@ledger.command("open-year")
@click.argument("year", type=int)
def ledger_open_year(year: int) -> None:
    """Open a fiscal year (1 January to 31 December) so that it takes entries."""
    from ledger.services.periods import open_year

    with _engine().begin() as conn:
        opened = open_year(conn, year)
    if opened:
        click.echo(f"räkenskapsåret {year} är öppnat")
    else:
        click.echo(f"räkenskapsåret {year} var redan öppet")
