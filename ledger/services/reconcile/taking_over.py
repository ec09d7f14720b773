"""A bank line in suspense whose money another source then books: it is the same money, so
that source takes the line over instead of booking the bank account a second time.

Today's case: a Stripe payout that the bank statement shows before Stripe's ``payout.paid``
arrives. The statement's line found nothing to match and went 1930 / 2890 (suspense); the
payout, booked as usual, would then put 1930 / 1580 and the krona would be on the bank account
twice. Instead the payout's entry moves the line's money out of suspense, 2890 / 1580, under
the payout's own source key, and an allocation row (kind ``payout``) ties the line to that
entry, so the line leaves the desk's queue and the matcher never pairs it again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, select

from ledger.chart import BANK, SUSPENSE
from ledger.db import tables as t
from ledger.entries import Draft
from ledger.errors import LedgerError
from ledger.services import bank_accounts, posting
from ledger.services.reconcile.undoing import undo

__all__ = ["give_back", "take_over", "waiting_line"]

KIND = "payout"


def waiting_line(
    conn: Connection,
    amount_ore: int,
    currency: str,
    day: date,
    within: timedelta,
    *,
    naming: str | None = None,
) -> Any:
    """The one unmatched incoming bank line on our bank account (1930) still wholly in suspense
    with this amount, booked within ``within`` of ``day``, under its row lock; a line whose
    message or reference holds ``naming`` (the payout's id) is taken first. None when there is
    no such line, or several and none names it: a guess between two lines is no match."""
    b = t.bank_lines.c
    rows = conn.execute(
        select(t.bank_lines)
        .where(
            b.direction == "in",
            b.match_kind == "unmatched",
            and_(b.amount_ore == amount_ore, b.open_ore == amount_ore),
            b.currency == currency,
            b.booking_date.between(day - within, day + within),
        )
        .order_by(b.id)
        .with_for_update()
    ).all()
    ours = [r for r in rows if bank_accounts.ledger_account_of(conn, r.account) == BANK]
    if naming:
        named = [r for r in ours if naming in f"{r.message or ''} {r.reference or ''}"]
        if named:
            return named[0]
    return ours[0] if len(ours) == 1 else None


def take_over(conn: Connection, line: Any, draft: Draft) -> tuple[int, bool]:
    """Book ``draft`` (which must take the line's whole open amount out of suspense) as the
    line's allocation; returns (entry id, booked now). Booked once per source key: a repeated
    call returns the entry the first one booked."""
    suspense = sum(x.debit_ore - x.credit_ore for x in draft.lines if x.account == SUSPENSE)
    if suspense != int(line.open_ore):
        raise LedgerError(
            f"bank line {line.id}: the entry takes {suspense} öre out of suspense, "
            f"the line has {line.open_ore} open",
            "amount",
        )
    entry, new = posting.post_once(conn, draft)
    if not new:
        return entry.id, False
    conn.execute(
        t.bank_line_allocations.insert().values(
            line_id=line.id,
            kind=KIND,
            amount_ore=suspense,
            entry_id=entry.id,
            note=draft.text[:500],
            created_at=datetime.now(UTC),
        )
    )
    lowered = conn.execute(
        t.bank_lines.update()
        .where(t.bank_lines.c.id == line.id, t.bank_lines.c.open_ore == suspense)
        .values(open_ore=0)
    )
    if lowered.rowcount != 1:  # the line is locked by waiting_line; only a bug gets here
        raise LedgerError(f"bank line {line.id} changed while it was taken over", "open_ore")
    return entry.id, True


def give_back(conn: Connection, entry_id: int, on: date) -> bool:
    """Undo the take-over booked as ``entry_id`` (the payout failed after all): the entry is
    reversed and the line's money is open in suspense again, for the desk. False when the
    entry took no line over."""
    a = t.bank_line_allocations.c
    allocation_id = conn.scalar(select(a.id).where(a.entry_id == entry_id, a.kind == KIND))
    if allocation_id is None:
        return False
    undo(conn, int(allocation_id), on=on)
    return True
