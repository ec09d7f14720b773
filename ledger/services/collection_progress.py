"""How far a collection has come, read from what the ledger booked.

Two streams count as raised:

* bank and Swish money: receipts (not undone) on the collection's own repeating expected
  payment and on the expected payments of gifts given on its page;
* card money: each charge booked for a gift given on its page, linked to the collection in
  ``collection_entries`` by the Stripe handler in the same transaction as the booking
  (``link_card_gift``), net of that charge's refunds and disputes (``link_card_follow_ups``;
  a won dispute links the money back). A monthly card gift is one charge, and one entry, per
  paid month, so every paid month counts.

The gift's status is never read: a refunded gift stops counting because its refund entry is
linked, not because its status says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Connection, func, select

from ledger.chart import GIFT_INCOME
from ledger.db import dialect
from ledger.db import tables as t
from ledger.entries import PostedEntry
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.services import journal


class Counted(Protocol):
    """What progress needs of a collection (``collections.Collection`` is one)."""

    @property
    def id(self) -> int: ...
    @property
    def expected_payment_id(self) -> int | None: ...
    @property
    def goal(self) -> Money: ...


__all__ = ["Progress", "link_card_follow_ups", "link_card_gift", "progress"]


@dataclass(frozen=True, slots=True)
class Progress:
    raised: Money
    gift_count: int
    cash_reported: Money
    latest: list[tuple[str, Money, date]]  # shown name ("anonym" when not chosen), amount, day

    def percent(self, goal: Money) -> int:
        return min(100, self.raised.ore * 100 // goal.ore) if goal.ore else 0


# --- linking card entries (called by the Stripe handlers, inside their transaction) -----------


def _income_net(entry: PostedEntry) -> tuple[int, str]:
    """What the entry did to gift income: credits minus debits on 3993, and its currency."""
    lines = [ln for ln in entry.lines if ln.account == GIFT_INCOME]
    if not lines:
        raise LedgerError(f"entry {entry.series}{entry.number} books no gift income", "entry_id")
    return sum(ln.credit_ore - ln.debit_ore for ln in lines), lines[0].currency


def _link(
    conn: Connection,
    *,
    collection_id: int,
    entry: PostedEntry,
    gift_id: int | None,
    of_entry_id: int | None,
) -> bool:
    net, currency = _income_net(entry)
    if net == 0:
        return False
    # UNIQUE(entry_id): a duplicate or retried event links nothing twice.
    result = conn.execute(
        dialect.insert(conn, t.collection_entries)
        .values(
            collection_id=collection_id,
            entry_id=entry.id,
            of_entry_id=of_entry_id,
            gift_id=gift_id,
            kind="gift" if net > 0 else "refund",
            amount_ore=abs(net),
            currency=currency,
            booked_on=entry.date,
        )
        .on_conflict_do_nothing(index_elements=["entry_id"])
    )
    return bool(result.rowcount)


def _booked(conn: Connection, source_key: str) -> PostedEntry:
    entry = journal.find_by_source_key(conn, source_key)
    if entry is None:
        raise LedgerError(f"nothing is booked under {source_key}", "source_key")
    return entry


def link_card_gift(conn: Connection, gift_id: int, source_key: str) -> bool:
    """Link the entry booked under ``source_key`` (a card charge) to the collection its gift
    was given on, if any; says whether a link was made now."""
    collection_id = conn.scalar(select(t.gifts.c.collection_id).where(t.gifts.c.id == gift_id))
    if collection_id is None:
        return False
    entry = _booked(conn, source_key)
    return _link(
        conn, collection_id=int(collection_id), entry=entry, gift_id=gift_id, of_entry_id=None
    )


def link_card_follow_ups(conn: Connection, gift_key: str, source_keys: Iterable[str]) -> int:
    """Link the refunds, disputes and won disputes booked under ``source_keys`` to the
    collection of the charge booked under ``gift_key``; how many links were made now. Keys
    with nothing booked (a refund that has not succeeded) are passed over."""
    gift_entry = journal.find_by_source_key(conn, gift_key)
    if gift_entry is None:
        return 0
    ce = t.collection_entries.c
    root = conn.execute(
        select(ce.collection_id, ce.gift_id).where(ce.entry_id == gift_entry.id)
    ).first()
    if root is None:
        return 0  # not a collection's gift
    made = 0
    for key in source_keys:
        entry = journal.find_by_source_key(conn, key)
        if entry is not None:
            made += _link(
                conn,
                collection_id=int(root.collection_id),
                entry=entry,
                gift_id=root.gift_id,
                of_entry_id=gift_entry.id,
            )
    return made


# --- reading ----------------------------------------------------------------------------------


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _bank(conn: Connection, current: Counted) -> list[tuple[int, date, str | None]]:
    e, r, g = t.expected_payments.c, t.expected_payment_receipts.c, t.gifts.c
    via_gift = select(e.id).join(t.gifts, e.gift_id == g.id).where(g.collection_id == current.id)
    ids = [current.expected_payment_id] if current.expected_payment_id else []
    rows = conn.execute(
        select(
            (r.amount_ore - r.surplus_ore).label("ore"),
            r.received_on.label("day"),
            g.shown_name.label("name"),
        )
        .select_from(
            t.expected_payment_receipts.join(
                t.expected_payments, r.expected_payment_id == e.id
            ).outerjoin(t.gifts, e.gift_id == g.id)
        )
        .where(
            r.reversal_entry_id.is_(None),
            r.amount_ore > r.surplus_ore,
            (e.id.in_(ids)) | e.id.in_(via_gift),
        )
    )
    return [(int(row.ore), _day(row.day), row.name) for row in rows]


def _card(conn: Connection, collection_id: int) -> list[tuple[int, date, str | None]]:
    """One item per card charge, net of what was refunded or disputed; a charge wholly
    refunded is no gift any more."""
    ce, g, j = t.collection_entries.c, t.gifts.c, t.journal_entries.c
    undone = select(j.reverses_id).where(j.reverses_id.is_not(None))
    rows = conn.execute(
        select(ce.entry_id, ce.of_entry_id, ce.kind, ce.amount_ore, ce.booked_on, g.shown_name)
        .select_from(t.collection_entries.outerjoin(t.gifts, ce.gift_id == g.id))
        .where(ce.collection_id == collection_id, ce.entry_id.not_in(undone))
    )
    net: dict[int, int] = {}
    first: dict[int, tuple[date, str | None]] = {}
    for row in rows:
        root = int(row.of_entry_id or row.entry_id)
        net[root] = net.get(root, 0) + (row.amount_ore if row.kind == "gift" else -row.amount_ore)
        if row.of_entry_id is None:
            first[root] = (_day(row.booked_on), row.shown_name)
    return [(ore, *first[root]) for root, ore in net.items() if ore > 0 and root in first]


def progress(conn: Connection, current: Counted, *, latest: int = 10) -> Progress:
    """Raised, the number of gifts, the cash the organiser reported and the latest gifts."""
    rows = _bank(conn, current) + _card(conn, current.id)
    cash = t.collection_cash.c
    reported = conn.execute(
        select(func.coalesce(func.sum(cash.amount_ore), 0)).where(cash.collection_id == current.id)
    ).scalar_one()
    currency = current.goal.currency
    ordered = sorted(rows, key=lambda row: row[1], reverse=True)
    return Progress(
        raised=Money(sum(ore for ore, _, _ in rows), currency),
        gift_count=len(rows),
        cash_reported=Money(int(reported), currency),
        latest=[
            (name or "anonym", Money(ore, currency), day) for ore, day, name in ordered[:latest]
        ],
    )
