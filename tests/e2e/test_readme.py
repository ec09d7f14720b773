"""The README as a newcomer reads it: every command it names runs, every command Kassan has is
in its table, its ``make`` targets exist, and its API example is posted as it is written."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from kassan.cli.main import main
from ledger.services import dimensions, users

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Flask's own commands, which Kassan's group inherits; the README names `run` only.
FLASK_BUILT_INS = {"routes", "shell"}
# `kassan import FILE` is how the README writes the import group's default command.
SPELT_AS = {"import bank": "import"}


def _table_commands() -> list[list[str]]:
    """The command words of each row of the README's command table (`kassan ledger close
    --through ...` -> ["ledger", "close"])."""
    found = []
    for cell in re.findall(r"^\| `kassan ([^`]+)`", README, re.M):
        words = []
        for word in cell.replace("\\|", "|").split():
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break  # the first argument, option or placeholder ends the command
            words.append(word)
        found.append(words)
    return found


def _leaf_commands(ctx: click.Context, group: click.Group, path: tuple[str, ...] = ()) -> list[str]:
    """Every command the ``kassan`` a user runs has, the extensions' own (Flask-Limiter's,
    flask-smorest's) included: those are found through the app, as the command line finds them."""
    out = []
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            out += _leaf_commands(ctx, command, (*path, name))
        elif command is not None:
            out.append(" ".join((*path, name)))
    return out


@pytest.fixture
def run(app):
    runner = CliRunner()

    def invoke(*args: str, **kwargs):  # type: ignore[no-untyped-def]
        return runner.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app), **kwargs)

    return invoke


def test_every_command_in_the_readme_runs(run):
    table = _table_commands()
    assert len(table) >= 20
    for words in table:
        result = run(*words, "--help")
        assert result.exit_code == 0, f"kassan {' '.join(words)}: {result.output}"


def test_every_command_kassan_has_is_in_the_readme(app):
    documented = {" ".join(words) for words in _table_commands()}
    # the context pushes the app's context to find the extensions' commands: closed after
    with click.Context(main, info_name="kassan", obj=ScriptInfo(create_app=lambda: app)) as ctx:
        commands = _leaf_commands(ctx, main)
    assert {"limiter clear", "openapi write", "ledger verify"} <= set(commands)
    for command in commands:
        if command in FLASK_BUILT_INS:
            continue
        assert SPELT_AS.get(command, command) in documented, f"kassan {command} is not in README"


def test_the_make_targets_the_readme_names_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    named = set(re.findall(r"`make ([a-z][a-z-]*)", README)) | set(
        re.findall(r"^make ([a-z][a-z-]*)", README, re.M)
    )
    assert {"demo", "test", "lint", "bench"} <= named
    assert named <= targets, named - targets
    assert re.search(r"^PORT \?= 5000$", makefile, re.M)  # make demo PORT=5150


def test_the_api_example_in_the_readme_is_answered_201(app, client, engine, run):
    block = README.split("Posting an entry:", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    command = shlex.split(block.split("\n", 2)[2].replace("\\\n", " "))
    path = re.sub(r"^https?://[^/]+", "", command[command.index("-X") + 2])
    body = json.loads(command[command.index("-d") + 1])
    email = re.search(r"tokens create (\S+)\)", block).group(1)
    with engine.begin() as conn:
        users.create_user(conn, email, "ett långt lösenord", "finance")
        dimensions.create_network(conn, "palestina", "Palestina")
    token = run("tokens", "create", email).output.strip().splitlines()[-1]
    response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_data(as_text=True)
