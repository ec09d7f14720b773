"""What each Stripe event does, routed through one table: ``ROUTES[event_type](ctx, event)``.

Handlers run inside the inbox's apply transaction; ``prefetch`` makes their Stripe reads
before it opens, so the network round trips hold no database lock. They book through
``bookings`` (which posts through ``ledger.services.posting`` with source keys naming the
payment, refund, dispute or payout), move the gift's status through ``gift_state``, and read
money facts back from Stripe through the ``Context``. A handler that cannot book yet (the
payment's gift is not known) raises ``NotYetBookable``: the event stays in the inbox and is
tried again later, by which time the event that introduces the gift has usually arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ledger.services import collection_progress, gifts, mail
from ledger.services.gifts import Gift
from ledger.statuses import GiftStatus
from webhooks.errors import NotYetBookable
from webhooks.stripe import bookings, disputes, gift_state, payouts
from webhooks.stripe.context import Context, Obj, StripeReads

log = logging.getLogger(__name__)

Handler = Callable[[Context, Obj], None]
Prefetch = Callable[[StripeReads, Obj], None]


def _object(event: Obj) -> Obj:
    obj: Obj = event["data"]["object"]
    return obj


def _paying(gift: Gift) -> GiftStatus:
    """The status of a gift whose money came: a one-off gift is paid, a monthly one active."""
    return GiftStatus.PAID if gift.frequency == "once" else GiftStatus.ACTIVE


def _gift_for_intent(ctx: Context, intent: Obj) -> Gift | None:
    gift = gift_state.from_metadata(
        ctx.conn, intent.get("metadata"), payment_intent_id=intent["id"]
    )
    if gift is not None:
        return gift
    session = ctx.session_of_intent(intent["id"])
    if session is None:
        return None
    return gift_state.from_metadata(ctx.conn, session.get("metadata"), session_id=session["id"])


def _book_intent(ctx: Context, payment_intent_id: str, gift: Gift | None = None) -> None:
    """Book the gift paid by a PaymentIntent (its latest charge and that charge's fee)."""
    intent, charge = ctx.charge_of_intent(payment_intent_id)
    if intent.get("status") != "succeeded" or charge is None or not charge.get("paid"):
        raise NotYetBookable(f"payment {payment_intent_id} has not succeeded")
    if bookings.gift_dimensions(ctx.conn, charge["id"]) is not None:
        return
    gift = gift or _gift_for_intent(ctx, intent)
    if gift is None:
        raise NotYetBookable(f"no gift is known yet for payment {payment_intent_id}")
    contributor_id = gift_state.contributor_for(ctx.conn, gift)
    bookings.book_charge(
        ctx.conn,
        charge,
        network=gift.network_slug,
        contributor_id=contributor_id,
        label=gift.public_id,
    )
    # A gift given on a collection's page counts there from this entry (issue 7).
    collection_progress.link_card_gift(ctx.conn, gift.id, bookings.key("charge", charge["id"]))
    # The receipt goes into the outbox in the same transaction: booked gift, queued receipt.
    mail.enqueue_receipt(
        ctx.conn,
        gift.public_id,
        charge["id"],
        int(charge["amount"]),
        bookings.booking_date(charge.get("created")),
        config=ctx.config,  # the applier runs outside any Flask app context
    )
    if gift.frequency == "once":
        gift_state.remember(ctx.conn, gift, payment_intent=payment_intent_id)
    gift_state.move(ctx.conn, gift, _paying(gift))


def _book_invoice(ctx: Context, invoice_id: str, gift: Gift) -> None:
    intents = ctx.invoice_intents(invoice_id)
    if not intents:
        raise NotYetBookable(f"invoice {invoice_id} has no paid payment yet")
    for payment_intent_id in intents:
        _book_intent(ctx, payment_intent_id, gift)


def _ensure_gift_booked(ctx: Context, charge_id: str, payment_intent_id: str | None) -> None:
    """Book the gift of a charge first when a refund or dispute overtakes it."""
    if bookings.gift_dimensions(ctx.conn, charge_id) is not None:
        return
    if not payment_intent_id:
        raise NotYetBookable(f"charge {charge_id} has no payment to attribute it to")
    _book_intent(ctx, payment_intent_id)


def _to_collection(ctx: Context, charge_id: str, keys: list[str]) -> None:
    """Refunds and disputes of a collection's card gift count against the collection."""
    collection_progress.link_card_follow_ups(ctx.conn, bookings.key("charge", charge_id), keys)


def _gift_of_charge(ctx: Context, obj: Obj) -> Gift | None:
    return gifts.find_gift(ctx.conn, payment_intent_id=obj.get("payment_intent"), lock=True)


# --- Checkout ----------------------------------------------------------------------------------


def checkout_session_completed(ctx: Context, event: Obj) -> None:
    session = _object(event)
    gift = gift_state.from_metadata(ctx.conn, session.get("metadata"), session_id=session["id"])
    if gift is None:
        raise NotYetBookable(f"checkout session {session['id']} names no known gift")
    gift_state.remember(
        ctx.conn,
        gift,
        payment_intent=session.get("payment_intent"),
        customer=session.get("customer"),
        subscription=session.get("subscription"),
    )
    if session.get("payment_status") != "paid":
        log.info("checkout session %s waits for an asynchronous payment", session["id"])
        return
    if session.get("mode") == "subscription":
        if session.get("invoice"):
            _book_invoice(ctx, str(session["invoice"]), gift)
        gift_state.move(ctx.conn, gift, GiftStatus.ACTIVE)
    else:
        _book_intent(ctx, str(session["payment_intent"]), gift)


def checkout_session_async_payment_failed(ctx: Context, event: Obj) -> None:
    session = _object(event)
    gift = gift_state.from_metadata(ctx.conn, session.get("metadata"), session_id=session["id"])
    if gift is not None:
        gift_state.move(ctx.conn, gift, GiftStatus.FAILED)
    log.info("checkout session %s: the asynchronous payment failed", session["id"])


def payment_intent_succeeded(ctx: Context, event: Obj) -> None:
    _book_intent(ctx, str(_object(event)["id"]))


# --- monthly gifts -----------------------------------------------------------------------------


def _subscription_gift(ctx: Context, invoice: Obj) -> Gift | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = details.get("subscription") or invoice.get("subscription")
    return gift_state.from_metadata(ctx.conn, details.get("metadata"), subscription_id=subscription)


def invoice_paid(ctx: Context, event: Obj) -> None:
    invoice = _object(event)
    if not int(invoice.get("amount_paid") or 0):
        return
    gift = _subscription_gift(ctx, invoice)
    if gift is None:
        raise NotYetBookable(f"invoice {invoice['id']} names no known monthly gift")
    _book_invoice(ctx, str(invoice["id"]), gift)


def invoice_payment_failed(ctx: Context, event: Obj) -> None:
    invoice = _object(event)
    gift = _subscription_gift(ctx, invoice)
    log.warning(
        "monthly gift %s: payment of invoice %s failed (attempt %s)",
        gift.public_id if gift else "?",
        invoice["id"],
        invoice.get("attempt_count"),
    )
    if gift is not None and gift.status == GiftStatus.PENDING:
        gift_state.move(ctx.conn, gift, GiftStatus.FAILED)


def customer_subscription_deleted(ctx: Context, event: Obj) -> None:
    subscription = _object(event)
    gift = gift_state.from_metadata(
        ctx.conn, subscription.get("metadata"), subscription_id=subscription["id"]
    )
    if gift is None:
        log.warning("subscription %s ended but names no known gift", subscription["id"])
        return
    gift_state.move(ctx.conn, gift, GiftStatus.CANCELLED)


# --- refunds, disputes, payouts ---------------------------------------------------------------


def charge_refunded(ctx: Context, event: Obj) -> None:
    """A charge's refunds changed (``charge.refunded``, or a refund's own events): every refund
    of the charge, read back from Stripe, is booked once its money left and reversed when it
    failed afterwards; a stale or repeated event therefore books nothing twice."""
    obj = _object(event)
    charge_id = str(obj["id"] if obj.get("object") == "charge" else obj["charge"])
    _ensure_gift_booked(ctx, charge_id, obj.get("payment_intent"))
    refunds = list(ctx.refunds(charge_id))
    heard_on = bookings.booking_date(event.get("created"))
    for refund in refunds:
        bookings.book_refund(ctx.conn, refund, heard_on)
    keys = [bookings.key("refund", r["id"]) for r in refunds]
    undone = [bookings.reversal_key(ctx.conn, k) for k in keys]
    _to_collection(ctx, charge_id, keys + [k for k in undone if k])
    gift = _gift_of_charge(ctx, obj)
    if gift is not None and obj.get("object") == "charge" and obj.get("refunded"):
        gift_state.move(ctx.conn, gift, GiftStatus.REFUNDED)


def charge_dispute(ctx: Context, event: Obj) -> None:
    """Any event of a dispute: book what its balance transactions moved, each movement once."""
    dispute = _object(event)
    if disputes.is_inquiry(dispute):
        log.info("dispute %s is an inquiry (%s): no money moved", dispute["id"], dispute["status"])
        return
    _ensure_gift_booked(ctx, dispute["charge"], dispute.get("payment_intent"))
    disputes.book_withdrawn(ctx.conn, dispute)
    disputes.book_reinstated(ctx.conn, dispute, bookings.booking_date(event.get("created")))
    keys = [bookings.key("dispute", dispute["id"]), bookings.key("dispute_won", dispute["id"])]
    _to_collection(ctx, dispute["charge"], keys)
    gift = _gift_of_charge(ctx, dispute)
    if gift is None:
        return
    # From what is booked, not from the event: a late "created" must not undo a won dispute.
    if dispute.get("status") == "won" or disputes.reinstated(ctx.conn, dispute):
        gift_state.move(ctx.conn, gift, _paying(gift))
    else:
        gift_state.move(ctx.conn, gift, GiftStatus.DISPUTED)


def payout_paid(ctx: Context, event: Obj) -> None:
    """Book the payout to the bank; if Stripe says now that it failed since (its
    ``payout.failed`` came first), undo it at once: the bank had it and sent it back."""
    payout = _object(event)
    bookings.book_payout(ctx.conn, payout)
    payouts.record(ctx.conn, payouts.reconcile(payout, ctx.payout_transactions(payout["id"])))
    if ctx.payout(payout["id"]).get("status") == "failed":
        bookings.undo_payout(ctx.conn, payout, bookings.booking_date(event.get("created")))


def payout_failed(ctx: Context, event: Obj) -> None:
    """A payout that failed after it was paid is back on 1580; one never paid booked nothing."""
    payout = _object(event)
    if not bookings.undo_payout(ctx.conn, payout, bookings.booking_date(event.get("created"))):
        log.info("payout %s failed; no paid payout of it is booked", payout["id"])


ROUTES: dict[str, Handler] = {
    "checkout.session.completed": checkout_session_completed,
    "checkout.session.async_payment_succeeded": checkout_session_completed,
    "checkout.session.async_payment_failed": checkout_session_async_payment_failed,
    "payment_intent.succeeded": payment_intent_succeeded,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "customer.subscription.deleted": customer_subscription_deleted,
    "charge.refunded": charge_refunded,
    "charge.refund.updated": charge_refunded,
    "refund.created": charge_refunded,
    "refund.updated": charge_refunded,
    "refund.failed": charge_refunded,
    "charge.dispute.created": charge_dispute,
    "charge.dispute.updated": charge_dispute,
    "charge.dispute.funds_withdrawn": charge_dispute,
    "charge.dispute.funds_reinstated": charge_dispute,
    "charge.dispute.closed": charge_dispute,
    "payout.paid": payout_paid,
    "payout.failed": payout_failed,
}


# --- Stripe reads made before the write transaction -------------------------------------------
# Each mirrors the reads its handler makes on the usual path; the answers wait in
# ``StripeReads``. Missing fields are left to the handler, which fails with its own error.


def _prefetch_session(reads: StripeReads, event: Obj) -> None:
    session = _object(event)
    if session.get("payment_status") != "paid":
        return
    if session.get("mode") == "subscription":
        if session.get("invoice"):
            for payment_intent_id in reads.invoice_intents(str(session["invoice"])):
                reads.charge_of_intent(payment_intent_id)
    elif session.get("payment_intent"):
        reads.charge_of_intent(str(session["payment_intent"]))


def _prefetch_intent(reads: StripeReads, event: Obj) -> None:
    if _object(event).get("id"):
        reads.charge_of_intent(str(_object(event)["id"]))


def _prefetch_invoice(reads: StripeReads, event: Obj) -> None:
    invoice = _object(event)
    if int(invoice.get("amount_paid") or 0) and invoice.get("id"):
        for payment_intent_id in reads.invoice_intents(str(invoice["id"])):
            reads.charge_of_intent(payment_intent_id)


def _prefetch_refunds(reads: StripeReads, event: Obj) -> None:
    obj = _object(event)
    charge_id = obj.get("id") if obj.get("object") == "charge" else obj.get("charge")
    if charge_id:
        reads.refunds(str(charge_id))


def _prefetch_payout(reads: StripeReads, event: Obj) -> None:
    if _object(event).get("id"):
        reads.payout_transactions(str(_object(event)["id"]))
        reads.payout(str(_object(event)["id"]))


PREFETCH: dict[str, Prefetch] = {
    "checkout.session.completed": _prefetch_session,
    "checkout.session.async_payment_succeeded": _prefetch_session,
    "payment_intent.succeeded": _prefetch_intent,
    "invoice.paid": _prefetch_invoice,
    "charge.refunded": _prefetch_refunds,
    "charge.refund.updated": _prefetch_refunds,
    "refund.created": _prefetch_refunds,
    "refund.updated": _prefetch_refunds,
    "refund.failed": _prefetch_refunds,
    "payout.paid": _prefetch_payout,
}


def prefetch(reads: StripeReads, event: Obj) -> None:
    """Ask Stripe now what the event's handler will ask, outside any transaction."""
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return  # the handler reports the malformed event
    step = PREFETCH.get(str(event.get("type")))
    if step is not None:
        step(reads, event)


def handle(ctx: Context, event: dict[str, Any]) -> bool:
    """Apply one event; False when its type is not one Kassan handles (logged, not an error)."""
    handler = ROUTES.get(str(event.get("type")))
    if handler is None:
        log.info("Stripe event %s of type %s is not handled", event.get("id"), event.get("type"))
        return False
    handler(ctx, event)
    return True
