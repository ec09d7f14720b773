"""Matching bank lines to what we expect or have already booked, a batch at a time.

For each payment, in this order:

1. ``confirmed``: the payment in the world is booked already: its key is a journal entry's
   source key (another file or the Swish callback booked it), an earlier bank line with the
   same key holds its entry, the Swish callback booked the payment request this reference
   belongs to, or it is a Stripe payout booked from Stripe's side (its ``po_`` id in the text,
   else the one payout of that amount within two days);
2. ``ocr``: the structured reference (or a Swish report's order id, our payeePaymentReference)
   is a valid OCR reference of an expected payment;
3. ``text``: a valid reference of an expected payment stands in the free text or Swish message;
4. ``amount_name``: exactly one open expected payment wants this amount from this payer name;
5. ``unmatched``: nothing; the importer books it to suspense (2890).

Every look-up is one query per batch (``IN`` over the batch's keys, references, amounts), so a
100,000-line file costs a few dozen queries, not a few hundred thousand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, select

from ledger.chart import BANK
from ledger.db import dialect
from ledger.db import tables as t
from ledger.references import is_valid_reference
from ledger.services import expected
from ledger.services.expected import ExpectedPayment
from webhooks.bankfiles.records import SWISH, BankLine
from webhooks.stripe import bookings as stripe_bookings

__all__ = ["Match", "candidate_references", "match_batch"]

_DIGITS = re.compile(r"(?<!\d)\d{8,25}(?!\d)")  # our references are 8 digits or more
_PAYOUT_ID = re.compile(r"\bpo_[A-Za-z0-9]+\b")
_PAYOUT_DAYS = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Match:
    kind: str  # 'ocr' | 'text' | 'amount_name' | 'confirmed' | 'unmatched'
    expected: ExpectedPayment | None = None
    entry_id: int | None = None  # confirmed: the entry that booked the payment already
    same_as: str | None = None  # confirmed by an earlier line of this batch with this key
    note: str | None = None


def candidate_references(line: BankLine) -> tuple[str | None, list[str]]:
    """The structured reference (when a valid OCR reference) and those found in the text.

    A Swish payment we asked for through the Swish API carries our reference as its
    ``payeePaymentReference``, which the bank's Swish report gives in its order-id column
    (``raw["order_id"]``): that is as good as a structured reference, and comes first.
    """
    structured = line.reference if line.reference and is_valid_reference(line.reference) else None
    found = [m for m in _DIGITS.findall(line.message or "") if is_valid_reference(m)]
    order = dict(line.raw).get("order_id") if line.channel == SWISH else None
    if order and order != structured and is_valid_reference(order):
        if structured:
            found.insert(0, structured)
        structured = order
    return structured, found


def _name(value: str | None) -> str:
    return " ".join((value or "").casefold().split())


def _booked(conn: Connection, keys: list[str]) -> dict[str, int]:
    """Keys booked already: by a journal entry of their own, or confirmed by a bank line."""
    e, b = t.journal_entries.c, t.bank_lines.c
    found = {
        r.source_key: int(r.id)
        for r in conn.execute(
            select(e.source_key, e.id).where(dialect.among(conn, e.source_key, keys))
        )
    }
    for r in conn.execute(
        select(b.key, b.entry_id).where(dialect.among(conn, b.key, keys), b.entry_id.is_not(None))
    ):
        found.setdefault(r.key, int(r.entry_id))
    return found


def _swish_bookings(conn: Connection, refs: set[str]) -> dict[str, list[tuple[int, int]]]:
    """Payment requests the Swish callback booked, by our reference: (entry id, amount)."""
    if not refs:
        return {}
    s, b = t.swish_payments.c, t.bank_lines.c
    claimed = select(b.entry_id).where(b.entry_id == s.entry_id).exists()
    out: dict[str, list[tuple[int, int]]] = {}
    for r in conn.execute(
        select(s.payee_payment_reference, s.entry_id, s.amount_ore).where(
            dialect.among(conn, s.payee_payment_reference, refs), s.entry_id.is_not(None), ~claimed
        )
    ):
        out.setdefault(r.payee_payment_reference, []).append((int(r.entry_id), int(r.amount_ore)))
    return out


def _payouts(conn: Connection, lines: list[BankLine]) -> list[tuple[int, str, Any, int]]:
    """Stripe payouts booked to 1930 around these days and not yet seen in a bank file."""
    days = {ln.booking_date for ln in lines}
    if not days:
        return []
    e, jl, b = t.journal_entries.c, t.journal_lines.c, t.bank_lines.c
    claimed = select(b.entry_id).where(b.entry_id == e.id).exists()
    rows = conn.execute(
        select(e.id, e.source_key, e.date, jl.debit_ore)
        .select_from(t.journal_entries.join(t.journal_lines, jl.entry_id == e.id))
        .where(
            e.source_key.like("stripe:payout:%"),
            and_(jl.account == BANK, jl.debit_ore > 0),
            e.date.between(min(days) - _PAYOUT_DAYS, max(days) + _PAYOUT_DAYS),
            ~claimed,
        )
    )
    return [(int(r.id), r.source_key, r.date, int(r.debit_ore)) for r in rows]


def match_batch(conn: Connection, lines: list[BankLine]) -> list[Match]:
    """One ``Match`` per line, in order."""
    booked = _booked(conn, list({ln.key for ln in lines}))
    refs: list[tuple[str | None, list[str]]] = [
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
    by_amount = expected.open_by_amounts(conn, {ln.amount.ore for ln in rest})
    return _decide(lines, refs, booked, by_ref, swish, payouts, by_amount)


def _decide(
    lines: list[BankLine],
    refs: list[tuple[str | None, list[str]]],
    booked: dict[str, int],
    by_ref: dict[str, ExpectedPayment],
    swish: dict[str, list[tuple[int, int]]],
    payouts: list[tuple[int, str, Any, int]],
    by_amount: dict[int, list[ExpectedPayment]],
) -> list[Match]:
    out: list[Match] = []
    first_key: set[str] = set()
    taken: set[int] = set()  # swish entries, payouts and amount+name matches used in this batch
    for ln, (structured, found) in zip(lines, refs, strict=True):
        if ln.key in booked:
            out.append(Match("confirmed", entry_id=booked[ln.key], note="redan bokförd"))
            continue
        if ln.key in first_key:
            out.append(Match("confirmed", same_as=ln.key, note="två gånger i filen"))
            continue
        first_key.add(ln.key)
        if not ln.is_credit:
            out.append(Match("unmatched"))
            continue
        out.append(_credit(ln, structured, found, by_ref, swish, payouts, by_amount, taken))
    return out


def _credit(
    ln: BankLine,
    structured: str | None,
    found: list[str],
    by_ref: dict[str, ExpectedPayment],
    swish: dict[str, list[tuple[int, int]]],
    payouts: list[tuple[int, str, Any, int]],
    by_amount: dict[int, list[ExpectedPayment]],
    taken: set[int],
) -> Match:
    for ref in [structured, *found] if structured else found:
        for entry_id, amount_ore in swish.get(ref, []):
            if amount_ore == ln.amount.ore and entry_id not in taken:
                taken.add(entry_id)
                return Match("confirmed", entry_id=entry_id, note="bokförd av Swish")
    if structured and structured in by_ref:
        return Match("ocr", expected=by_ref[structured])
    for ref in found:
        if ref in by_ref:
            return Match("text", expected=by_ref[ref])
    payout = _payout(ln, payouts, taken)
    if payout is not None:
        taken.add(payout)
        return Match("confirmed", entry_id=payout, note="Stripe-utbetalning")
    name = _name(ln.payer_name)
    if name:
        hits = [
            x
            for x in by_amount.get(ln.amount.ore, [])
            if x.currency == ln.amount.currency and _name(x.payer_name) == name
        ]
        if len(hits) == 1 and -hits[0].id not in taken:
            taken.add(-hits[0].id)  # negative: expected ids, apart from entry ids
            return Match("amount_name", expected=hits[0])
    return Match("unmatched")


def _payout(ln: BankLine, payouts: list[tuple[int, str, Any, int]], taken: set[int]) -> int | None:
    text = " ".join(x for x in (ln.message, ln.reference) if x)
    named = {stripe_bookings.key("payout", m) for m in _PAYOUT_ID.findall(text)}
    for entry_id, key, _day, _ore in payouts:
        if key in named and entry_id not in taken:
            return entry_id
    near = [
        entry_id
        for entry_id, _key, day, ore in payouts
        if ore == ln.amount.ore
        and abs(day - ln.booking_date) <= _PAYOUT_DAYS
        and entry_id not in taken
    ]
    return near[0] if len(near) == 1 else None
