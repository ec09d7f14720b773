"""What a Stripe event handler works with: the open transaction and Stripe's API, read-only.

The handlers never trust an event's copy of money facts they need in full: the charge with its
balance transaction (the real fee), an invoice's payments, a charge's refunds and a payout's
balance transactions are read back through the one wrapped client (``client.client``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import stripe
from sqlalchemy import Connection

from webhooks.stripe.client import client

Obj = dict[str, Any]


@dataclass
class Context:
    conn: Connection
    config: Mapping[str, Any]
    _client: stripe.StripeClient | None = field(default=None, repr=False)

    @property
    def stripe(self) -> stripe.StripeClient:
        if self._client is None:
            self._client = client(self.config)
        return self._client

    def charge_of_intent(self, payment_intent_id: str) -> tuple[Obj, Obj | None]:
        """The PaymentIntent and its latest charge, with the charge's balance transaction."""
        intent = self.stripe.v1.payment_intents.retrieve(
            payment_intent_id, {"expand": ["latest_charge.balance_transaction"]}
        ).to_dict()
        charge = intent.get("latest_charge")
        return intent, charge if isinstance(charge, dict) else None

    def charge(self, charge_id: str) -> Obj:
        """A charge with its balance transaction."""
        return self.stripe.v1.charges.retrieve(
            charge_id, {"expand": ["balance_transaction"]}
        ).to_dict()

    def refunds(self, charge_id: str) -> Iterator[Obj]:
        """Every refund of a charge (the dashboard's too), oldest first as Stripe pages them."""
        page = self.stripe.v1.refunds.list({"charge": charge_id, "limit": 100})
        for refund in page.auto_paging_iter():
            yield refund.to_dict()

    def invoice_intents(self, invoice_id: str) -> list[str]:
        """The PaymentIntents that paid an invoice."""
        page = self.stripe.v1.invoice_payments.list({"invoice": invoice_id, "limit": 100})
        found = []
        for item in page.auto_paging_iter():
            row = item.to_dict()
            payment = row.get("payment") or {}
            if row.get("status") == "paid" and payment.get("type") == "payment_intent":
                found.append(str(payment["payment_intent"]))
        return found

    def session_of_intent(self, payment_intent_id: str) -> Obj | None:
        """The Checkout Session that created a PaymentIntent, if any."""
        page = self.stripe.v1.checkout.sessions.list(
            {"payment_intent": payment_intent_id, "limit": 1}
        )
        return page.data[0].to_dict() if page.data else None

    def payout_transactions(self, payout_id: str) -> Iterator[Obj]:
        page = self.stripe.v1.balance_transactions.list({"payout": payout_id, "limit": 100})
        for txn in page.auto_paging_iter():
            yield txn.to_dict()
