"""Stripe objects and signed events for tests, built from Stripe's own object shapes.

Every object starts as a deep copy of the one in ``../shared/samples/stripe/fixtures3.json``
(Stripe's published fixtures), then gets SEK amounts, real fees and ids that point at each
other. ``signed`` signs a body with ``stripe.WebhookSignature.generate_signature_header`` as
Stripe does. The ``card_payment``/``monthly_payment`` scenarios also register what Kassan
reads back from Stripe's API on the fake Stripe server.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import stripe
from sqlalchemy import Engine, text

from tests.support.fake_stripe import FakeStripe
from webhooks.stripe.client import STRIPE_API_VERSION

FIXTURES = Path(__file__).parents[2] / ".." / "shared" / "samples" / "stripe" / "fixtures3.json"
SECRET = "whsec_kassan_test_secret"
WHEN = int(datetime(2026, 11, 20, 10, 0, tzinfo=UTC).timestamp())
_serial = itertools.count(1)


@cache
def _fixtures() -> dict[str, Any]:
    resources: dict[str, Any] = json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]
    return resources


def resource(kind: str, **fields: Any) -> dict[str, Any]:
    """Stripe's fixture object of ``kind`` with ``fields`` set."""
    obj: dict[str, Any] = copy.deepcopy(_fixtures()[kind])
    obj.update(fields)
    return obj


def new_id(prefix: str) -> str:
    return f"{prefix}_K{next(_serial):05d}{uuid.uuid4().hex[:10]}"


