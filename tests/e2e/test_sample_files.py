"""Every real bank file in ../shared/samples/{bgmax,swish,camt} through ``kassan import`` on a
fresh database (issue 11, "Real files in the tests"). None of these files was written for
Kassan. Each one either balances on its own and is booked whole (the ledger's bank account
moves by exactly the file's net, per currency, and the import says ok), or is refused with a
clear message (exit 1, a sentence, no traceback); and importing it a second time books nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from kassan.cli.main import main
from ledger.chart import BANK
from ledger.db import tables as t
from tests.support.bank_accounts import ours_in_app_fixture  # noqa: F401 (fixtures)
from webhooks.bankfiles import parse
from webhooks.errors import BankFileInvalid

pytestmark = pytest.mark.usefixtures("ours_in_app")  # our bankgiro and Swish number
SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
FILES = sorted(p for d in ("bgmax", "swish", "camt") for p in (SAMPLES / d).iterdir())


def _bank(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    jl = t.journal_lines.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(jl.currency, func.sum(jl.debit_ore - jl.credit_ore))
            .where(jl.account == BANK)
            .group_by(jl.currency)
        )
        return {r[0]: int(r[1]) for r in rows if r[1]}


def _entries(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.journal_entries)).scalar_one())


def last_of(result) -> str:  # type: ignore[no-untyped-def]
    return str(result.output.strip().splitlines()[-1])


def _net(path: Path) -> dict[str, int] | None:
    """The file's own net per currency as the parser reads it; None when it refuses the file."""
    try:
        parsed = parse(path.read_bytes(), path.name)
    except BankFileInvalid:
        return None
    out: dict[str, int] = {}
    for line in parsed.lines:
        out[line.amount.currency] = out.get(line.amount.currency, 0) + line.amount.ore
    return {k: v for k, v in out.items() if v}


def test_the_sweep_finds_every_kind_of_sample_file():
    assert {p.parent.name for p in FILES} == {"bgmax", "swish", "camt"}
    assert len(FILES) >= 32


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:60])
def test_a_real_file_is_booked_whole_or_refused_clearly_and_never_twice(
    cli, engine, path, tmp_path
):
    result = cli.invoke(main, ["import", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    net = _net(path)
    if result.exit_code == 0:
        assert net is not None
        assert _bank(engine) == net  # the bank account moved by exactly the file's net
        assert "filen och bokföringen stämmer [ok]" in result.output
        # no difference between the file and the books (the closing balance beside the
        # ledger's whole 1930 is another matter: a fresh ledger has no opening balance)
        assert "  AVVIKER: " not in result.output
    else:
        assert result.exit_code == 1
        last = last_of(result)
        assert last.startswith("Fel: ") or last.endswith("[AVVIKER]"), result.output
        if last.startswith("Fel: "):  # refused: nothing of it reached the books
            assert path.name in last or "kan inte" in last or "inte" in last
            assert _entries(engine) == 0
    booked, entries = _bank(engine), _entries(engine)
    same = cli.invoke(main, ["import", str(path)])
    assert same.exit_code == 1
    if last_of(result).endswith("[AVVIKER]") or result.exit_code == 0:  # stored: known by hash
        assert "redan inläst" in same.output, same.output
    # The same payments in other bytes (a line break added): found by key and content.
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes() + b"\n")
    again = cli.invoke(main, ["import", str(copy)])
    assert again.exception is None or isinstance(again.exception, SystemExit), again.output
    assert (_bank(engine), _entries(engine)) == (booked, entries)
    if result.exit_code == 0 and again.exit_code == 0:
        read = int(again.output.split("rader lästa:")[1].split()[0])
        assert f"redan bokförda:  {read} " in again.output
