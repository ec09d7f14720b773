"""How each bank line of a batch is matched, decided from what the look-ups found.

``matcher`` asks the database once per batch and hands the answers over as ``Found``;
``decide`` then walks the lines in order and gives each one ``Match``, touching no database,
so every step can be tested on its own. For each payment, in this order:

1. ``confirmed``: the payment in the world is booked already and the booking says the same
   thing: its key is a journal entry's source key (another file or the Swish callback booked
   it) or an earlier line of the batch has the same key, *and* amount, currency, date and bank
   account agree; the Swish callback booked the payment request this reference belongs to, for
   the same amount; or it is a Stripe payout booked from Stripe's side (its ``po_`` id in the
   text with the same amount, else the one payout of that amount within two days); or it is
   Bankgirot's deposit of a day's Autogiro debits (a line the bank file calls Autogiro, of a
   deposit's amount, on its payment day or up to two banking days later) that the payment
   specification booked already, or (money out) Bankgirot's debit of a section's payouts and
   refunds to payers, kept the same way with a negative amount;
   ``conflict``: the key (or the Swish order id, or the payout id) is booked, but the booking
   says something else. A key is never proof: the line is neither booked nor confirmed, it
   waits for finance staff beside the entry it collides with;
2. ``ocr``: the structured reference (or a Swish report's order id, our payeePaymentReference)
   is a valid OCR reference of an expected payment;
3. ``text``: a valid reference of an expected payment stands in the free text or Swish message;
4. ``amount_name``: exactly one open expected payment wants this amount from this payer name;
5. ``unmatched``: nothing; the importer books it to suspense.

Money out is matched here only by its key or as an Autogiro refund section: the rest goes to
suspense, and finance staff allocate it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from ledger.chart import PAYOUT_DAYS
from ledger.money import Money
from ledger.references import is_valid_reference
from ledger.services.expected import ExpectedPayment
from webhooks.bankfiles.records import AUTOGIRO, SWISH, BankLine
from webhooks.stripe.bookings import key as stripe_key

__all__ = [
    "MATCHED",
    "PAYOUT_DAYS",
    "Booked",
    "Deposit",
    "Found",
    "Match",
    "MatchKind",
    "Payout",
    "References",
    "candidate_references",
    "decide",
    "differences",
    "payout_keys",
]

_DIGITS = re.compile(r"(?<!\d)\d{8,25}(?!\d)")  # our references are 8 digits or more
_PAYOUT_ID = re.compile(r"\bpo_[A-Za-z0-9]+\b")


class MatchKind(StrEnum):
    """How a bank line was matched; stored as ``bank_lines.match_kind``."""

    CONFIRMED = "confirmed"  # booked already: nothing new is booked for it
    OCR = "ocr"  # by its structured reference
    TEXT = "text"  # by a reference in its free text
    AMOUNT_NAME = "amount_name"  # by amount and payer name
    UNMATCHED = "unmatched"  # booked to suspense
    CONFLICT = "conflict"  # its key is booked with other content: nothing booked, finance decides


MATCHED = (MatchKind.OCR, MatchKind.TEXT, MatchKind.AMOUNT_NAME)  # to an expected payment


@dataclass(frozen=True, slots=True)
class Match:
    kind: MatchKind
    expected: ExpectedPayment | None = None
    entry_id: int | None = None  # confirmed or conflict: the entry booked under its key
    same_as: str | None = None  # confirmed by (or in conflict with) an earlier line's key
    note: str | None = None
    deposit_id: int | None = None  # confirmed: the Autogiro deposit this line is


class Booked(NamedTuple):
    """What was booked under a key, to hold a line against: an entry's id, its bank amount
    (signed as a bank line: positive is money in), its date and the bank account its line named
    (None when a callback booked it and no bank file named an account yet)."""

    entry_id: int | None
    amount: Money
    day: date
    account: str | None = None


def _said(line: BankLine) -> Booked:
    return Booked(None, line.amount, line.booking_date, line.account)


def _account(value: str) -> str:
    return "".join(value.split()).upper()


def _iban(value: str) -> bool:
    return len(value) > 4 and value[:2].isalpha() and value[2:4].isdigit()


def differences(line: BankLine, booked: Booked) -> tuple[str, ...]:
    """How the line differs from what was booked under its key, in Swedish for finance staff;
    empty when they say the same thing. Bank accounts are compared when both are IBANs: the
    other formats name other things in that field (a BgMax bankgiro, a Swish report's Swish
    number), which differ for the same payment."""
    out = []
    if line.amount != booked.amount:
        out.append(f"belopp {line.amount}, bokfört {booked.amount}")
    if line.booking_date != booked.day:
        out.append(f"datum {line.booking_date.isoformat()}, bokfört {booked.day.isoformat()}")
    if line.account and booked.account:
        mine, theirs = _account(line.account), _account(booked.account)
        if _iban(mine) and _iban(theirs) and mine != theirs:
            out.append(f"konto {line.account}, bokfört på {booked.account}")
    return tuple(out)


def _conflict(
    said: tuple[str, ...], entry_id: int | None = None, same_as: str | None = None
) -> Match:
    return Match(
        MatchKind.CONFLICT,
        entry_id=entry_id,
        same_as=same_as,
        note=("krock: " + "; ".join(said))[:500],
    )


class Payout(NamedTuple):
    """A Stripe payout booked to the bank account and not yet seen in a bank file."""

    entry_id: int
    key: str  # its source key, ``stripe:payout:<po_id>``
    day: date
    ore: int


class Deposit(NamedTuple):
    """An Autogiro deposit the payment specification booked, no bank line's yet: the bank
    may report it from ``first`` (the payment day) to ``last``. ``ore`` is signed as a bank
    line: below zero for a section of payouts and refunds (money out)."""

    id: int
    entry_id: int  # its first entry, which the confirming line points to
    first: date
    last: date
    ore: int
    entries: int


References = tuple[str | None, list[str]]  # the structured reference, those in the text


@dataclass(frozen=True, slots=True)
class Found:
    """What the batch's look-ups found, keyed the way ``decide`` asks."""

    booked: Mapping[str, Booked] = field(default_factory=dict)  # line key -> what was booked
    by_ref: Mapping[str, ExpectedPayment] = field(default_factory=dict)  # reference -> its payment
    # our reference -> (entry id, amount) of each payment request the Swish callback booked
    swish: Mapping[str, list[tuple[int, int]]] = field(default_factory=dict)
    payouts: Sequence[Payout] = ()
    deposits: Sequence[Deposit] = ()
    by_amount: Mapping[int, list[ExpectedPayment]] = field(default_factory=dict)  # open, by öre


