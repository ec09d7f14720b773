"""How each bank line of a batch is matched, decided from what the look-ups found.

``matcher`` asks the database once per batch and hands the answers over as ``Found``;
``decide`` then walks the lines in order and gives each one ``Match``, touching no database,
so every step can be tested on its own. For each payment, in this order:

1. ``confirmed``: the payment in the world is booked already: its key is a journal entry's
   source key (another file or the Swish callback booked it), an earlier line of the batch has
   the same key, the Swish callback booked the payment request this reference belongs to, or it
   is a Stripe payout booked from Stripe's side (its ``po_`` id in the text, else the one
   payout of that amount within two days);
2. ``ocr``: the structured reference (or a Swish report's order id, our payeePaymentReference)
   is a valid OCR reference of an expected payment;
3. ``text``: a valid reference of an expected payment stands in the free text or Swish message;
4. ``amount_name``: exactly one open expected payment wants this amount from this payer name;
5. ``unmatched``: nothing; the importer books it to suspense.

Money out is never matched here: it goes to suspense, and finance staff allocate it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from ledger.references import is_valid_reference
from ledger.services.expected import ExpectedPayment
from webhooks.bankfiles.records import SWISH, BankLine
from webhooks.stripe.bookings import key as stripe_key

__all__ = [
    "MATCHED",
    "PAYOUT_DAYS",
    "Found",
    "Match",
    "MatchKind",
    "Payout",
    "References",
    "candidate_references",
    "decide",
]

_DIGITS = re.compile(r"(?<!\d)\d{8,25}(?!\d)")  # our references are 8 digits or more
_PAYOUT_ID = re.compile(r"\bpo_[A-Za-z0-9]+\b")
PAYOUT_DAYS = timedelta(days=2)


class MatchKind(StrEnum):
    """How a bank line was matched; stored as ``bank_lines.match_kind``."""

    CONFIRMED = "confirmed"  # booked already: nothing new is booked for it
    OCR = "ocr"  # by its structured reference
    TEXT = "text"  # by a reference in its free text
    AMOUNT_NAME = "amount_name"  # by amount and payer name
    UNMATCHED = "unmatched"  # booked to suspense


MATCHED = (MatchKind.OCR, MatchKind.TEXT, MatchKind.AMOUNT_NAME)  # to an expected payment


@dataclass(frozen=True, slots=True)
class Match:
    kind: MatchKind
    expected: ExpectedPayment | None = None
    entry_id: int | None = None  # confirmed: the entry that booked the payment already
    same_as: str | None = None  # confirmed by an earlier line of this batch with this key
    note: str | None = None


class Payout(NamedTuple):
    """A Stripe payout booked to the bank account and not yet seen in a bank file."""

    entry_id: int
    key: str  # its source key, ``stripe:payout:<po_id>``
    day: date
    ore: int


References = tuple[str | None, list[str]]  # the structured reference, those in the text


@dataclass(frozen=True, slots=True)
class Found:
    """What the batch's look-ups found, keyed the way ``decide`` asks."""

    booked: Mapping[str, int] = field(default_factory=dict)  # line key -> entry that booked it
    by_ref: Mapping[str, ExpectedPayment] = field(default_factory=dict)  # reference -> its payment
    # our reference -> (entry id, amount) of each payment request the Swish callback booked
    swish: Mapping[str, list[tuple[int, int]]] = field(default_factory=dict)
    payouts: Sequence[Payout] = ()
    by_amount: Mapping[int, list[ExpectedPayment]] = field(default_factory=dict)  # open, by öre


def candidate_references(line: BankLine) -> References:
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


def decide(
    lines: Sequence[BankLine], found: Found, refs: Sequence[References] | None = None
) -> list[Match]:
    """One ``Match`` per line, in order. ``refs``: each line's ``candidate_references`` (for
    money in), when the caller has them already."""
    if refs is None:
        refs = [candidate_references(ln) if ln.is_credit else (None, []) for ln in lines]
    out: list[Match] = []
    first_key: set[str] = set()
    taken: set[int] = set()  # swish entries, payouts and amount+name matches used in this batch
    for ln, (structured, in_text) in zip(lines, refs, strict=True):
        if ln.key in found.booked:
            out.append(
                Match(MatchKind.CONFIRMED, entry_id=found.booked[ln.key], note="redan bokförd")
            )
            continue
        if ln.key in first_key:
            out.append(Match(MatchKind.CONFIRMED, same_as=ln.key, note="två gånger i filen"))
            continue
        first_key.add(ln.key)
        if not ln.is_credit:
            out.append(Match(MatchKind.UNMATCHED))
            continue
        out.append(_credit(ln, structured, in_text, found, taken))
    return out


def _credit(
    ln: BankLine, structured: str | None, in_text: list[str], found: Found, taken: set[int]
) -> Match:
    for ref in [structured, *in_text] if structured else in_text:
        for entry_id, amount_ore in found.swish.get(ref, []):
            if amount_ore == ln.amount.ore and entry_id not in taken:
                taken.add(entry_id)
                return Match(MatchKind.CONFIRMED, entry_id=entry_id, note="bokförd av Swish")
    if structured and structured in found.by_ref:
        return Match(MatchKind.OCR, expected=found.by_ref[structured])
    for ref in in_text:
        if ref in found.by_ref:
            return Match(MatchKind.TEXT, expected=found.by_ref[ref])
    payout = _payout(ln, found.payouts, taken)
    if payout is not None:
        taken.add(payout)
        return Match(MatchKind.CONFIRMED, entry_id=payout, note="Stripe-utbetalning")
    name = _name(ln.payer_name)
    if name:
        hits = [
            x
            for x in found.by_amount.get(ln.amount.ore, [])
            if x.currency == ln.amount.currency and _name(x.payer_name) == name
        ]
        if len(hits) == 1 and -hits[0].id not in taken:
            taken.add(-hits[0].id)  # negative: expected ids, apart from entry ids
            return Match(MatchKind.AMOUNT_NAME, expected=hits[0])
    return Match(MatchKind.UNMATCHED)


def _payout(ln: BankLine, payouts: Sequence[Payout], taken: set[int]) -> int | None:
    text = " ".join(x for x in (ln.message, ln.reference) if x)
    named = {stripe_key("payout", m) for m in _PAYOUT_ID.findall(text)}
    for entry_id, key, _day, _ore in payouts:
        if key in named and entry_id not in taken:
            return entry_id
    near = [
        entry_id
        for entry_id, _key, day, ore in payouts
        if ore == ln.amount.ore
        and abs(day - ln.booking_date) <= PAYOUT_DAYS
        and entry_id not in taken
    ]
    return near[0] if len(near) == 1 else None


def _name(value: str | None) -> str:
    return " ".join((value or "").casefold().split())
