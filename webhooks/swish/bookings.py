"""What a Swish payment or refund books in the ledger, each once, through ``posting``.

======================== ========================================== ===========================
fact                     source key                                 lines (series S)
======================== ========================================== ===========================
payment request PAID     ``swish:<paymentReference>``               1930 / 3993 (network, donor)
part nobody expected     ``swish-surplus:<paymentReference>``       3993 / 2890
refund PAID              ``swish-refund:<refund paymentReference>`` 3993 (network, donor) / 1930
======================== ========================================== ===========================

Why ``paymentReference``: it is the one id Swish gives the *payment* (not our request, not the
callback that told us), so a callback, a second callback, the status page's own fetch and a
retry all name it alike and ``post_once`` books it once. The key names the payment in the
world, as DESIGN.md asks. Note what it does not do: the Commerce API's ``paymentReference`` is
Swish's 32-hex id, while the bank's Swish report and camt.053 carry the bank's 16-digit
payment reference, so those reports cannot find the API's booking by this key. They find it by
our ``payeePaymentReference`` instead (the expected payment's OCR reference, which the Swish
report shows as the order id): ``swish_payments.payee_payment_reference`` leads to the payment
row, whose ``entry_id`` is the booking; the bank-file side must confirm it there rather than
book it again. The receipt recorded on the expected payment carries the same ``swish:`` key.

A payment beyond what the expected payment still wanted (the donor paid twice, or paid a gift
already paid by bankgiro) is money we hold but nobody asked for: the surplus goes to 2890
(suspense) for finance to refund or keep, as ``expected.record_receipt`` asks of its callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select, union_all

from ledger.chart import POSTING_RULES, SUSPENSE
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.services import dimensions, expected, posting
from ledger.statuses import GiftStatus

SERIES = "S"
SOURCE_KIND = "swish"
_STOCKHOLM = ZoneInfo("Europe/Stockholm")


def booking_date(moment: str | None) -> date:
    """The Swedish calendar day of a Swish timestamp (``2026-11-28T10:15:03.123Z``)."""
    if not moment:
        return datetime.now(_STOCKHOLM).date()
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(_STOCKHOLM).date()


def post_entry(
    conn: Connection, key: str, day: date, text: str, lines: tuple[LineDraft, ...]
) -> int:
    draft = Draft(
        date=day,
        text=text[:500],
        lines=lines,
        series=SERIES,
        source_kind=SOURCE_KIND,
        source_key=key,
    )
    return posting.post_once(conn, draft)[0].id


def _gift(conn: Connection, gift_id: int) -> Any:
    g, n = t.gifts.c, t.networks.c
    return conn.execute(
        select(g.id, g.contributor_id, g.donor_kind, g.donor_name, g.donor_email, n.slug)
        .select_from(t.gifts.outerjoin(t.networks, n.id == g.network_id))
        .where(g.id == gift_id)
    ).one()


def contributor_for(conn: Connection, gift_id: int, known: int | None) -> int:
    """The gift's contributor: the expected payment's, the gift's, found by e-mail, or new."""
    gift = _gift(conn, gift_id)
    contributor_id = known or gift.contributor_id
    if contributor_id is None:
        found = dimensions.find_contributor_by_email(conn, gift.donor_email)
        contributor_id = (
            found.id
            if found is not None
            else dimensions.create_contributor(
                conn, gift.donor_kind, gift.donor_name, gift.donor_email
            )
        )
    g = t.gifts.c
    conn.execute(
        t.gifts.update()
        .where(g.id == gift_id, g.contributor_id.is_(None))
        .values(contributor_id=contributor_id, updated_at=func.current_timestamp())
    )
    return int(contributor_id)


def claimed_by_a_callback() -> Any:
    """Entries a Swish callback booked or took over: one-off payment requests and monthly
    charges alike. Such an entry is one payment already; no second callback or bank line may
    claim it again."""
    sp, rp = t.swish_payments.c, t.swish_recurring_payments.c
    return union_all(
        select(sp.entry_id).where(sp.entry_id.is_not(None)),
        select(rp.entry_id).where(rp.entry_id.is_not(None)),
    )


def booked_by_the_bank(
    conn: Connection, expected_payment_id: int, amount: Money, key: str
) -> int | None:
    """The entry a bank report booked for this payment before its callback came: the bank's
    Swish report or camt, matched to the same expected payment by our reference, with the
    same amount, that no Swish callback (payment request or monthly charge) has claimed. The
    report names the payment by the bank's 16-digit reference, the callback by Swish's own id,
    so the keys differ and only the content can tell they are one payment (DESIGN: a key is
    never proof)."""
    r = t.expected_payment_receipts.c
    found = conn.scalar(
        select(r.entry_id)
        .where(
            r.expected_payment_id == expected_payment_id,
            r.source_key.like("swish:%"),
            r.source_key != key,
            r.amount_ore == amount.ore,
            r.currency == amount.currency,
            r.reversal_entry_id.is_(None),
            r.entry_id.not_in(claimed_by_a_callback()),
        )
        .order_by(r.id)
        .limit(1)
    )
    return None if found is None else int(found)


