"""Matching bank lines to what we expect or have already booked, a batch at a time.

This module asks the database; ``webhooks.bankfiles.decide`` holds the order of the steps
(confirmed, ocr, text, amount_name, unmatched) and decides each line from what was found.
Every look-up is one query per batch (``IN`` over the batch's keys, references, amounts), so a
100,000-line file costs a few dozen queries, not a few hundred thousand.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, false, func, literal_column, or_, select

from ledger.chart import BANK
from ledger.db import dialect
from ledger.db import tables as t
from ledger.money import Money
from ledger.services import bank_accounts, expected
from ledger.services.autogiro import deposits
from webhooks.bankfiles.decide import (
    PAYOUT_DAYS,
    Booked,
    Deposit,
    Found,
    Match,
    MatchKind,
    Payout,
    References,
    candidate_references,
    decide,
    payout_keys,
)
from webhooks.bankfiles.records import AUTOGIRO, BankLine

__all__ = ["match_batch"]


def _booked(conn: Connection, keys: list[str]) -> dict[str, Booked]:
    """Keys booked already, with what the booking says: the bank line that booked or confirmed
    the key first (its amount, date and account), else a journal entry of that source key
    (its bank-account amount and date; a callback names no bank account)."""
    e, jl, b = t.journal_entries.c, t.journal_lines.c, t.bank_lines.c
    found: dict[str, Booked] = {}
    for r in conn.execute(
        select(b.key, b.entry_id, b.direction, b.amount_ore, b.currency, b.booking_date, b.account)
        .where(
            dialect.among(conn, b.key, keys),
            b.entry_id.is_not(None),
            b.match_kind != MatchKind.CONFLICT,
        )
        .order_by(b.id)
    ):
        sign = 1 if r.direction == "in" else -1
        amount = Money(sign * int(r.amount_ore), r.currency)
        found.setdefault(r.key, Booked(int(r.entry_id), amount, r.booking_date, r.account))
    rest = [k for k in keys if k not in found]
    if not rest:
        return found
    # Every ledger account a bank account of ours books to (1930, 1940, ...).
    banks = {BANK, *bank_accounts.ledger_accounts(conn).values()}
    bank = and_(jl.entry_id == e.id, jl.account.in_(sorted(banks)))
    for entry in conn.execute(
        select(
            e.source_key,
            e.id,
            e.date,
            jl.currency,
            func.coalesce(func.sum(jl.debit_ore - jl.credit_ore), 0).label("ore"),
        )
        .select_from(t.journal_entries.outerjoin(t.journal_lines, bank))
        .where(dialect.among(conn, e.source_key, rest))
        .group_by(e.source_key, e.id, e.date, jl.currency)
        .order_by(e.id)
    ):
        amount = Money(int(entry.ore), entry.currency or "SEK")
        found.setdefault(entry.source_key, Booked(int(entry.id), amount, entry.date))
    return found


def _swish_bookings(conn: Connection, refs: set[str]) -> dict[str, list[tuple[int, int]]]:
    """What Swish callbacks booked, by our reference: (entry id, amount). Both kinds: one-off
    payment requests and monthly charges (a consent's charges share its reference, one entry
    each month), each entry not yet claimed by a bank line."""
    if not refs:
        return {}
    b = t.bank_lines.c
    out: dict[str, list[tuple[int, int]]] = {}
    for table in (t.swish_payments, t.swish_recurring_payments):
        s = table.c
        claimed = select(b.entry_id).where(b.entry_id == s.entry_id).exists()
        query = (
            select(s.payee_payment_reference, s.entry_id, s.amount_ore)
            .where(
                dialect.among(conn, s.payee_payment_reference, refs),
                s.entry_id.is_not(None),
                ~claimed,
            )
            .order_by(s.created_at)
        )
        for r in conn.execute(query):
            out.setdefault(r.payee_payment_reference, []).append(
                (int(r.entry_id), int(r.amount_ore))
            )
    return out


def _payout_entries(conn: Connection) -> list[int]:
    """The ids of every Stripe payout's entry, found through the source key's unique index
    alone (there are few), for the payout query to start from. Asked in one query of their
    own: joined with the rest, both planners preferred the index on the entries' date or on
    the bank account's lines, and a 100,000-line import booked on one day then read every
    entry booked so far in every batch (45 ms a batch on SQLite, 70-90 ms on PostgreSQL, by
    its end). SQLite's LIKE ignores case and cannot use the index; its GLOB is case-sensitive
    and can (source keys are written in lower case). PostgreSQL's LIKE uses it (C collation).
    """
    key = t.journal_entries.c.source_key
    if dialect.is_postgresql(conn):
        # A constant in the SQL, not a parameter: a statement psycopg prepares (from its fifth
        # run) gets a generic plan, which cannot turn a LIKE parameter into an index range.
        payout = key.like(literal_column("'stripe:payout:%'"))
    else:
        payout = key.op("GLOB")("stripe:payout:*")
    return [int(i) for i in conn.execute(select(t.journal_entries.c.id).where(payout)).scalars()]


def _payouts(conn: Connection, lines: list[BankLine]) -> list[Payout]:
    """Stripe payouts booked to the bank, not yet seen in a bank file: those around these days
    (to be found by amount) and those a line names by id, on whatever day they were booked (a
    payout reaches the bank days after Stripe sends it, later still over a weekend)."""
    days = {ln.booking_date for ln in lines}
    if not days:
        return []
    ids = _payout_entries(conn)
    if not ids:
        return []
    named = sorted({key for ln in lines for key in payout_keys(ln)})
    e, jl, b = t.journal_entries.c, t.journal_lines.c, t.bank_lines.c
    claimed = select(b.entry_id).where(b.entry_id == e.id).exists()
    rows = conn.execute(
        select(e.id, e.source_key, e.date, jl.debit_ore)
        .select_from(t.journal_entries.join(t.journal_lines, jl.entry_id == e.id))
        .where(
            dialect.among(conn, e.id, ids),
            and_(jl.account == BANK, jl.debit_ore > 0),
            or_(
                e.date.between(min(days) - PAYOUT_DAYS, max(days) + PAYOUT_DAYS),
                dialect.among(conn, e.source_key, named) if named else false(),
            ),
            ~claimed,
        )
    )
    return [Payout(int(r.id), r.source_key, r.date, int(r.debit_ore)) for r in rows]


def _deposits(lines: list[BankLine], conn: Connection) -> list[Deposit]:
    """Autogiro deposits (and, negative, sections of refunds) booked from Bankgirot's side
    around these days, no bank line's yet."""
    days = [ln.booking_date for ln in lines if ln.channel == AUTOGIRO]
    if not days:
        return []
    return [
        Deposit(d.id, d.entry_id, d.day, deposits.latest_day(d.day), d.amount.ore, d.entries)
        for d in deposits.waiting(conn, min(days), max(days))
        if d.amount.currency == "SEK"
    ]


def match_batch(conn: Connection, lines: list[BankLine]) -> list[Match]:
    """One ``Match`` per line, in order."""
    booked = _booked(conn, list({ln.key for ln in lines}))
    refs: list[References] = [
        candidate_references(ln) if ln.is_credit else (None, []) for ln in lines
    ]
    wanted = {r for s, found in refs for r in ([s] if s else []) + found}
    by_ref = expected.by_references(conn, wanted)
    swish = _swish_bookings(conn, wanted)
    rest = [
        ln
        for ln, (s, found) in zip(lines, refs, strict=True)
        if ln.is_credit and ln.key not in booked and not any(r in by_ref for r in [s, *found])
    ]
    payouts = _payouts(conn, rest)
    outgoing = [ln for ln in lines if not ln.is_credit and ln.key not in booked]
    found_deposits = _deposits(rest + outgoing, conn)  # Autogiro refunds leave as one debit
    by_amount = expected.open_by_amounts(conn, {ln.amount.ore for ln in rest})
    return decide(lines, Found(booked, by_ref, swish, payouts, found_deposits, by_amount), refs)
