"""One batch of bank lines into the ledger: match them, book the cash entries in bulk, record
the receipts on their expected payments, move any surplus to suspense, and store the lines.

Runs inside the importer's transaction; every write here is undone with the import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from ledger.chart import BANK
from ledger.db import dialect
from ledger.db import tables as t
from ledger.money import Money
from ledger.services import expected, gift_payments, posting
from ledger.services.autogiro import deposits
from webhooks.bankfiles.bookings import cash_draft, surplus_draft
from webhooks.bankfiles.decide import MATCHED, Match, MatchKind
from webhooks.bankfiles.matcher import match_batch
from webhooks.bankfiles.records import BankLine

__all__ = ["BatchCounts", "book_batch"]

# Kinds that book a new entry; a confirmed line is booked already, a conflict waits for finance.
_BOOKS = (*MATCHED, MatchKind.UNMATCHED)


@dataclass
class BatchCounts:
    """The import's running totals; the names are ``bank_imports`` columns."""

    line_count: int = 0
    credit_count: int = 0
    credit_ore: int = 0
    debit_count: int = 0
    debit_ore: int = 0  # positive: what went out
    booked_count: int = 0
    confirmed_count: int = 0
    matched_count: int = 0
    unmatched_count: int = 0
    conflict_count: int = 0  # key booked with other content: nothing booked, finance decides

    def add(self, line: BankLine, match: Match) -> None:
        self.line_count += 1
        if line.is_credit:
            self.credit_count += 1
            self.credit_ore += line.amount.ore
        else:
            self.debit_count += 1
            self.debit_ore -= line.amount.ore
        if match.kind == MatchKind.CONFIRMED:
            self.confirmed_count += 1
            return
        if match.kind == MatchKind.CONFLICT:
            self.conflict_count += 1
            return
        self.booked_count += 1
        if match.kind in MATCHED:
            self.matched_count += 1
        else:
            self.unmatched_count += 1


def _entry_ids(conn: Connection, keys: list[str]) -> dict[str, int]:
    e = t.journal_entries.c
    if not keys:
        return {}
    return {
        r.source_key: int(r.id)
        for r in conn.execute(
            select(e.source_key, e.id).where(dialect.among(conn, e.source_key, keys))
        )
    }


def _cut(value: str | None, size: int) -> str | None:
    return None if value is None else value[:size]


def _row(
    import_id: int,
    line: BankLine,
    match: Match,
    entry_id: int | None,
    open_ore: int,
    conflict_entry_id: int | None = None,
) -> dict[str, Any]:
    return {
        "import_id": import_id,
        "line_no": line.line_no,
        "key": line.key[:200],
        "booking_date": line.booking_date,
        "value_date": line.value_date,
        "direction": "in" if line.is_credit else "out",
        "amount_ore": abs(line.amount.ore),
        "currency": line.amount.currency,
        "reference": _cut(line.reference, 35),
        "message": _cut(line.message, 500),
        "payer_name": _cut(line.payer_name, 140),
        "payer_account": _cut(line.payer_account, 50),
        "account": _cut(line.account, 50),
        "channel": _cut(line.channel, 20),
        "match_kind": match.kind,
        "expected_payment_id": match.expected.id if match.expected else None,
        "entry_id": entry_id,
        "conflict_entry_id": conflict_entry_id,
        "open_ore": open_ore,
        "note": match.note,
    }


def book_batch(
    conn: Connection,
    import_id: int,
    lines: list[BankLine],
    slugs: dict[int, str],
    user_id: int | None,
    counts: BatchCounts,
    mail_config: Mapping[str, object] | None = None,
    banks: Mapping[str | None, str] | None = None,
) -> list[Match]:
    """Match, book and store one batch of lines, adding to ``counts``; a bankgiro or Swish gift
    paid by a line moves to paid and gets its receipt queued (``mail_config``: the app's).
    ``banks`` maps a line's account to the ledger account its money books to (default 1930).
    Returns each line's match, in order."""
    matches = match_batch(conn, lines)
    to_book = [(ln, m) for ln, m in zip(lines, matches, strict=True) if m.kind in _BOOKS]
    banks = banks or {}
    posting.post_many(
        conn,
        (cash_draft(ln, m.expected, slugs, banks.get(ln.account, BANK)) for ln, m in to_book),
        created_by=user_id,
    )
    ids = _entry_ids(conn, [ln.key for ln, _ in to_book])
    open_ore: dict[int, int] = {}
    paid = []
    for ln, m in to_book:
        if m.expected is None:  # suspense holds all of it, in or out
            open_ore[ln.line_no] = abs(ln.amount.ore)
        else:
            paid.append((ln, m.expected))
    receipts = expected.record_receipts(
        conn,
        [expected.Receipt(x.id, ids[ln.key], ln.amount, ln.key, ln.booking_date) for ln, x in paid],
    )
    gift_payments.settle(
        conn,
        [
            (r, ln.key, ln.amount.ore, ln.booking_date)
            for (ln, _), r in zip(paid, receipts, strict=True)
        ],
        config=mail_config,
    )
    surplus = []
    for (ln, x), receipt in zip(paid, receipts, strict=True):
        if receipt.surplus_ore > 0:
            open_ore[ln.line_no] = receipt.surplus_ore
            extra = Money(receipt.surplus_ore, ln.amount.currency)
            surplus.append(surplus_draft(ln, x, extra, slugs))
    if surplus:
        posting.post_many(conn, surplus, created_by=user_id)
    rows = []
    for ln, m in zip(lines, matches, strict=True):
        counts.add(ln, m)
        entry_id = ids.get(m.same_as) if m.same_as else m.entry_id
        if m.kind == MatchKind.CONFLICT:  # booked nowhere: the entry is the one it collides with
            rows.append(_row(import_id, ln, m, None, 0, entry_id))
            continue
        if m.kind in _BOOKS:
            entry_id = ids[ln.key]
        rows.append(_row(import_id, ln, m, entry_id, open_ore.get(ln.line_no, 0)))
    _store_lines(conn, rows)
    _claim_deposits(conn, import_id, lines, matches)
    return matches


def _store_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """The batch's bank lines: by COPY on PostgreSQL, where SQLAlchemy's executemany of 500
    rows of 20 columns took a fifth of a batch (as the posting writer does for its rows);
    one executemany on SQLite."""
    if not dialect.is_postgresql(conn):
        conn.execute(t.bank_lines.insert(), rows)
        return
    if not rows:
        return
    columns = tuple(rows[0])
    dialect.copy_rows(conn, "bank_lines", columns, ([row[c] for c in columns] for row in rows))


def _claim_deposits(
    conn: Connection, import_id: int, lines: list[BankLine], matches: list[Match]
) -> None:
    """Each line confirmed as an Autogiro deposit becomes that deposit's bank line."""
    claims = {
        ln.line_no: m.deposit_id for ln, m in zip(lines, matches, strict=True) if m.deposit_id
    }
    if not claims:
        return
    b = t.bank_lines.c
    for row in conn.execute(
        select(b.id, b.line_no).where(b.import_id == import_id, b.line_no.in_(sorted(claims)))
    ):
        deposits.claim(conn, claims[row.line_no], int(row.id))
