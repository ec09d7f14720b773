"""Proof that the books are what was posted: ``kassan ledger verify``.

Walks every entry in id order and checks, independently of the triggers that should have
prevented any of it: the hash chain and each entry's own hash (recomputed from the stored
rows), balance per currency, line sides, numbering without gaps per series and year, dates
inside the fiscal year, reversal links, lines without an entry, the head row, that no entry
dated in a closed period was written after the close, and that the kept balances equal the
sums of the lines. The first problem of each kind is reported with
the entry it concerns, so an auditor can go straight to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.db import tables as t
from ledger.entries import GENESIS_HASH, PostedEntry, PostedLine
from ledger.services import journal

BalanceKey = tuple[str, int, int, int, str]  # account, network (0: none), year, month, currency


@dataclass(frozen=True, slots=True)
class Problem:
    entry_id: int | None
    voucher: str | None
    message: str

    def __str__(self) -> str:
        if self.entry_id is None:
            return f"ledger: {self.message}"
        return f"entry {self.entry_id} ({self.voucher}): {self.message}"


@dataclass
class Report:
    entries: int = 0
    lines: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _entries(conn: Connection) -> Iterator[PostedEntry]:
    """Entries with their lines, in id order, streamed (one pass, bounded memory)."""
    e, ln = t.journal_entries.c, t.journal_lines.c
    query = (
        select(
            e.id,
            e.series,
            e.number,
            e.fiscal_year,
            e.date,
            e.text,
            e.source_kind,
            e.source_key,
            e.reverses_id,
            e.prev_hash,
            e.hash,
            *journal.LINE_COLUMNS,
        )
        .select_from(t.journal_entries.outerjoin(t.journal_lines, ln.entry_id == e.id))
        .order_by(e.id, ln.line_no)
    )
    head: Any = None
    lines: list[PostedLine] = []
    for r in conn.execution_options(stream_results=True, yield_per=20_000).execute(query):
        if head is None or head.id != r.id:
            if head is not None:
                yield _entry(head, lines)
            head, lines = r, []
        if r.line_no is not None:
            lines.append(journal.posted_line(r))
    if head is not None:
        yield _entry(head, lines)


def _entry(r: Any, lines: list[PostedLine]) -> PostedEntry:
    return PostedEntry(
        id=r.id,
        series=r.series,
        number=r.number,
        fiscal_year=r.fiscal_year,
        date=r.date,
        text=r.text,
        source_kind=r.source_kind,
        source_key=r.source_key,
        reverses_id=r.reverses_id,
        prev_hash=r.prev_hash,
        hash=r.hash,
        lines=tuple(lines),
    )


class _Checker:
    def __init__(self, conn: Connection) -> None:
        fy = t.fiscal_years.c
        self.years = {
            r.year: (r.start_date, r.end_date)
            for r in conn.execute(select(fy.year, fy.start_date, fy.end_date))
        }
        self.report = Report()
        self.kinds: set[str] = set()
        self.last_hash = GENESIS_HASH
        self.last_id = 0
        self.numbers: dict[tuple[str, int], int] = defaultdict(int)
        self.sums: dict[BalanceKey, list[int]] = defaultdict(lambda: [0, 0])
        self.ids: set[int] = set()

    def problem(self, kind: str, message: str, entry: PostedEntry | None = None) -> None:
        # One report per kind: a changed row would otherwise echo down the whole chain.
        if kind not in self.kinds:
            self.kinds.add(kind)
            self.report.problems.append(
                Problem(entry.id if entry else None, entry.voucher if entry else None, message)
            )

    def entry(self, en: PostedEntry) -> None:
        self.report.entries += 1
        self.report.lines += len(en.lines)
        if en.id <= self.last_id:
            self.problem("order", "entry ids are out of order", en)
        if en.prev_hash != self.last_hash:
            self.problem("chain", "prev_hash does not match the previous entry's hash", en)
        if en.content_hash() != en.hash:
            self.problem("hash", "its content does not match its hash: changed after posting", en)
        if len(en.lines) < 2:
            self.problem("lines", f"has {len(en.lines)} line(s); an entry needs two", en)
        balance: dict[str, int] = defaultdict(int)
        for ln in en.lines:
            if min(ln.debit_ore, ln.credit_ore) < 0 or (ln.debit_ore > 0) == (ln.credit_ore > 0):
                self.problem("side", f"line {ln.line_no} is not exactly one positive side", en)
            balance[ln.currency] += ln.debit_ore - ln.credit_ore
            kept = self.sums[
                (ln.account, ln.network_id or 0, en.fiscal_year, en.date.month, ln.currency)
            ]
            kept[0] += ln.debit_ore
            kept[1] += ln.credit_ore
        for currency, diff in sorted(balance.items()):
            if diff:
                self.problem("balance", f"does not balance in {currency} ({diff} öre)", en)
        series_key = (en.series, en.fiscal_year)
        expected = self.numbers[series_key] + 1
        if en.number != expected:
            self.problem(
                "number",
                f"number {en.number} breaks series {en.series} {en.fiscal_year} "
                f"(expected {expected})",
                en,
            )
        self.numbers[series_key] = en.number
        span = self.years.get(en.fiscal_year)
        if span is None or not (span[0] <= en.date <= span[1]):
            self.problem("year", f"date {en.date} is outside fiscal year {en.fiscal_year}", en)
        if en.reverses_id is not None and en.reverses_id not in self.ids:
            self.problem("reversal", f"reverses entry {en.reverses_id}, not an earlier one", en)
        self.ids.add(en.id)
        self.last_hash, self.last_id = en.hash, en.id


def verify(conn: Connection, progress: Callable[[int], None] | None = None) -> Report:
    checker = _Checker(conn)
    for en in _entries(conn):
        checker.entry(en)
        if progress is not None and checker.report.entries % 10_000 == 0:
            progress(checker.report.entries)

    e, ln = t.journal_entries.c, t.journal_lines.c
    orphans = conn.scalar(
        select(func.count())
        .select_from(t.journal_lines)
        .where(~select(e.id).where(e.id == ln.entry_id).exists())
    )
    if orphans:
        checker.problem("orphans", f"{orphans} line(s) belong to no entry")

    heads = conn.execute(
        select(t.ledger_head.c.id, t.ledger_head.c.last_entry_id, t.ledger_head.c.last_hash)
    ).all()
    if not heads:
        # Posting takes this row's lock and extends the chain from it: without it nothing can
        # be booked, and what was booked can no longer be proved complete.
        checker.problem("head", "the ledger's head row is missing (table ledger_head is empty)")
    elif len(heads) > 1 or heads[0].id != 1:
        checker.problem("head", f"the ledger has {len(heads)} head rows; it must have one, id 1")
    elif (heads[0].last_entry_id, heads[0].last_hash) != (checker.last_id, checker.last_hash):
        checker.problem("head", "the head row does not point at the last entry")

    _late_in_closed_period(conn, checker)

    kept = {
        (r.account, r.network_id, r.fiscal_year, r.period, r.currency): [r.debit_ore, r.credit_ore]
        for r in conn.execute(select(t.account_balances))
        if r.debit_ore or r.credit_ore
    }
    summed = {k: v for k, v in checker.sums.items() if v[0] or v[1]}
    differing = sorted(
        (kept.keys() ^ summed.keys())
        | {k for k in kept.keys() & summed.keys() if kept[k] != summed[k]}
    )
    if differing:
        account, network, year, month, currency = differing[0]
        checker.problem(
            "balances",
            f"the kept balance of account {account}, network {network or '-'}, "
            f"{year}-{month:02d} {currency} differs from the sum of its lines",
        )
    return checker.report


def _late_in_closed_period(conn: Connection, checker: _Checker) -> None:
    """An entry dated on or before a closing's date but written after it got past the guard
    (a trigger dropped, rows written by hand): the closed books changed after the close."""
    e, c = t.journal_entries.c, t.period_closings.c
    late = conn.execute(
        select(e.id, e.series, e.number, e.date, c.through, c.closed_at)
        .join(t.period_closings, (e.date <= c.through) & (e.created_at > c.closed_at))
        .order_by(e.id, c.closed_at)
        .limit(1)
    ).first()
    if late is not None:
        checker.report.problems.append(
            Problem(
                late.id,
                f"{late.series}{late.number}",
                f"dated {late.date.isoformat()}, in the period closed through "
                f"{late.through.isoformat()} at {late.closed_at}, but written after the close",
            )
        )
