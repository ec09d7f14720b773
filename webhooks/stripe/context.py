"""What a Stripe event handler works with: the open transaction and Stripe's API, read-only.

The handlers never trust an event's copy of money facts they need in full: the charge with its
balance transaction (the real fee), an invoice's payments, a charge's refunds and a payout's
balance transactions are read back through the one wrapped client (``client.client``).

``StripeReads`` remembers each answer for the life of one apply. The inbox fills it *before*
opening the write transaction (``handlers.prefetch``), so the HTTP round trips to Stripe do
not hold the ledger's head lock (PostgreSQL) or SQLite's single write lock; a read the prefetch
did not foresee is simply made inside the transaction, which is slower but still right.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import stripe
from sqlalchemy import Connection

from webhooks.stripe.client import client

Obj = dict[str, Any]


@dataclass
class StripeReads:
    """Stripe's answers for one event's handling, each asked at most once."""

    config: Mapping[str, Any]
    _client: stripe.StripeClient | None = field(default=None, repr=False)
    _seen: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    @property
    def stripe(self) -> stripe.StripeClient:
        if self._client is None:
            self._client = client(self.config)
        return self._client

    def charge_of_intent(self, payment_intent_id: str) -> tuple[Obj, Obj | None]:
        """The PaymentIntent and its latest charge, with the charge's balance transaction."""
        key = ("intent", payment_intent_id)
        if key not in self._seen:
            # The raw answer, as plain dicts: building StripeObjects only to turn them back
            # into dicts was a fifth of an event's CPU in the ingest benchmark. Errors raise
            # the same StripeError subclasses as the typed call.
            answer = self.stripe.raw_request(
                "get",
                f"/v1/payment_intents/{quote(payment_intent_id, safe='')}",
                expand=["latest_charge.balance_transaction"],
            )
            intent: Obj = answer.data
            charge = intent.get("latest_charge")
            self._seen[key] = (intent, charge if isinstance(charge, dict) else None)
        found: tuple[Obj, Obj | None] = self._seen[key]
        return found

    def charge(self, charge_id: str) -> Obj:
        """A charge with its balance transaction."""
        key = ("charge", charge_id)
        if key not in self._seen:
            self._seen[key] = self.stripe.v1.charges.retrieve(
                charge_id, {"expand": ["balance_transaction"]}
            ).to_dict()
        found: Obj = self._seen[key]
        return found

    def refunds(self, charge_id: str) -> list[Obj]:
        """Every refund of a charge (the dashboard's too), oldest first as Stripe pages them."""
        key = ("refunds", charge_id)
        if key not in self._seen:
            page = self.stripe.v1.refunds.list({"charge": charge_id, "limit": 100})
            self._seen[key] = [refund.to_dict() for refund in page.auto_paging_iter()]
        found: list[Obj] = self._seen[key]
        return found

    def invoice_intents(self, invoice_id: str) -> list[str]:
        """The PaymentIntents that paid an invoice."""
        key = ("invoice", invoice_id)
        if key not in self._seen:
            page = self.stripe.v1.invoice_payments.list({"invoice": invoice_id, "limit": 100})
            intents = []
            for item in page.auto_paging_iter():
                row = item.to_dict()
                payment = row.get("payment") or {}
                if row.get("status") == "paid" and payment.get("type") == "payment_intent":
                    intents.append(str(payment["payment_intent"]))
            self._seen[key] = intents
        found: list[str] = self._seen[key]
        return found

    def session_of_intent(self, payment_intent_id: str) -> Obj | None:
        """The Checkout Session that created a PaymentIntent, if any."""
        key = ("session", payment_intent_id)
        if key not in self._seen:
            page = self.stripe.v1.checkout.sessions.list(
                {"payment_intent": payment_intent_id, "limit": 1}
            )
            self._seen[key] = page.data[0].to_dict() if page.data else None
        found: Obj | None = self._seen[key]
        return found

    def payout(self, payout_id: str) -> Obj:
        """The payout as Stripe has it now (its status may have moved on since the event)."""
        key = ("payout_now", payout_id)
        if key not in self._seen:
            self._seen[key] = self.stripe.v1.payouts.retrieve(payout_id).to_dict()
        found: Obj = self._seen[key]
        return found

    def payout_transactions(self, payout_id: str) -> list[Obj]:
        key = ("payout", payout_id)
        if key not in self._seen:
            page = self.stripe.v1.balance_transactions.list({"payout": payout_id, "limit": 100})
            self._seen[key] = [txn.to_dict() for txn in page.auto_paging_iter()]
        found: list[Obj] = self._seen[key]
        return found


@dataclass
class Context:
    """One event's handling: the write transaction and the event's Stripe reads."""

    conn: Connection
    reads: StripeReads

    @property
    def config(self) -> Mapping[str, Any]:
        return self.reads.config

    def charge_of_intent(self, payment_intent_id: str) -> tuple[Obj, Obj | None]:
        return self.reads.charge_of_intent(payment_intent_id)

    def charge(self, charge_id: str) -> Obj:
        return self.reads.charge(charge_id)

    def refunds(self, charge_id: str) -> Iterator[Obj]:
        yield from self.reads.refunds(charge_id)

    def invoice_intents(self, invoice_id: str) -> list[str]:
        return self.reads.invoice_intents(invoice_id)

    def session_of_intent(self, payment_intent_id: str) -> Obj | None:
        return self.reads.session_of_intent(payment_intent_id)

    def payout(self, payout_id: str) -> Obj:
        return self.reads.payout(payout_id)

    def payout_transactions(self, payout_id: str) -> Iterator[Obj]:
        yield from self.reads.payout_transactions(payout_id)