def candidate_references(line: BankLine) -> References:
    """The structured reference (when a valid OCR reference) and those found in the text.

    A Swish payment we asked for through the Swish API carries our reference as its
    ``payeePaymentReference``, which the bank's Swish report gives in its order-id column
    (``raw["order_id"]``): that is as good as a structured reference, and comes first.
    """
    structured = line.reference if line.reference and is_valid_reference(line.reference) else None
    text = _DIGITS.findall(line.message) if line.message else []
    found = [m for m in text if is_valid_reference(m)]
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
    first_key: dict[str, Booked] = {}  # key -> what the batch's first line with it says
    taken: set[int] = set()  # swish entries, payouts and amount+name matches used in this batch
    for ln, (structured, in_text) in zip(lines, refs, strict=True):
        booked = found.booked.get(ln.key)
        if booked is not None:
            said = differences(ln, booked)
            out.append(
                _conflict(said, booked.entry_id)
                if said
                else Match(MatchKind.CONFIRMED, entry_id=booked.entry_id, note="redan bokförd")
            )
            continue
        earlier = first_key.get(ln.key)
        if earlier is not None:
            said = differences(ln, earlier)
            out.append(
                _conflict(said, same_as=ln.key)
                if said
                else Match(MatchKind.CONFIRMED, same_as=ln.key, note="två gånger i filen")
            )
            continue
        first_key[ln.key] = _said(ln)
        if not ln.is_credit:
            out.append(_confirmed_deposit(ln, found, taken) or Match(MatchKind.UNMATCHED))
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
    swished = _swish_conflict(ln, found, taken)
    if swished is not None:
        return swished
    if structured and structured in found.by_ref:
        return Match(MatchKind.OCR, expected=found.by_ref[structured])
    for ref in in_text:
        if ref in found.by_ref:
            return Match(MatchKind.TEXT, expected=found.by_ref[ref])
    named = _named_payout(ln, found.payouts, taken)
    if named is not None:
        taken.add(named.entry_id)
        if named.ore != ln.amount.ore:
            paid_out = Money(named.ore, ln.amount.currency)
            return _conflict((f"belopp {ln.amount}, utbetalningen {paid_out}",), named.entry_id)
        return Match(MatchKind.CONFIRMED, entry_id=named.entry_id, note="Stripe-utbetalning")
    payout = _payout_by_amount(ln, found.payouts, taken)
    if payout is not None:
        taken.add(payout)
        return Match(MatchKind.CONFIRMED, entry_id=payout, note="Stripe-utbetalning")
    deposit = _confirmed_deposit(ln, found, taken)
    if deposit is not None:
        return deposit
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


