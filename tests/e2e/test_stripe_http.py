"""A Stripe delivery over real HTTP: the app served by werkzeug on 127.0.0.1, the signed body
posted with urllib, answered once stored, then booked by the app's background applier (the
production path) with the charge read back from the fake Stripe server."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from kassan.web import appliers
from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    event,
    fake_stripe_fixture,
    network_id_fixture,
    signed,
    signed_checkout,
    wait_until,
    world_fixture,
)


@pytest.fixture
def served(world):
    server = make_server("127.0.0.1", 0, world.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()
    appliers.stop(world.app)


def _post(url, body, header):
    request = urllib.request.Request(
        f"{url}/webhooks/stripe",
        data=body,
        method="POST",
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_a_signed_delivery_over_http_books_the_gift_once(world, served, network_id):
    checkout = signed_checkout(world, network_id, amount_ore=12_500, fee_ore=368, email="e@f.se")
    public_id, body, header = checkout.public_id, checkout.body, checkout.header

    first = _post(served, body, header)
    again = _post(served, body, header)
    # the booking takes milliseconds
    wait_until(lambda: world.gift(public_id).status == "paid", 15)

    assert world.app.config["STRIPE_WEBHOOK_APPLY"] == "background"
    assert first == (200, {"received": True, "id": json.loads(body)["id"], "outcome": "queued"})
    assert again[0] == 200 and again[1]["outcome"] == "duplicate"
    assert world.balance("3993") == -12_500 and world.balance("6570") == 368
    assert world.gift(public_id).status == "paid"


def test_a_forged_delivery_over_http_gets_a_json_400(world, served):
    body, header = signed(event("plan.created", {"id": "plan_1", "object": "plan"}), secret="x")

    status, answer = _post(served, body, header)

    assert status == 400 and answer["error"]["code"] == "InvalidSignature"
