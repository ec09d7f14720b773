"""The one place Kassan talks to Stripe from: API version pinned, base URL configurable.

``STRIPE_API_BASE`` points the client at another server (localstripe or the tests' fake
Stripe); ``STRIPE_SECRET_KEY`` is the secret API key; ``STRIPE_WEBHOOK_SECRET`` signs
webhooks (used by the endpoint, not here).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import stripe

from webhooks.errors import StripeNotConfigured

# Pinned: events and objects are parsed in this version's shapes. Change it only together
# with the handlers, after reading Stripe's upgrade notes.
STRIPE_API_VERSION = "2026-10-28.endive"
DEFAULT_API_BASE = "https://api.stripe.com"


def client(config: Mapping[str, object]) -> stripe.StripeClient:
    """A client for the app's configuration (``app.config``)."""
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        raise StripeNotConfigured("STRIPE_SECRET_KEY is not set")
    return _client(str(key), str(config.get("STRIPE_API_BASE") or DEFAULT_API_BASE))


@functools.lru_cache(maxsize=8)
def _client(key: str, base: str) -> stripe.StripeClient:
    # One client per key and base, reused across requests: building one per webhook event
    # showed up in the ingest benchmark, and the client holds no per-request state.
    return stripe.StripeClient(
        key,
        stripe_version=STRIPE_API_VERSION,
        base_addresses={"api": base},
        max_network_retries=2,
    )
