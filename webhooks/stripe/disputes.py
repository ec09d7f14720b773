"""What a card dispute moves, booked from the dispute's own balance transactions.

Stripe tells of a dispute many times (``charge.dispute.created``, ``updated``,
``funds_withdrawn``, ``funds_reinstated``, ``closed``), each event carrying the dispute with the
balance transactions so far: the withdrawal of the disputed amount with Stripe's dispute fee,
and, when the dispute is won, the reinstatement. Every event books what those transactions
say, each under one key per direction, so the first event that shows a movement books it and
the others (duplicates, late or out-of-order ones) find it booked:

===================== =============================== ======================================
movement              source key                      lines
===================== =============================== ======================================
funds withdrawn       ``stripe:dispute:<dp_id>``      3993 (network, donor) + 6570 fee / 1580
funds reinstated      ``stripe:dispute_won:<dp_id>``  1580 / 3993 (and 6570 for a fee back)
===================== =============================== ======================================

The withdrawal keeps the key a dispute was booked under when Kassan booked it at ``created``,
so a dispute booked then is not booked again at ``funds_withdrawn``. An inquiry
(``warning_needs_response``, ``warning_under_review``, ``warning_closed``) moves no money and
books nothing, whatever it carries.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from ledger.chart import FEES, POSTING_RULES
from ledger.entries import LineDraft
from ledger.services import journal
from webhooks.stripe.bookings import Obj, booked_gift, booking_date, key, post_follow_up

INQUIRIES = frozenset({"warning_needs_response", "warning_under_review", "warning_closed"})


def is_inquiry(dispute: Obj) -> bool:
    return dispute.get("status") in INQUIRIES


def reinstated(conn: Connection, dispute: Obj) -> bool:
    """Whether the money of a won dispute is booked back already."""
    return journal.find_by_source_key(conn, key("dispute_won", dispute["id"])) is not None


def moved(dispute: Obj, *, withdrawn: bool) -> tuple[int, int, str]:
    """What Stripe withdrew (or gave back): amount and fee in öre, and the balance's currency.

    A balance transaction whose net is negative took money from the Stripe balance; a positive
    one gave it back (a fee given back is a negative fee there)."""
    amount = fee = 0
    currency = str(dispute.get("currency") or "sek").upper()
    for txn in dispute.get("balance_transactions") or ():
        if (int(txn["net"]) < 0) != withdrawn:
            continue
        amount += abs(int(txn["amount"]))
        fee += int(txn["fee"]) if withdrawn else -int(txn["fee"])
        currency = str(txn.get("currency") or currency).upper()
    return amount, fee, currency


def book_withdrawn(conn: Connection, dispute: Obj) -> bool:
    """Book the disputed amount out of the gift's income, and the dispute fee, from 1580."""
    if is_inquiry(dispute):
        return False
    amount, fee, currency = moved(dispute, withdrawn=True)
    if amount <= 0 and fee <= 0:
        return False  # nothing withdrawn yet: a later event of the dispute will show it
    charge_entry_id, dims = booked_gift(conn, str(dispute["charge"]))
    debit, credit = POSTING_RULES["card_dispute"]
    lines = []
    if amount > 0:
        lines.append(LineDraft(debit, amount, 0, currency, **dims))
    if fee > 0:
        lines.append(LineDraft(FEES, fee, 0, currency))
    lines.append(LineDraft(credit, 0, amount + max(fee, 0), currency))
    return post_follow_up(
        charge_entry_id,
        key("dispute", dispute["id"]),
        booking_date(dispute.get("created")),
        f"Bestriden kortgåva ({dispute['charge']}, {dispute['id']})",
        tuple(lines),
        conn,
    )


def book_reinstated(conn: Connection, dispute: Obj, day: date) -> bool:
    """Book the reinstated amount (and any fee Stripe gave back) after a won dispute."""
    if is_inquiry(dispute):
        return False
    amount, fee_back, currency = moved(dispute, withdrawn=False)
    fee_back = max(fee_back, 0)
    if amount <= 0 and fee_back <= 0:
        return False
    charge_entry_id, dims = booked_gift(conn, str(dispute["charge"]))
    credit, debit = POSTING_RULES["card_dispute"]
    lines = [LineDraft(debit, amount + fee_back, 0, currency)]
    if amount > 0:
        lines.append(LineDraft(credit, 0, amount, currency, **dims))
    if fee_back > 0:
        lines.append(LineDraft(FEES, 0, fee_back, currency))
    return post_follow_up(
        charge_entry_id,
        key("dispute_won", dispute["id"]),
        day,
        f"Vunnen tvist, kortgåva återförd ({dispute['charge']}, {dispute['id']})",
        tuple(lines),
        conn,
    )
