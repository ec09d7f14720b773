"""The command line answers a refusal in one place: its message and exit code 1."""

import click
from click.testing import CliRunner

from kassan.cli.errors import Group
from ledger.errors import DeskRefused, MailConfigError


@click.group(cls=Group)
def _cli() -> None:
    pass


@_cli.command()
def refuse() -> None:
    raise DeskRefused("the period is closed", "date")


@_cli.command()
def misconfigured() -> None:
    raise MailConfigError("SMTP_URL is not set")


@_cli.command()
def crash() -> None:
    raise RuntimeError("a bug")


def test_a_refusal_from_any_command_exits_1_with_its_message():
    result = CliRunner().invoke(_cli, ["refuse"])
    assert result.exit_code == 1
    assert "Fel: the period is closed" in result.output


def test_a_mail_setting_that_cannot_work_exits_1_with_its_message():
    result = CliRunner().invoke(_cli, ["misconfigured"])
    assert result.exit_code == 1
    assert "Fel: SMTP_URL is not set" in result.output


def test_a_bug_is_not_dressed_up_as_a_refusal():
    result = CliRunner().invoke(_cli, ["crash"])
    assert isinstance(result.exception, RuntimeError)


def test_a_refusal_speaks_swedish_not_click_english():
    result = CliRunner().invoke(_cli, ["refuse"])
    assert result.output.startswith("Fel: ") and "Error" not in result.output
