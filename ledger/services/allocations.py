"""Allocating unrestricted money to a network: leadership's (or finance's) decision, booked.

Gifts given "where it is needed most" are booked to 3993 without a network. Leadership may give
part of a year's unrestricted income to a network; ``allocate`` books that as an entry of its
own in series A (Allokeringar): 3993 debit without a network, 3993 credit with the network,
dated in the year. Past entries are never edited; an allocation made in error is undone with
``posting.reverse``. The form's one-time token is the source key, so a form sent twice books
once. No more may be allocated than the year's unrestricted income not yet allocated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from ledger.chart import GIFT_INCOME
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft, PostedEntry
from ledger.errors import AllocationConflict, AllocationRefused, DimensionNotFound
from ledger.money import Money
from ledger.services import journal, posting

__all__ = ["Allocation", "allocate", "unallocated"]

SERIES = "A"
SOURCE_KIND = "allocation"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
_MAX_NOTE = 300


@dataclass(frozen=True, slots=True)
class Allocation:
    entry_id: int
    voucher: str
    year: int
    date: date
    network: str
    amount_ore: int
    text: str
    new: bool  # False: this token was booked before; nothing changed now


def unallocated(conn: Connection, year: int, currency: str = "SEK") -> Money:
    """The year's unrestricted income (3993 without a network, net) not yet allocated."""
    b = t.account_balances.c
    net = conn.scalar(
        select(func.coalesce(func.sum(b.credit_ore) - func.sum(b.debit_ore), 0)).where(
            b.account == GIFT_INCOME,
            b.network_id == 0,
            b.fiscal_year == year,
            b.currency == currency,
        )
    )
    return Money(int(net or 0), currency)


def _record(entry: PostedEntry, slug: str, new: bool) -> Allocation:
    credit = next(ln for ln in entry.lines if ln.credit_ore > 0)
    return Allocation(
        entry_id=entry.id,
        voucher=entry.voucher,
        year=entry.fiscal_year,
        date=entry.date,
        network=slug,
        amount_ore=credit.credit_ore,
        text=entry.text,
        new=new,
    )


def _check(year: int, amount: Money, note: str, token: str) -> str:
    if not 2000 <= year <= 2200:
        raise AllocationRefused(f"year {year} is out of range", "year")
    if amount.ore <= 0:
        raise AllocationRefused("an allocation must be above zero", "amount_ore")
    if amount.currency != "SEK":
        raise AllocationRefused("allocations are made in SEK", "currency")
    note = " ".join(note.split())
    if not note:
        raise AllocationRefused("say why: an allocation needs a note", "note")
    if len(note) > _MAX_NOTE:
        raise AllocationRefused(f"the note is longer than {_MAX_NOTE} characters", "note")
    if not _TOKEN.match(token):
        raise AllocationRefused("the form token must be 8-100 letters, digits, - or _", "token")
    return note


def allocate(
    conn: Connection,
    *,
    year: int,
    network_id: int,
    amount: Money,
    note: str,
    user: int | None,
    token: str,
    on: date | None = None,
) -> Allocation:
    """Book ``amount`` of ``year``'s unrestricted income to the network, in the caller's
    transaction; the same ``token`` again returns the first allocation (``new`` False).

    ``on`` is the accounting date, which must lie in ``year`` (default: today, or the year's
    last day for a past year).
    """
    note = _check(year, amount, note, token)
    n = t.networks.c
    network = conn.execute(select(n.slug, n.name).where(n.id == network_id)).first()
    if network is None:
        raise DimensionNotFound(f"no network {network_id}", "network")
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    day = on or min(today, date(year, 12, 31))
    if day.year != year:
        raise AllocationRefused(f"the date {day.isoformat()} is not in {year}", "date")
    # The ledger head's row lock, which every posting takes: from here to our entry no one
    # can book (or allocate) on this ledger, so the check below still holds when we post.
    # On SQLite the write transaction (BEGIN IMMEDIATE) already serialises writers.
    conn.execute(select(t.ledger_head.c.id).where(t.ledger_head.c.id == 1).with_for_update())
    key = f"{SOURCE_KIND}:{token}"
    before = journal.find_by_source_key(conn, key)
    if before is not None:
        first = _record(before, network.slug, new=False)
        credited = next(ln for ln in before.lines if ln.credit_ore > 0)
        if credited.network_id != network_id or first.amount_ore != amount.ore:
            raise AllocationConflict(
                f"form token {token} was used for {before.voucher}, a different allocation",
                "token",
            )
        return first
    free = unallocated(conn, year, amount.currency)
    if amount.ore > free.ore:
        raise AllocationRefused(
            f"only {free!s} of {year}'s unrestricted income is unallocated; "
            f"{amount!s} cannot be allocated",
            "amount_ore",
        )
    entry, new = posting.post_once(
        conn,
        Draft(
            date=day,
            text=f"Allokering till {network.name}: {note}"[:500],
            series=SERIES,
            source_kind=SOURCE_KIND,
            source_key=key,
            lines=(
                LineDraft.debit(GIFT_INCOME, amount),
                LineDraft.credit(GIFT_INCOME, amount, network=network.slug),
            ),
        ),
        created_by=user,
    )
    return _record(entry, network.slug, new)