def _swish_conflict(ln: BankLine, found: Found, taken: set[int]) -> Match | None:
    """A Swish report line whose order id (our payeePaymentReference) names a payment request
    the Swish callback booked for another amount: the same payment, said two ways."""
    order = dict(ln.raw).get("order_id") if ln.channel == SWISH else None
    if not order:
        return None
    booked = [x for x in found.swish.get(order, []) if x[0] not in taken]
    if not booked:
        return None
    entry_id, amount_ore = booked[0]
    taken.add(entry_id)
    swished = Money(amount_ore, ln.amount.currency)
    return _conflict((f"belopp {ln.amount}, bokfört av Swish {swished}",), entry_id)


def payout_keys(ln: BankLine) -> set[str]:
    """The source keys of the Stripe payouts the line names (``po_...`` in its text)."""
    text = " ".join(x for x in (ln.message, ln.reference) if x)
    return {stripe_key("payout", m) for m in _PAYOUT_ID.findall(text)}


def _named_payout(ln: BankLine, payouts: Sequence[Payout], taken: set[int]) -> Payout | None:
    named = payout_keys(ln)
    return next((p for p in payouts if p.key in named and p.entry_id not in taken), None)


def _payout_by_amount(ln: BankLine, payouts: Sequence[Payout], taken: set[int]) -> int | None:
    near = [
        entry_id
        for entry_id, _key, day, ore in payouts
        if ore == ln.amount.ore
        and abs(day - ln.booking_date) <= PAYOUT_DAYS
        and entry_id not in taken
    ]
    return near[0] if len(near) == 1 else None


def _confirmed_deposit(ln: BankLine, found: Found, taken: set[int]) -> Match | None:
    """The line confirmed as an Autogiro deposit (money in) or as the debit of a section's
    payouts and refunds to payers (money out, a deposit of negative amount); None: it is none."""
    deposit = _deposit(ln, found.deposits, taken)
    if deposit is None:
        return None
    taken.add(deposit.entry_id)
    day, n = deposit.first.isoformat(), deposit.entries
    return Match(
        MatchKind.CONFIRMED,
        entry_id=deposit.entry_id,
        note=(
            f"Autogiro-insättning {day} ({n} dragningar)"
            if deposit.ore > 0
            else f"Autogiro-återbetalning {day} ({n} st)"
        ),
        deposit_id=deposit.id,
    )


def _deposit(ln: BankLine, deposits: Sequence[Deposit], taken: set[int]) -> Deposit | None:
    """The oldest deposit this Autogiro line can be: the same signed amount to the öre, in its
    days. Another amount is never a deposit: the line waits in suspense for finance."""
    if ln.channel != AUTOGIRO:
        return None
    return next(
        (
            d
            for d in deposits
            if d.ore == ln.amount.ore
            and d.first <= ln.booking_date <= d.last
            and d.entry_id not in taken
        ),
        None,
    )


def _name(value: str | None) -> str:
    return " ".join((value or "").casefold().split())
