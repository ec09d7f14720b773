"""``POST /webhooks/stripe``: verify Stripe's signature over the raw body, then hand the event
to the inbox. Thin: it parses, calls ``inbox.receive`` and maps the outcome to HTTP.

A bad, stale (older than ``TOLERANCE`` seconds) or missing signature answers 400 and stores
nothing; a verified event answers 200 once it is stored, whether or not its handler succeeded
(a failure waits in the inbox and is retried), so Stripe does not resend what we already hold.
"""

from __future__ import annotations

import logging

import stripe
from flask import Blueprint, Response, current_app, jsonify, request

from ledger.web.database import get_engine
from ledger.web.errors import api_error
from webhooks.stripe import inbox

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
        event = inbox.parse(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, inbox.InvalidEvent) as exc:
        log.warning("Stripe webhook refused from %s: %s", request.remote_addr, exc)
        return api_error(400, "InvalidSignature", "the Stripe signature could not be verified")
    outcome = inbox.receive(get_engine(current_app), current_app.config, event, payload)
    return jsonify(received=True, id=event["id"], outcome=str(outcome))
