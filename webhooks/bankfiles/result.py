"""One import's result, the same object for the command line, the finance desk and the API.

Lines read, booked (matched and unmatched), already booked (verified equal), conflicts, skipped
(pending or information entries, reported and not booked), the file's totals beside what the
books now hold for it, per group, and every difference in words. ``ok`` is False when a line
is in conflict or the totals disagree: the CLI then exits 1, the desk and the API say so. The
result is stored with the import (``bank_imports`` and its ``summary``), so it reads the same
when it is looked at later (``load``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import tables as t
from webhooks.bankfiles.decide import MatchKind
from webhooks.bankfiles.ledgering import BatchCounts
from webhooks.bankfiles.records import BankFile
from webhooks.bankfiles.tally import Tally

__all__ = ["ConflictLine", "ImportResult", "conflict_lines", "file_summary", "from_row", "load"]

CONFLICTS_SHOWN = 200


@dataclass(frozen=True, slots=True)
class ConflictLine:
    """A line booked nowhere, beside the entry booked under its key that says otherwise."""

    import_id: int
    line_no: int
    key: str
    booking_date: date
    amount_ore: int  # signed: money in positive
    currency: str
    note: str | None
    entry_id: int | None
    entry: str | None  # "B 12, 2026-12-01: Oidentifierad inbetalning från ..."

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["booking_date"] = self.booking_date.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class ImportResult:
    id: int
    sha256: str
    filename: str
    format: str
    currency: str
    counts: BatchCounts
    summary: dict[str, Any] = field(default_factory=dict)
    cash_ore: int = 0  # the ledger's 1930 balance after the import, in the file's currency
    conflicts: tuple[ConflictLine, ...] = ()

    @property
    def groups(self) -> list[dict[str, Any]]:
        """Per deposit, statement or account: the file's totals beside what was booked."""
        return list(self.summary.get("groups", []))

    @property
    def problems(self) -> list[str]:
        """Every difference between the file and the books, in Swedish."""
        return list(self.summary.get("problems", []))

    @property
    def skipped(self) -> int:
        return int(self.summary.get("skipped", 0))

    @property
    def ok(self) -> bool:
        return not self.problems and self.counts.conflict_count == 0

    def total(self, what: str) -> int:
        """The groups' ``file_ore``, ``booked_ore``, ``already_ore`` or ``conflict_ore``."""
        return sum(int(g[what]) for g in self.groups if g["currency"] == self.currency)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sha256": self.sha256,
            "filename": self.filename,
            "format": self.format,
            "currency": self.currency,
            **asdict(self.counts),
            "skipped": self.skipped,
            "file_total_ore": self.total("file_ore"),
            "booked_total_ore": self.total("booked_ore") + self.total("already_ore"),
            "groups": self.groups,
            "problems": self.problems,
            "conflicts": [c.as_dict() for c in self.conflicts],
            "ok": self.ok,
            "summary": self.summary,
            "ledger_cash_ore": self.cash_ore,
        }


def conflict_lines(
    conn: Connection, import_id: int | None = None, limit: int = CONFLICTS_SHOWN
) -> tuple[ConflictLine, ...]:
    """Lines in conflict, each with the entry it collides with: one import's in file order, or
    (``import_id`` None) every import's, newest first, for the finance desk."""
    b, e = t.bank_lines.c, t.journal_entries.c
    which = [b.match_kind == MatchKind.CONFLICT]
    if import_id is not None:
        which.append(b.import_id == import_id)
    rows = conn.execute(
        select(
            b.import_id,
            b.line_no,
            b.key,
            b.booking_date,
            b.direction,
            b.amount_ore,
            b.currency,
            b.note,
            b.conflict_entry_id,
            e.series,
            e.number,
            e.date,
            e.text,
        )
        .select_from(t.bank_lines.outerjoin(t.journal_entries, e.id == b.conflict_entry_id))
        .where(*which)
        .order_by(b.line_no if import_id is not None else b.id.desc())
        .limit(limit)
    )
    return tuple(
        ConflictLine(
            r.import_id,
            r.line_no,
            r.key,
            r.booking_date,
            int(r.amount_ore) * (1 if r.direction == "in" else -1),
            r.currency,
            r.note,
            None if r.conflict_entry_id is None else int(r.conflict_entry_id),
            None if r.series is None else f"{r.series} {r.number}, {r.date.isoformat()}: {r.text}",
        )
        for r in rows
    )


def file_summary(file: BankFile, tally: Tally) -> dict[str, Any]:
    """What an import stores as its ``summary``: the file's own controls and balances, and its
    totals per group beside what was booked, with every difference in words."""
    return {
        "format": file.format,
        "created_at": file.created_at.isoformat() if file.created_at else None,
        "accounts": list(file.accounts),
        "period_start": file.period_start.isoformat() if file.period_start else None,
        "period_end": file.period_end.isoformat() if file.period_end else None,
        "controls": [
            {"what": c.what, "declared": c.declared, "computed": c.computed, "ok": c.ok}
            for c in file.controls
        ],
        "balances": [
            {
                "account": b.account,
                "currency": b.closing.currency,
                "opening_ore": b.opening.ore,
                "closing_ore": b.closing.ore,
                "closing_date": b.closing_date.isoformat() if b.closing_date else None,
            }
            for b in file.balances
        ],
        "skipped": file.skipped,
        "test": file.test,
        "groups": [g.as_dict() for g in tally.totals()],
        "problems": tally.problems(file.balances),
    }


def from_row(row: Any, cash_ore: int = 0, conflicts: tuple[ConflictLine, ...] = ()) -> ImportResult:
    """The result stored in a ``bank_imports`` row (its lines in conflict given apart)."""
    counts = BatchCounts(**{name: getattr(row, name) for name in BatchCounts.__dataclass_fields__})
    summary = json.loads(row.summary)
    return ImportResult(
        row.id,
        row.sha256,
        row.filename,
        row.format,
        row.currency,
        counts,
        summary,
        cash_ore,
        conflicts,
    )


def load(conn: Connection, import_id: int, cash_ore: int = 0) -> ImportResult | None:
    """An import's stored result with its lines in conflict, as it was shown when read."""
    row = conn.execute(select(t.bank_imports).where(t.bank_imports.c.id == import_id)).first()
    if row is None:
        return None
    return from_row(row, cash_ore, conflict_lines(conn, import_id))
