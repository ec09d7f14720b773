"""The whole ledger as a beancount file, for plain-text tools (bean-check, bean-query, fava).

Every account is opened under its beancount root with a readable name
(``Assets:1930-Foretagskonto-checkkonto-affarskonto``); every journal entry becomes one
transaction carrying its voucher, series and source as metadata and its networks as tags
(and as metadata on each posting booked to a network). Entries are read in chunks and
written as they come, so the export's memory does not grow with the ledger.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple, TextIO

from sqlalchemy import Connection, func, select

from ledger.chart import AccountType
from ledger.db import tables as t
from reports.sie.model import kronor

_ROOTS = {
    AccountType.ASSET.value: "Assets",
    AccountType.LIABILITY.value: "Liabilities",
    AccountType.EQUITY.value: "Equity",
    AccountType.INCOME.value: "Income",
    AccountType.EXPENSE.value: "Expenses",
}
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")
_NOT_TAG = re.compile(r"[^A-Za-z0-9_\-/.]+")
_YIELD = 5_000
_PROGRESS_EVERY = 1_000


@dataclass(frozen=True, slots=True)
class BeancountSummary:
    accounts: int
    transactions: int


def _ascii(text: str) -> str:
    # "Företagskonto" -> "Foretagskonto": beancount account names must be plain words.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def account_name(code: str, name: str, kind: str) -> str:
    """``Income:3993-Erhallna-gavor-och-bidrag``: root, code, then the name in ASCII."""
    words = _NOT_NAME.sub("-", _ascii(name)).strip("-")[:48].strip("-")
    return f"{_ROOTS[kind]}:{code}" + (f"-{words}" if words else "")


def tag(slug: str) -> str:
    return _NOT_TAG.sub("-", _ascii(slug)) or "network"


def string(value: str) -> str:
    clean = " ".join(value.split())
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Line(NamedTuple):
    entry_id: int
    date: date
    text: str
    series: str
    number: int
    source_kind: str
    source_key: str
    account: str
    debit_ore: int
    credit_ore: int
    currency: str
    network_id: int | None


def _entries(conn: Connection) -> Iterator[list[_Line]]:
    """Each entry's lines with the entry's fields, one list per entry, in entry order."""
    e, ln = t.journal_entries.c, t.journal_lines.c
    query = (
        select(
            e.id,
            e.date,
            e.text,
            e.series,
            e.number,
            e.source_kind,
            e.source_key,
            ln.account,
            ln.debit_ore,
            ln.credit_ore,
            ln.currency,
            ln.network_id,
        )
        .join(t.journal_lines, ln.entry_id == e.id)
        .order_by(e.id, ln.line_no)
    )
    current: list[_Line] = []
    for row in conn.execution_options(yield_per=_YIELD).execute(query):
        line = _Line._make(row)
        if current and line.entry_id != current[0].entry_id:
            yield current
            current = []
        current.append(line)
    if current:
        yield current


def count_entries(conn: Connection) -> int:
    return conn.scalar(select(func.count()).select_from(t.journal_entries)) or 0


def write_beancount(
    conn: Connection, out: TextIO, *, progress: Callable[[int], None] | None = None
) -> BeancountSummary:
    """Write the ledger to ``out`` as beancount text; returns what was written."""
    a, n = t.accounts.c, t.networks.c
    names = {
        code: account_name(code, name, kind)
        for code, name, kind in conn.execute(select(a.code, a.name, a.type).order_by(a.code))
    }
    slugs = dict(conn.execute(select(n.id, n.slug)).all())
    first = conn.scalar(select(func.min(t.fiscal_years.c.start_date)))
    opened = first or date(2000, 1, 1)
    out.write('option "title" "Kassan"\noption "operating_currency" "SEK"\n\n')
    for code in sorted(names):
        out.write(f"{opened.isoformat()} open {names[code]}\n")
    out.write("\n")
    done = 0
    for lines in _entries(conn):
        head = lines[0]
        networks = sorted({slugs[r.network_id] for r in lines if r.network_id is not None})
        tags = "".join(f" #{tag(s)}" for s in networks)
        parts = [
            f"{head.date.isoformat()} * {string(head.text)}{tags}\n",
            f'  voucher: "{head.series}{head.number}"\n',
            f"  series: {string(head.series)}\n",
            f"  source: {string(head.source_key)}\n",
            f"  source_kind: {string(head.source_kind)}\n",
        ]
        for r in lines:
            amount = r.debit_ore - r.credit_ore
            parts.append(f"  {names[r.account]}  {kronor(amount)} {r.currency}\n")
            if r.network_id is not None:
                parts.append(f"    network: {string(slugs[r.network_id])}\n")
        parts.append("\n")
        out.write("".join(parts))
        done += 1
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done)
    if progress is not None:
        progress(done)
    return BeancountSummary(accounts=len(names), transactions=done)
