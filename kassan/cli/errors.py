"""The one place where errors become exit codes, as ``kassan/web/errors.py`` is for HTTP.

Every group of the ``kassan`` command is made from the classes here, so a refusal raised by
any command (a ``LedgerError`` from ``ledger``, ``webhooks`` or ``reports``, or a mail setting
that cannot work) ends it the way click ends its own usage errors: ``Error: <message>`` on
standard error and exit code 1. Commands call their service and let the refusal pass.
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


class _AnswersRefusals(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ANSWERED as exc:
            message = exc.message if isinstance(exc, LedgerError) else str(exc)
            raise click.ClickException(message) from exc


class Group(_AnswersRefusals, click.Group):
    """A plain click group whose commands' refusals exit with code 1 and their message."""


class AppGroup(_AnswersRefusals, flask_cli.AppGroup):
    """Flask's ``AppGroup`` (commands run in an app context), answering refusals likewise."""


class FlaskGroup(_AnswersRefusals, flask_cli.FlaskGroup):
    """The ``kassan`` command itself."""
