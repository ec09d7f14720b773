"""Bank imports against the ledger, for the finance desk: per imported file, what the file
says beside what was read and booked; per bank account, the file's closing balance beside the
ledger's bank account (1930) on the same day; and money out still waiting for allocation.

Data first: plain records; the finance pages render them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from ledger.chart import BANK
from ledger.db import tables as t
from ledger.services import bank_accounts
from ledger.statuses import ImportJobStatus

__all__ = [
    "AccountCheck",
    "ImportReport",
    "ImportRow",
    "KindTotal",
    "being_imported",
    "cash_on",
    "import_report",
    "list_imports",
    "open_outgoing",
]


@dataclass(frozen=True, slots=True)
class ImportRow:
    id: int
    filename: str
    format: str
    imported_at: datetime
    line_count: int
    credit_count: int
    credit_ore: int
    debit_count: int
    debit_ore: int
    currency: str
    booked_count: int
    confirmed_count: int
    matched_count: int
    unmatched_count: int


@dataclass(frozen=True, slots=True)
class KindTotal:
    """The import's lines of one match kind: how many, their sum, and what is still open."""

    kind: str
    count: int
    amount_ore: int
    open_ore: int


@dataclass(frozen=True, slots=True)
class AccountCheck:
    """A statement's closing balance for one account beside its ledger account that day."""

    account: str
    closing_date: date | None
    closing_ore: int
    ledger_ore: int | None  # None: the file gives no date to compare on

    @property
    def difference_ore(self) -> int | None:
        return None if self.ledger_ore is None else self.ledger_ore - self.closing_ore


@dataclass(frozen=True, slots=True)
class ImportReport:
    file: ImportRow
    read_in: tuple[int, int]  # count and sum of incoming lines stored from the file
    read_out: tuple[int, int]
    kinds: tuple[KindTotal, ...]
    controls: tuple[dict[str, Any], ...]  # the file's own totals: what, declared, computed, ok
    accounts: tuple[AccountCheck, ...]
    open_ore: int


def _import_row(row: Any) -> ImportRow:
    return ImportRow(**{f: getattr(row, f) for f in ImportRow.__dataclass_fields__})


def being_imported() -> Any:
    """An import whose job still waits or runs: its totals are not written yet."""
    i, j = t.bank_imports.c, t.bank_import_jobs.c
    unfinished = [ImportJobStatus.WAITING, ImportJobStatus.RUNNING]
    return select(j.id).where(j.import_id == i.id, j.status.in_(unfinished)).exists()


def list_imports(conn: Connection, *, limit: int = 100) -> list[ImportRow]:
    """The finished imports, newest first (one still being booked is listed as its job)."""
    i = t.bank_imports.c
    rows = conn.execute(
        select(t.bank_imports)
        .where(~being_imported())
        .order_by(i.imported_at.desc(), i.id.desc())
        .limit(limit)
    )
    return [_import_row(r) for r in rows]


def cash_on(conn: Connection, day: date, currency: str = "SEK", account: str = BANK) -> int:
    """A bank ledger account's balance (1930 unless ``account``) at the end of ``day``: the
    kept monthly aggregates before the day's month, plus that month's lines up to the day."""
    b = t.account_balances.c
    before = conn.execute(
        select(func.coalesce(func.sum(b.debit_ore - b.credit_ore), 0)).where(
            b.account == account,
            b.currency == currency,
            or_(
                b.fiscal_year < day.year,
                and_(b.fiscal_year == day.year, b.period < day.month),
            ),
        )
    ).scalar_one()
    ln, e = t.journal_lines.c, t.journal_entries.c
    month = conn.execute(
        select(func.coalesce(func.sum(ln.debit_ore - ln.credit_ore), 0))
        .select_from(t.journal_lines.join(t.journal_entries, e.id == ln.entry_id))
        .where(
            ln.account == account,
            ln.currency == currency,
            e.date >= day.replace(day=1),
            e.date <= day,
        )
    ).scalar_one()
    return int(before) + int(month)


def import_report(conn: Connection, import_id: int) -> ImportReport | None:
    found = conn.execute(select(t.bank_imports).where(t.bank_imports.c.id == import_id)).first()
    if found is None:
        return None
    b = t.bank_lines.c
    sums = {
        (r.direction, r.match_kind): r
        for r in conn.execute(
            select(
                b.direction,
                b.match_kind,
                func.count().label("n"),
                func.coalesce(func.sum(b.amount_ore), 0).label("amount"),
                func.coalesce(func.sum(b.open_ore), 0).label("open"),
            )
            .where(b.import_id == import_id)
            .group_by(b.direction, b.match_kind)
        )
    }

    def side(direction: str) -> tuple[int, int]:
        picked = [r for (d, _k), r in sums.items() if d == direction]
        return sum(int(r.n) for r in picked), sum(int(r.amount) for r in picked)

    kinds = tuple(
        KindTotal(kind, int(r.n), int(r.amount), int(r.open))
        for (direction, kind), r in sorted(sums.items())
        if direction == "in"
    )
    summary = json.loads(found.summary or "{}")
    accounts = []
    for bal in summary.get("balances", []):
        closing = bal.get("closing_date")
        day = date.fromisoformat(closing) if closing else None
        # each statement beside the ledger account its bank account books to (1930, 1940, ...)
        booked_to = bank_accounts.ledger_account_of(conn, bal["account"])
        currency = bal.get("currency", found.currency)
        ledger = cash_on(conn, day, currency, booked_to) if day else None
        accounts.append(AccountCheck(bal["account"], day, int(bal["closing_ore"]), ledger))
    return ImportReport(
        file=_import_row(found),
        read_in=side("in"),
        read_out=side("out"),
        kinds=kinds,
        controls=tuple(summary.get("controls", [])),
        accounts=tuple(accounts),
        open_ore=sum(int(r.open) for r in sums.values()),
    )


@dataclass(frozen=True, slots=True)
class OutLine:
    id: int
    booking_date: date
    amount_ore: int
    open_ore: int
    payer_name: str | None
    message: str | None


def open_outgoing(conn: Connection, *, limit: int = 50) -> list[OutLine]:
    """Money out that the importer booked 2890 / 1930 and nobody has explained yet."""
    b = t.bank_lines.c
    rows = conn.execute(
        select(b.id, b.booking_date, b.amount_ore, b.open_ore, b.payer_name, b.message)
        .where(b.direction == "out", b.open_ore > 0)
        .order_by(b.booking_date.desc(), b.id.desc())
        .limit(limit)
    )
    return [OutLine(*r) for r in rows]
