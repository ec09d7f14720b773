"""beancount export: bean-check accepts the file, and beancount's own loader finds the same
balances as Kassan's trial balance."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from beancount import loader
from beancount.core import data, realization

from kassan.cli.main import main
from kassan.web.database import get_engine
from reports.beancount import account_name
from reports.trial_balance import trial_balance
from tests.integration.test_sie_export import ODD_TEXT, book_sample_ledger

BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def _export(cli, app, tmp_path: Path) -> Path:
    with get_engine(app).begin() as conn:
        book_sample_ledger(conn)
    target = tmp_path / "kassan.beancount"
    result = cli.invoke(main, ["export", "beancount", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "10 transaktioner" in result.output
    return target


def test_bean_check_accepts_the_exported_ledger(cli, app, tmp_path):
    target = _export(cli, app, tmp_path)
    checked = subprocess.run(
        [str(BEAN_CHECK), str(target)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_beancounts_balances_are_kassans_trial_balance(cli, app, tmp_path):
    target = _export(cli, app, tmp_path)
    entries, errors, _ = loader.load_file(str(target))
    assert errors == []
    root = realization.realize(entries)
    theirs: dict[str, Decimal] = {}
    for real in realization.iter_children(root):
        number = real.balance.get_currency_units("SEK").number
        if number:
            code = real.account.split(":")[1].split("-")[0]
            theirs[code] = number
    with get_engine(app).connect() as conn:
        ours = {
            a["account"]: Decimal(a["balance_ore"]) / 100
            for a in trial_balance(conn)["accounts"]
            if a["balance_ore"]
        }
    assert theirs == ours
    assert ours["1930"] == Decimal("16879.75")  # 489,25 + 300 + 15 000 + 125,50 + 1 000 - 35


def test_accounts_have_readable_names_and_entries_carry_voucher_source_and_network(
    cli, app, tmp_path
):
    target = _export(cli, app, tmp_path)
    entries, errors, _ = loader.load_file(str(target))
    assert errors == []
    opened = {e.account for e in entries if isinstance(e, data.Open)}
    assert "Assets:1930-Foretagskonto-checkkonto-affarskonto" in opened
    assert "Income:3993-Erhallna-gavor-och-bidrag" in opened
    assert "Expenses:6570-Bankkostnader" in opened
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    assert len(txns) == 10
    odd = next(e for e in txns if e.narration == ODD_TEXT)
    assert odd.meta["voucher"] == "B1"
    assert odd.meta["series"] == "B"
    assert odd.meta["source"].startswith("test:")  # the source key
    assert odd.meta["source_kind"] == "test"
    assert odd.tags == frozenset({"fred"})
    split = next(e for e in txns if e.narration == "Delad gåva")
    assert split.tags == frozenset({"fred", "klimat"})
    assert [p.meta.get("network") for p in split.postings] == [None, "fred", "klimat"]
    assert [p.units.number for p in split.postings] == [
        Decimal("1000.00"),
        Decimal("-600.00"),
        Decimal("-400.00"),
    ]


def test_account_names_keep_to_what_beancount_accepts():
    assert account_name("2890", "Övriga skulder (oidentifierade)", "liability") == (
        "Liabilities:2890-Ovriga-skulder-oidentifierade"
    )
    assert account_name("2069", "", "equity") == "Equity:2069"
