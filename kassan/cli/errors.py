"""The one place where errors become exit codes, as ``kassan/web/errors.py`` is for HTTP.

Every group of the ``kassan`` command is made from the classes here, so a refusal raised by
any command (a ``LedgerError`` from ``ledger``, ``webhooks`` or ``reports``, or a mail setting
that cannot work) ends it as a ``Refusal``: ``Fel: <message>`` on standard error (the command
line speaks Swedish to finance staff) and exit code 1. Commands call their service and let the
refusal pass; a command that refuses on its own raises ``Refusal`` too. Click's own usage
errors (an unknown option) keep click's words, as the commands' help does.
"""

from __future__ import annotations

from typing import Any

import click
from flask import cli as flask_cli

from ledger.errors import LedgerError, MailConfigError

# What a command lets through ends as click's own errors do: the message, exit code 1. A
# command's other non-zero exits (``ledger verify`` naming the first bad entry, ``mail send``
# after a failed mail) are its own business.
ANSWERED: tuple[type[Exception], ...] = (LedgerError, MailConfigError)


class Refusal(click.ClickException):
    """A command's refusal: ``Fel: <message>`` on standard error, exit code 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Fel: {self.format_message()}", err=True, file=file)


class _AnswersRefusals(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ANSWERED as exc:
            message = exc.message if isinstance(exc, LedgerError) else str(exc)
            raise Refusal(message) from exc


class Group(_AnswersRefusals, click.Group):
    """A plain click group whose commands' refusals exit with code 1 and their message."""


class AppGroup(_AnswersRefusals, flask_cli.AppGroup):
    """Flask's ``AppGroup`` (commands run in an app context), answering refusals likewise."""


class FlaskGroup(_AnswersRefusals, flask_cli.FlaskGroup):
    """The ``kassan`` command itself."""