def event(kind: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
    """An event envelope (Stripe's shape) carrying a snapshot of ``obj``."""
    return resource(
        "event",
        id=new_id("evt"),
        type=kind,
        created=created or int(time.time()),
        api_version=STRIPE_API_VERSION,
        livemode=False,
        pending_webhooks=1,
        request={"id": new_id("req"), "idempotency_key": None},
        data={"object": copy.deepcopy(obj)},
    )


def signed(
    evt: dict[str, Any], *, secret: str = SECRET, timestamp: int | None = None
) -> tuple[bytes, str]:
    """The body and its ``Stripe-Signature`` header."""
    payload = json.dumps(evt, ensure_ascii=False)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return payload.encode("utf-8"), header


@dataclass
class CardPayment:
    """One card payment: PaymentIntent, its charge and the charge's balance transaction."""

    intent: dict[str, Any]
    charge: dict[str, Any]
    txn: dict[str, Any]
    session: dict[str, Any] | None = None
    invoice: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def amount(self) -> int:
        return int(self.charge["amount"])


def _payment(
    fake: FakeStripe, amount_ore: int, fee_ore: int, email: str, created: int
) -> CardPayment:
    pi, ch, txn = new_id("pi"), new_id("ch"), new_id("txn")
    charge = resource(
        "charge",
        id=ch,
        amount=amount_ore,
        amount_captured=amount_ore,
        amount_refunded=0,
        balance_transaction=txn,
        billing_details={**_fixtures()["charge"]["billing_details"], "email": email},
        captured=True,
        created=created,
        currency="sek",
        description=None,
        disputed=False,
        paid=True,
        payment_intent=pi,
        receipt_email=email,
        refunded=False,
        refunds={
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/charges/{ch}/refunds",
        },
        status="succeeded",
    )
    balance = resource(
        "balance_transaction",
        id=txn,
        amount=amount_ore,
        created=created,
        currency="sek",
        description=None,
        fee=fee_ore,
        fee_details=[
            {
                "amount": fee_ore,
                "application": None,
                "currency": "sek",
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ],
        net=amount_ore - fee_ore,
        source=ch,
        status="pending",
        type="charge",
    )
    intent = resource(
        "payment_intent",
        id=pi,
        amount=amount_ore,
        amount_received=amount_ore,
        canceled_at=None,
        created=created,
        currency="sek",
        last_payment_error=None,
        latest_charge=ch,
        metadata={},
        next_action=None,
        processing=None,
        receipt_email=email,
        status="succeeded",
        transfer_data=None,
    )
    for obj in (charge, balance, intent):
        fake.add(obj)
    return CardPayment(intent=intent, charge=charge, txn=balance)


def card_payment(
    fake: FakeStripe,
    *,
    gift: str,
    network: str | None,
    amount_ore: int,
    fee_ore: int,
    email: str,
    created: int = WHEN,
) -> CardPayment:
    """A one-off gift paid through Checkout (``mode=payment``)."""
    payment = _payment(fake, amount_ore, fee_ore, email, created)
    payment.session = fake.add(
        resource(
            "checkout.session",
            id=new_id("cs_test"),
            amount_subtotal=amount_ore,
            amount_total=amount_ore,
            created=created,
            currency="sek",
            customer_details={
                **_fixtures()["checkout.session"]["customer_details"],
                "email": email,
            },
            locale="sv",
            metadata={"gift": gift, "network": network or ""},
            mode="payment",
            payment_intent=payment.intent["id"],
            payment_status="paid",
            status="complete",
            submit_type="donate",
            subscription=None,
            invoice=None,
        )
    )
    return payment


def monthly_payment(
    fake: FakeStripe,
    *,
    gift: str,
    network: str | None,
    subscription: str,
    amount_ore: int,
    fee_ore: int,
    email: str,
    created: int = WHEN,
    first: bool = True,
) -> CardPayment:
    """One month of a monthly gift: the invoice, its payment, PaymentIntent, charge and fee."""
    payment = _payment(fake, amount_ore, fee_ore, email, created)
    invoice_id = new_id("in")
    payment.invoice = fake.add(
        resource(
            "invoice",
            id=invoice_id,
            amount_due=amount_ore,
            amount_paid=amount_ore,
            amount_remaining=0,
            billing_reason="subscription_create" if first else "subscription_cycle",
            created=created,
            currency="sek",
            customer_email=email,
            parent={
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "metadata": {"gift": gift, "network": network or ""},
                    "subscription": subscription,
                },
            },
            status="paid",
            subscription=None,
        )
    )
    fake.add(
        resource(
            "invoice_payment",
            id=new_id("inpay"),
            amount_paid=amount_ore,
            amount_requested=amount_ore,
            created=created,
            currency="sek",
            invoice=invoice_id,
            livemode=False,
            payment={"type": "payment_intent", "payment_intent": payment.intent["id"]},
            status="paid",
            status_transitions={"canceled_at": None, "paid_at": created},
        )
    )
    return payment


def subscription_session(
    fake: FakeStripe, *, gift: str, network: str | None, first: CardPayment, email: str
) -> dict[str, Any]:
    """The Checkout Session (``mode=subscription``) that started a monthly gift."""
    assert first.invoice is not None
    subscription = first.invoice["parent"]["subscription_details"]["subscription"]
    return fake.add(
        resource(
            "checkout.session",
            id=new_id("cs_test"),
            amount_subtotal=first.amount,
            amount_total=first.amount,
            created=first.charge["created"],
            currency="sek",
            customer=new_id("cus"),
            customer_details={
                **_fixtures()["checkout.session"]["customer_details"],
                "email": email,
            },
            invoice=first.invoice["id"],
            locale="sv",
            metadata={"gift": gift, "network": network or ""},
            mode="subscription",
            payment_intent=None,
            payment_status="paid",
            status="complete",
            submit_type=None,
            subscription=subscription,
        )
    )


@dataclass
class MonthlyGift:
    """A monthly gift started through Checkout: its gift row, subscription, paid months and
    session (linked to the gift, as the donate page links it)."""

    public_id: str
    subscription: str
    months: list[CardPayment]
    session: dict[str, Any]


def monthly_gift(
    world: World,
    network_id: int,
    *,
    amount_ore: int,
    fee_ore: int,
    email: str,
    months: int = 1,
) -> MonthlyGift:
    """A monthly gift to the network "palestina" whose first ``months`` months are paid."""
    public_id = add_gift(
        world.engine, network_id=network_id, amount_ore=amount_ore, email=email, frequency="monthly"
    )
    subscription = new_id("sub")
    paid = [
        monthly_payment(
            world.fake,
            gift=public_id,
            network="palestina",
            subscription=subscription,
            amount_ore=amount_ore,
            fee_ore=fee_ore,
            email=email,
            first=n == 0,
        )
        for n in range(months)
    ]
    session = subscription_session(
        world.fake, gift=public_id, network="palestina", first=paid[0], email=email
    )
    link_session(world.engine, public_id, session["id"])
    return MonthlyGift(public_id, subscription, paid, session)


def add_refund(fake: FakeStripe, payment: CardPayment, amount: int) -> dict[str, Any]:
    """A succeeded refund of ``amount`` of the payment's charge, readable from the fake Stripe."""
    return fake.add(
        resource(
            "refund",
            id=new_id("re"),
            amount=amount,
            balance_transaction=new_id("txn"),
            charge=payment.charge["id"],
            currency="sek",
            payment_intent=payment.intent["id"],
            status="succeeded",
        )
    )


def refunded_charge(payment: CardPayment, amount: int) -> dict[str, Any]:
    """The charge as ``charge.refunded`` sends it once ``amount`` in all is refunded."""
    return {**payment.charge, "amount_refunded": amount, "refunded": amount == payment.amount}


def dispute_of(
    payment: CardPayment, status: str, *, fee: int = 15_000, won: bool = False
) -> dict[str, Any]:
    """A dispute of the whole charge: its withdrawal with Stripe's dispute fee and, once
    ``won``, the reinstatement."""
    amount = payment.amount
    withdrawal = resource(
        "balance_transaction",
        id=new_id("txn"),
        amount=-amount,
        currency="sek",
        fee=fee,
        fee_details=[
            {
                "amount": fee,
                "application": None,
                "currency": "sek",
                "description": "Dispute fee",
                "type": "stripe_fee",
            }
        ],
        net=-amount - fee,
        reporting_category="dispute",
        type="adjustment",
    )
    txns = [withdrawal]
    if won:
        txns.append(
            resource(
                "balance_transaction",
                id=new_id("txn"),
                amount=amount,
                currency="sek",
                fee=0,
                fee_details=[],
                net=amount,
                reporting_category="dispute_reversal",
                type="adjustment",
            )
        )
    return resource(
        "dispute",
        id=new_id("dp"),
        amount=amount,
        balance_transactions=txns,
        charge=payment.charge["id"],
        currency="sek",
        payment_intent=payment.intent["id"],
        status=status,
    )


@dataclass
class SignedCheckout:
    """A pending card gift, its paid payment, and the signed ``checkout.session.completed``."""

    public_id: str
    payment: CardPayment
    body: bytes
    header: str


def signed_checkout(
    world: World, network_id: int, *, amount_ore: int, fee_ore: int, email: str
) -> SignedCheckout:
    """A gift to the network "palestina" paid by card, and the signed event that tells of it."""
    public_id = add_gift(world.engine, network_id=network_id, amount_ore=amount_ore, email=email)
    payment = card_payment(
        world.fake,
        gift=public_id,
        network="palestina",
        amount_ore=amount_ore,
        fee_ore=fee_ore,
        email=email,
    )
    body, header = signed(event("checkout.session.completed", payment.session))
    return SignedCheckout(public_id, payment, body, header)


def wait_until(done: Callable[[], bool], seconds: float, step: float = 0.02) -> None:
    """Until ``done()`` or ``seconds`` have passed: the deadline only bounds a failure."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(step)


def add_gift(
    engine: Engine,
    *,
    network_id: int | None,
    amount_ore: int,
    email: str,
    frequency: str = "once",
    session_id: str | None = None,
    name: str = "Sara Lind",
) -> str:
    """A gift row as the donor pages create it before redirecting to Checkout."""
    public_id = uuid.uuid4().hex  # 32 hex digits, the shape the donor pages make
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO gifts (public_id, network_id, amount_ore, currency, frequency, "
                "channel, status, donor_kind, donor_name, donor_email, consent_contact, locale, "
                "stripe_checkout_session_id) VALUES (:p, :n, :a, 'SEK', :f, 'card', 'pending', "
                "'person', :name, :e, false, 'sv', :s)"
            ),
            {
                "p": public_id,
                "n": network_id,
                "a": amount_ore,
                "f": frequency,
                "name": name,
                "e": email,
                "s": session_id,
            },
        )
    return public_id


def link_session(engine: Engine, public_id: str, session_id: str) -> None:
    """What the donor pages store once Stripe has made the gift's Checkout Session."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE gifts SET stripe_checkout_session_id = :s WHERE public_id = :p"),
            {"s": session_id, "p": public_id},
        )


