"""Stripe Checkout for card gifts: one Checkout Session per gift, made through the one client.

One-off gifts are ``mode=payment`` with ``submit_type=donate``; monthly gifts are
``mode=subscription`` with an inline monthly price (Stripe refuses ``submit_type`` there).
The idempotency key is the gift's, so a double submit or a retry after a timeout gets the
same session back instead of a second one. The metadata ``{"gift", "network"}`` is what the
webhook handlers use to find the gift again; it is copied onto the PaymentIntent or the
Subscription so that their own events carry it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledger.services.gifts import Gift
from webhooks.stripe.client import client

__all__ = ["CheckoutSession", "cancel_subscription", "create_checkout_session", "idempotency_key"]


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    url: str


def idempotency_key(public_id: str) -> str:
    return f"gift-{public_id}-checkout"


def session_params(
    gift: Gift,
    *,
    success_url: str,
    cancel_url: str,
    product_name: str,
    collection: str | None = None,
) -> dict[str, object]:
    """The Checkout Session request for ``gift``, in Stripe's parameter shape; a gift given on
    a workplace collection's page names it (its slug) in the metadata too."""
    metadata = {"gift": gift.public_id, "network": gift.network_slug or ""}
    if collection:
        metadata["collection"] = collection
    price_data: dict[str, object] = {
        "currency": gift.currency.lower(),
        "unit_amount": gift.amount_ore,
        "product_data": {"name": product_name},
    }
    params: dict[str, object] = {
        "line_items": [{"price_data": price_data, "quantity": 1}],
        "customer_email": gift.donor_email,
        "client_reference_id": gift.public_id,
        "locale": "en" if gift.locale == "en" else "sv",
        "metadata": metadata,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if gift.frequency == "monthly":
        price_data["recurring"] = {"interval": "month", "interval_count": 1}
        params["mode"] = "subscription"
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["mode"] = "payment"
        params["submit_type"] = "donate"
        params["payment_intent_data"] = {"metadata": metadata}
    return params


def create_checkout_session(
    config: Mapping[str, object],
    gift: Gift,
    *,
    success_url: str,
    cancel_url: str,
    product_name: str,
    collection: str | None = None,
) -> CheckoutSession:
    """Create (or, for the same gift, get back) its Checkout Session.

    Raises ``stripe.StripeError`` (or ``StripeNotConfigured``) when Stripe cannot be reached.
    """
    params = session_params(
        gift,
        success_url=success_url,
        cancel_url=cancel_url,
        product_name=product_name,
        collection=collection,
    )
    session = client(config).v1.checkout.sessions.create(
        params,  # type: ignore[arg-type]
        {"idempotency_key": idempotency_key(gift.public_id)},
    )
    return CheckoutSession(id=session.id, url=str(session.url))


def cancel_subscription(config: Mapping[str, object], subscription_id: str) -> str:
    """Cancel a monthly gift's subscription at once; returns Stripe's status for it."""
    subscription = client(config).v1.subscriptions.cancel(
        subscription_id, options={"idempotency_key": f"stop-{subscription_id}"}
    )
    return str(subscription.status)
