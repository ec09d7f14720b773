"""Against localstripe (a stateful Stripe emulator from PyPI, started here on 127.0.0.1): real
objects created through the ``stripe`` library, localstripe's own signed webhooks delivered over
HTTP to the running app.

What localstripe lacks, and where those paths are tested instead (the signed-event tests with
the fake Stripe server): no Checkout Sessions, no fees (every balance transaction has fee 0, so
no fee entry is booked here), no idempotency keys, no ``invoice.paid`` event and no
``/v1/invoice_payments`` (the pinned API version's way from an invoice to its payment), so the
monthly *booking* path cannot run here; its subscription's cancellation can.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from urllib.parse import urlencode

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from kassan.web import appliers
from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    SECRET,
    add_gift,
    fake_stripe_fixture,
    network_id_fixture,
    world_fixture,
)
from webhooks.stripe.client import client

# localstripe's own ``start()`` listens on every interface and pickles its state to a fixed
# /tmp file after each write; here it listens on loopback only and keeps its state in memory,
# so that two test runs side by side do not share or clobber one file.
_SERVE = (
    "import sys; from aiohttp import web; from localstripe.resources import Store; "
    "from localstripe.server import app; Store.dump_to_disk = lambda self: None; "
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def localstripe():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                process.wait()
                pytest.fail("localstripe did not start")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def served(world, localstripe):
    world.use_stripe(localstripe, "sk_test_kassan")
    server = make_server("127.0.0.1", 0, world.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()
    appliers.stop(world.app)  # the background applier that booked the deliveries


def _send_webhooks_to(localstripe: str, app_url: str, *events: str) -> None:
    form = {"url": f"{app_url}/webhooks/stripe", "secret": SECRET}
    form.update({f"events[{i}]": name for i, name in enumerate(events)})
    request = urllib.request.Request(
        f"{localstripe}/_config/webhooks/kassan", data=urlencode(form).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _wait_for(world, sql, **params):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with world.engine.connect() as conn:
            found = conn.execute(text(sql), params).first()
        if found is not None:
            return found
        time.sleep(0.2)
    pytest.fail(f"nothing came of: {sql}")


def _card(stripe_client):
    return stripe_client.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )


def test_a_real_payment_intent_is_booked_from_localstripes_signed_webhook(
    world, served, localstripe, network_id
):
    public_id = add_gift(world.engine, network_id=network_id, amount_ore=15_000, email="l@s.se")
    _send_webhooks_to(localstripe, served, "payment_intent.succeeded")
    stripe_client = client(world.app.config)
    intent = stripe_client.v1.payment_intents.create(
        {
            "amount": 15_000,
            "currency": "sek",
            "payment_method": _card(stripe_client).id,
            "metadata": {"gift": public_id, "network": "palestina"},
        }
    )
    stripe_client.v1.payment_intents.confirm(intent.id)

    latest = stripe_client.v1.payment_intents.retrieve(intent.id).latest_charge
    charge_id = getattr(latest, "id", latest)  # localstripe always expands it
    _wait_for(
        world,
        "SELECT id FROM journal_entries WHERE source_key = :k",
        k=f"stripe:charge:{charge_id}",
    )

    assert world.balance("1580") == 15_000 and world.balance("3993") == -15_000
    assert world.balance("6570") == 0  # localstripe charges no fee
    assert world.gift(public_id).status == "paid"


def test_a_real_plan_subscription_cancelled_in_localstripe_cancels_the_gift(
    world, served, localstripe, network_id
):
    public_id = add_gift(
        world.engine, network_id=network_id, amount_ore=10_000, email="m@s.se", frequency="monthly"
    )
    _send_webhooks_to(localstripe, served, "customer.subscription.deleted")
    stripe_client = client(world.app.config)
    card = _card(stripe_client)
    product = stripe_client.v1.products.create({"name": "Månadsgåva"})
    plan = stripe_client.v1.plans.create(
        {"amount": 10_000, "currency": "sek", "interval": "month", "product": product.id}
    )
    customer = stripe_client.v1.customers.create(
        {"email": "m@s.se", "invoice_settings": {"default_payment_method": card.id}}
    )
    stripe_client.v1.payment_methods.attach(card.id, {"customer": customer.id})
    subscription = stripe_client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"plan": plan.id}], "metadata": {"gift": public_id}}
    )
    assert subscription.status == "active"

    stripe_client.v1.subscriptions.cancel(subscription.id)

    _wait_for(
        world, "SELECT 1 FROM gifts WHERE public_id = :p AND status = 'cancelled'", p=public_id
    )