class World:
    """The app wired to a fake Stripe: deliver signed events, read what the ledger booked."""

    def __init__(self, app: Any, engine: Engine, fake: FakeStripe) -> None:
        self.app, self.engine, self.fake = app, engine, fake
        self.use_stripe(fake.url, fake.api_key)
        self.client = app.test_client()

    def use_stripe(self, api_base: str, api_key: str) -> None:
        """Point the app's Stripe client at ``api_base`` (the fake, or localstripe)."""
        self.app.config.update(
            STRIPE_WEBHOOK_SECRET=SECRET, STRIPE_SECRET_KEY=api_key, STRIPE_API_BASE=api_base
        )

    def deliver(
        self,
        evt: dict[str, Any],
        *,
        secret: str = SECRET,
        timestamp: int | None = None,
        client: Any = None,
    ) -> Any:
        body, header = signed(evt, secret=secret, timestamp=timestamp)
        return (client or self.client).post(
            "/webhooks/stripe",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )

    def entries(self) -> dict[str, list[tuple[str, int, int, int | None, int | None]]]:
        """Booked entries by source key: (account, debit, credit, network_id, contributor_id)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT e.source_key, e.series, l.account, l.debit_ore, l.credit_ore, "
                    "l.network_id, l.contributor_id FROM journal_entries e "
                    "JOIN journal_lines l ON l.entry_id = e.id ORDER BY e.id, l.line_no"
                )
            ).all()
        out: dict[str, list[tuple[str, int, int, int | None, int | None]]] = {}
        for key, series, *line in rows:
            assert series == "K"
            out.setdefault(key, []).append(tuple(line))
        return out

    def balance(self, account: str) -> int:
        """Debit minus credit on an account."""
        with self.engine.connect() as conn:
            return int(
                conn.scalar(
                    text(
                        "SELECT COALESCE(SUM(debit_ore - credit_ore), 0) FROM journal_lines "
                        "WHERE account = :a"
                    ),
                    {"a": account},
                )
            )

    def gift(self, public_id: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT * FROM gifts WHERE public_id = :p"), {"p": public_id}
            ).one()

    def inbox(self, event_id: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT * FROM stripe_events WHERE id = :i"), {"i": event_id}
            ).first()


# --- pytest fixtures: import ``*_fixture`` into a test module, use them by their short name ------


@pytest.fixture(name="fake_stripe")
def fake_stripe_fixture() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture(name="_book_inline", autouse=True)
def book_inline_fixture(world: World) -> None:
    """For tests that read the ledger right after each delivery: book inside the request."""
    world.app.config["STRIPE_WEBHOOK_APPLY"] = "inline"


@pytest.fixture(name="world")
def world_fixture(app: Any, engine: Engine, fake_stripe: FakeStripe) -> World:
    return World(app, engine, fake_stripe)


@pytest.fixture(name="network_id")
def network_id_fixture(engine: Engine) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO networks (slug, name) VALUES ('palestina', 'Palestina') "
                    "RETURNING id"
                )
            ).scalar_one()
        )
