"""What a card payment's facts book in the ledger, each once, through ``ledger.services.posting``.

The source key names the fact in Stripe's world, never the event that told us about it, so
that several events about one payment (``checkout.session.completed``, ``payment_intent.
succeeded``, ``invoice.paid``, a retry) book it once, in whatever order they come:

========================== =============================== ============================
fact                       source key                      lines (``POSTING_RULES``)
========================== =============================== ============================
gift paid (charge)         ``stripe:charge:<ch_id>``       1580 / 3993 (network, donor)
Stripe's fee on it         ``stripe:fee:<txn_id>``         6570 / 1580
refund (each one)          ``stripe:refund:<re_id>``       3993 (network, donor) / 1580
funds withdrawn (dispute)  ``stripe:dispute:<dp_id>``      3993 + 6570 fee / 1580
funds reinstated           ``stripe:dispute_won:<dp_id>``  1580 / 3993 (and fee back)
payout to the bank         ``stripe:payout:<po_id>``       1930 / 1580
========================== =============================== ============================

Amounts are Stripe's own (öre for SEK); the fee comes from the charge's balance transaction.
Disputes are booked in ``disputes``. A refund that fails and a payout that fails after it was
paid are undone by reversing their entry (``posting.reverse``, key ``reversal:<entry id>``,
at most once): the money is back on 1580.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ledger.chart import GIFT_INCOME, PAYOUT_DAYS, POSTING_RULES, SUSPENSE
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft, PostedEntry
from ledger.errors import AlreadyReversed, LedgerError
from ledger.money import Money
from ledger.services import journal, posting
from ledger.services.reconcile import taking_over
from webhooks.errors import NotYetBookable

SERIES = "K"
SOURCE_KIND = "stripe"
_STOCKHOLM = ZoneInfo("Europe/Stockholm")

Obj = Mapping[str, Any]


def key(kind: str, stripe_id: str) -> str:
    """The source key of one Stripe fact: ``stripe:<kind>:<id>`` (charge, fee, refund, dispute,
    dispute_won, payout). The one place the format lives; the collection links use it too."""
    return f"stripe:{kind}:{stripe_id}"


def booking_date(unix: int | None) -> date:
    """The Swedish calendar day of a Stripe timestamp."""
    moment = datetime.fromtimestamp(unix, UTC) if unix else datetime.now(UTC)
    return moment.astimezone(_STOCKHOLM).date()


def _currency(obj: Obj) -> str:
    return str(obj["currency"]).upper()


def _draft(key: str, day: date, text: str, lines: tuple[LineDraft, ...]) -> Draft:
    return Draft(
        date=day,
        text=text[:500],
        lines=lines,
        series=SERIES,
        source_kind=SOURCE_KIND,
        source_key=key,
    )


def _post(key: str, day: date, text: str, lines: tuple[LineDraft, ...], conn: Connection) -> bool:
    return posting.post_once(conn, _draft(key, day, text, lines))[1]


def post_follow_up(
    charge_entry_id: int,
    key: str,
    day: date,
    text: str,
    lines: tuple[LineDraft, ...],
    conn: Connection,
) -> bool:
    """Post a refund, dispute or won dispute and, in the same transaction, link it to the
    charge's entry (``stripe_charge_links``), which the donor's documents follow."""
    entry, booked = posting.post_once(conn, _draft(key, day, text, lines))
    if booked:
        conn.execute(
            t.stripe_charge_links.insert().values(
                entry_id=entry.id, charge_entry_id=charge_entry_id
            )
        )
    return booked


def _pair(rule: str, ore: int, currency: str, **dims: Any) -> tuple[LineDraft, LineDraft]:
    """The debit and credit line of a posting rule; ``dims`` go on the 3993 line."""
    debit, credit = POSTING_RULES[rule]
    return (
        LineDraft(debit, ore, 0, currency, **(dims if debit == GIFT_INCOME else {})),
        LineDraft(credit, 0, ore, currency, **(dims if credit == GIFT_INCOME else {})),
    )


def book_charge(
    conn: Connection, charge: Obj, *, network: str | None, contributor_id: int | None, label: str
) -> None:
    """Book a paid charge (the gift) and Stripe's fee on it from its balance transaction."""
    txn = charge.get("balance_transaction")
    if not isinstance(txn, Mapping):
        raise NotYetBookable(f"charge {charge['id']} has no balance transaction yet")
    currency = _currency(charge)
    day = booking_date(charge.get("created"))
    _post(
        key("charge", charge["id"]),
        day,
        f"Kortgåva {label} ({charge['id']})",
        _pair(
            "card_gift",
            int(charge["amount"]),
            currency,
            network=network,
            contributor_id=contributor_id,
        ),
        conn,
    )
    fee = int(txn["fee"])
    if fee > 0:
        _post(
            key("fee", txn["id"]),
            booking_date(txn.get("created")),
            f"Stripe-avgift {label} ({txn['id']})",
            _pair("card_fee", fee, _currency(txn)),
            conn,
        )


