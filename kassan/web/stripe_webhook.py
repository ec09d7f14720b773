"""``POST /webhooks/stripe``: verify Stripe's signature over the raw body, store the event in
the inbox, answer. Thin: it parses, stores and hands the event on (``worker``).

A bad, stale (older than ``TOLERANCE`` seconds) or missing signature answers 400 and stores
nothing; a verified event answers 200 once it is stored (``outcome``: ``queued``, or
``duplicate`` when it was stored before), so Stripe does not resend what we already hold. The
booking happens after the answer, in the process's applier (``STRIPE_WEBHOOK_APPLY`` =
``background``, the default) or in ``kassan webhooks work`` (``worker``); with ``inline`` it
happens before the answer and ``outcome`` says how it went (``processed``, ``done_before``,
``failed``: a failure waits in the inbox and is retried).
"""

from __future__ import annotations

import logging

import stripe
from flask import Blueprint, Response, current_app, jsonify, request

from kassan.web import appliers
from kassan.web.database import get_engine
from kassan.web.errors import api_error
from webhooks.errors import StripeEventInvalid
from webhooks.stripe import inbox, worker

log = logging.getLogger(__name__)

TOLERANCE = 300  # seconds, Stripe's default

bp = Blueprint("stripe_webhook", __name__)


@bp.post("/webhooks/stripe")
def receive() -> Response:
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        log.error("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set")
        return api_error(503, "NotConfigured", "Stripe webhooks are not configured")
    payload = request.get_data(cache=False)
    try:
        stripe.WebhookSignature.verify_header(
            payload, request.headers.get("Stripe-Signature"), secret, tolerance=TOLERANCE
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        log.warning("Stripe webhook refused from %s: %s", request.remote_addr, exc)
        return api_error(400, "InvalidSignature", "the Stripe signature could not be verified")
    engine = get_engine(current_app)
    try:
        event = inbox.parse(payload)
    except StripeEventInvalid as exc:
        # Signed by Stripe's secret, yet no event we can book: kept, failed, with the reason.
        kept = inbox.store_invalid(engine, payload, str(exc))
        log.error("a signed Stripe webhook is no valid event (%s): kept as %s", exc, kept)
        return api_error(400, "InvalidEvent", f"the signed body is no valid event: {exc}")
    how = worker.mode(current_app.config)
    if how == "inline":
        outcome = inbox.receive(engine, current_app.config, event, payload)
        return jsonify(received=True, id=event["id"], outcome=str(outcome))
    stored = inbox.store(engine, event, payload)
    if how == "background":
        # A duplicate wakes the applier too: Stripe resends what it thinks we did not get, and
        # an event stored before a crash may still wait.
        appliers.applier_for(current_app._get_current_object()).submit(event["id"])  # type: ignore[attr-defined]
    return jsonify(received=True, id=event["id"], outcome="queued" if stored else "duplicate")