@dataclass(frozen=True, slots=True)
class Received:
    """A Swish payment received for an expected payment (a one-off gift's or a monthly
    consent's reference), as its entry will say it."""

    key: str  # swish:<paymentReference>
    day: date
    amount: Money
    expected_payment_id: int
    network: str | None
    contributor_id: int
    text: str
    surplus_text: str


def book_received(
    conn: Connection, paid: Received, surplus_key: str
) -> tuple[int, expected.RecordedReceipt]:
    """1930/3993 (network, donor) once under the payment's key, the receipt recorded on the
    expected payment, and what it brought beyond what was due moved from 3993 to suspense
    (2890) under ``surplus_key``; returns (entry id, receipt)."""
    debit, credit = POSTING_RULES["swish_gift"]
    dims = {"network": paid.network, "contributor_id": paid.contributor_id}
    entry_id = post_entry(
        conn,
        paid.key,
        paid.day,
        paid.text,
        (LineDraft.debit(debit, paid.amount), LineDraft.credit(credit, paid.amount, **dims)),
    )
    receipt = expected.record_receipt(
        conn,
        paid.expected_payment_id,
        entry_id=entry_id,
        amount=paid.amount,
        source_key=paid.key,
        received_on=paid.day,
    )
    if receipt.surplus_ore > 0:
        post_entry(
            conn,
            surplus_key,
            paid.day,
            paid.surplus_text,
            (
                LineDraft.debit(credit, receipt.surplus, **dims),
                LineDraft.credit(SUSPENSE, receipt.surplus),
            ),
        )
    return entry_id, receipt


def book_payment(conn: Connection, row: Any, fetched: dict[str, Any]) -> int:
    """Book a PAID payment request (``row`` is its ``swish_payments`` row); returns the entry.
    A payment the bank's report booked first is confirmed, not booked again."""
    reference = str(fetched["paymentReference"])
    amount = Money(int(row.amount_ore), row.currency)
    day = booking_date(fetched.get("datePaid"))
    key = f"swish:{reference}"
    if row.expected_payment_id is not None:
        first = booked_by_the_bank(conn, row.expected_payment_id, amount, key)
        if first is not None:
            _mark_paid(conn, row.gift_id)
            return first
    plan = expected.by_id(conn, row.expected_payment_id)
    received = Received(
        key=key,
        day=day,
        amount=amount,
        expected_payment_id=row.expected_payment_id,
        network=_gift(conn, row.gift_id).slug,
        contributor_id=contributor_for(conn, row.gift_id, plan.contributor_id if plan else None),
        text=f"Swishgåva {row.payee_payment_reference} ({reference})",
        surplus_text=(
            f"Swishbetalning utöver det väntade, {row.payee_payment_reference} ({reference})"
        ),
    )
    entry_id, _receipt = book_received(conn, received, f"swish-surplus:{reference}")
    _mark_paid(conn, row.gift_id)
    return entry_id


def _mark_paid(conn: Connection, gift_id: int | None) -> None:
    g = t.gifts.c
    conn.execute(
        t.gifts.update()
        .where(g.id == gift_id, g.status.in_((GiftStatus.PENDING, GiftStatus.FAILED)))
        .values(status=GiftStatus.PAID, updated_at=func.current_timestamp())
    )


def book_refund(conn: Connection, refund: Any, payment: Any, fetched: dict[str, Any]) -> int:
    """Book a PAID refund against the gift's network and donor; returns the entry."""
    reference = str(fetched["paymentReference"])
    amount = Money(int(refund.amount_ore), refund.currency)
    gift = _gift(conn, payment.gift_id)
    credit, debit = POSTING_RULES["swish_gift"]
    entry_id = post_entry(
        conn,
        f"swish-refund:{reference}",
        booking_date(fetched.get("datePaid")),
        f"Återbetald Swishgåva {payment.payee_payment_reference} ({reference})",
        (
            LineDraft.debit(debit, amount, network=gift.slug, contributor_id=gift.contributor_id),
            LineDraft.credit(credit, amount),
        ),
    )
    refunded = conn.scalar(
        select(func.coalesce(func.sum(t.swish_refunds.c.amount_ore), 0)).where(
            t.swish_refunds.c.payment_instruction_id == payment.instruction_id,
            t.swish_refunds.c.status == "PAID",
        )
    )
    if int(refunded or 0) + amount.ore >= int(payment.amount_ore):
        g = t.gifts.c
        conn.execute(
            t.gifts.update()
            .where(g.id == payment.gift_id, g.status == GiftStatus.PAID)
            .values(status=GiftStatus.REFUNDED, updated_at=func.current_timestamp())
        )
    return entry_id
