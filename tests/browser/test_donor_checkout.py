"""A donor on a phone fills the gift form and reaches Stripe's Checkout redirect.

Stripe's own Checkout page cannot load here, so the browser's request for it is answered by
the test (``page.route``); everything before it is the real app, the real stripe library and
a Stripe-shaped server on loopback."""

import re
from datetime import date

import pytest

from ledger.services import dimensions
from tests.support.fake_stripe_checkout import FakeStripeServer


@pytest.fixture
def stripe_fake(app):
    with FakeStripeServer() as fake:
        app.config["STRIPE_SECRET_KEY"] = fake.secret_key
        app.config["STRIPE_API_BASE"] = fake.url
        yield fake


@pytest.fixture
def palestina(engine):
    with engine.begin() as conn:
        network = dimensions.create_network(conn, "palestina", "Palestina")
        dimensions.set_budget(conn, network, date.today().year, 500_000_00, 400_000_00)


def test_a_donor_on_a_phone_gives_monthly_and_reaches_stripe_checkout(
    app, live_server, phone, stripe_fake, palestina
):
    app.config["PUBLIC_BASE_URL"] = live_server
    phone.route(
        re.compile(r"https://checkout\.stripe\.com/.*"),
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>Stripe Checkout</title>"
        ),
    )
    phone.goto(f"{live_server}/")
    phone.get_by_role("link", name=re.compile("Palestina")).first.click()
    phone.wait_for_url(f"{live_server}/n/palestina**")

    phone.get_by_label("Annat belopp", exact=True).check()
    phone.get_by_label("Annat belopp i kronor (minst 20 kr)").fill("150")
    phone.get_by_label("Varje månad").check()
    phone.get_by_label("Privatperson").check()
    phone.get_by_label("Namn").fill("Kerstin Lindqvist")
    phone.get_by_label("E-post").fill("kerstin@example.org")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("button", name="Gå vidare till betalning").click()

    phone.wait_for_url(re.compile(r"https://checkout\.stripe\.com/c/pay/cs_test_.*"))
    [created] = stripe_fake.posts("/v1/checkout/sessions")
    assert created.params["mode"] == "subscription"
    assert created.params["line_items"][0]["price_data"]["unit_amount"] == "15000"
    assert created.params["line_items"][0]["price_data"]["recurring"]["interval"] == "month"
    assert created.params["metadata"]["network"] == "palestina"
    assert created.params["customer_email"] == "kerstin@example.org"


def test_a_too_small_amount_is_refused_in_swedish_without_leaving_the_page(
    live_server, phone, stripe_fake, palestina
):
    phone.goto(f"{live_server}/n/palestina")
    phone.get_by_label("Annat belopp", exact=True).check()
    phone.get_by_label("Annat belopp i kronor (minst 20 kr)").fill("5")
    phone.get_by_label("En gång").check()
    phone.get_by_label("Privatperson").check()
    phone.get_by_label("Namn").fill("Per Olsson")
    phone.get_by_label("E-post").fill("per@example.org")
    phone.get_by_role("button", name="Gå vidare till betalning").click()
    assert phone.url.startswith(live_server)
    assert "minst 20" in phone.locator("main").inner_text()
    assert stripe_fake.posts("/v1/checkout/sessions") == []