def _dimensions(conn: Connection, entry: PostedEntry) -> dict[str, Any]:
    income = next((ln for ln in entry.lines if ln.account == GIFT_INCOME), None)
    if income is None:
        raise LedgerError(f"entry {entry.voucher} books no gift income", "source_key")
    slugs = journal.network_slugs(conn)
    return {
        "network": slugs[income.network_id] if income.network_id is not None else None,
        "contributor_id": income.contributor_id,
    }


def gift_dimensions(conn: Connection, charge_id: str) -> dict[str, Any] | None:
    """Network and contributor of the booked gift of a charge, or None if it is not booked."""
    entry = journal.find_by_source_key(conn, key("charge", charge_id))
    return None if entry is None else _dimensions(conn, entry)


def booked_gift(conn: Connection, charge_id: str) -> tuple[int, dict[str, Any]]:
    """The entry id of the charge's booked gift and its network and contributor."""
    entry = journal.find_by_source_key(conn, key("charge", charge_id))
    if entry is None:
        raise NotYetBookable(f"the gift of charge {charge_id} is not booked yet")
    return entry.id, _dimensions(conn, entry)


# A refund takes the money from the Stripe balance when it is made (pending), not when the
# bank says it reached the card (succeeded); a failed or canceled one gives it back.
REFUND_MOVED = frozenset({"pending", "succeeded"})
REFUND_UNDONE = frozenset({"failed", "canceled"})


def book_refund(conn: Connection, refund: Obj, heard_on: date | None = None) -> bool:
    """Book one refund (partial or whole) against the gift's network and donor once Stripe has
    taken the money for it; reverse that booking, dated ``heard_on`` (the event's day), when
    the refund failed afterwards."""
    status = refund.get("status")
    if status in REFUND_UNDONE:
        return undo(
            conn,
            key("refund", refund["id"]),
            heard_on or booking_date(None),
            f"Återbetalning misslyckades, gåvan står kvar ({refund['charge']}, {refund['id']})",
        )
    if status not in REFUND_MOVED:
        return False
    charge_entry_id, dims = booked_gift(conn, str(refund["charge"]))
    return post_follow_up(
        charge_entry_id,
        key("refund", refund["id"]),
        booking_date(refund.get("created")),
        f"Återbetald kortgåva ({refund['charge']}, {refund['id']})",
        _pair("card_refund", int(refund["amount"]), _currency(refund), **dims),
        conn,
    )


def undo(conn: Connection, booked_key: str, day: date, text: str) -> bool:
    """Reverse the entry booked under ``booked_key``, once; False when nothing is booked there
    or it is reversed already."""
    entry = journal.find_by_source_key(conn, booked_key)
    if entry is None or entry.reversed_by_id is not None:
        return False
    try:
        posting.reverse(conn, entry.id, on=max(day, entry.date), text_=text[:500])
    except AlreadyReversed:
        return False  # another applier reversed it first
    return True


def reversal_key(conn: Connection, booked_key: str) -> str | None:
    """The source key of the reversal of the entry booked under ``booked_key``, if any."""
    entry = journal.find_by_source_key(conn, booked_key)
    return None if entry is None or entry.reversed_by_id is None else f"reversal:{entry.id}"


def book_payout(conn: Connection, payout: Obj) -> bool:
    """Book money moved from the Stripe balance (1580) to the bank (1930).

    When the bank's statement showed the payout first, its line found nothing to match and sits
    in suspense (1930 / 2890): the payout then takes that line over, 2890 / 1580, so the money
    is on 1930 once (``reconcile.taking_over``)."""
    payout_key = key("payout", payout["id"])
    if journal.find_by_source_key(conn, payout_key) is not None:
        return False
    day = booking_date(payout.get("arrival_date") or payout.get("created"))
    amount, currency = int(payout["amount"]), _currency(payout)
    text = f"Utbetalning från Stripe ({payout['id']})"
    line = taking_over.waiting_line(
        conn, amount, currency, day, PAYOUT_DAYS, naming=str(payout["id"])
    )
    if line is None:
        return _post(payout_key, day, text, _pair("card_payout", amount, currency), conn)
    _bank, clearing = POSTING_RULES["card_payout"]
    money = Money(amount, currency)
    lines = (LineDraft.debit(SUSPENSE, money), LineDraft.credit(clearing, money))
    draft = _draft(payout_key, day, f"{text}, redan på banken: bankrad {line.id}", lines)
    return taking_over.take_over(conn, line, draft)[1]


def undo_payout(conn: Connection, payout: Obj, day: date) -> bool:
    """A payout that failed after it was paid: the bank sent it back, so it is on 1580 again.
    A payout that took a statement's line over gives that line back to suspense."""
    booked = journal.find_by_source_key(conn, key("payout", payout["id"]))
    if (
        booked is not None
        and booked.reversed_by_id is None
        and taking_over.give_back(conn, booked.id, max(day, booked.date))
    ):
        return True
    return undo(
        conn,
        key("payout", payout["id"]),
        day,
        f"Utbetalning från Stripe misslyckades, tillbaka hos Stripe ({payout['id']})",
    )
