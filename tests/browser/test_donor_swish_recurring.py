"""A donor on a phone (375 px) gives monthly by recurring Swish: monthly + Swish on the gift
form, the consent page with the Swish button and QR code, the page following the consent by
itself to "started" once the donor approves it in the app (the fake Swish, over mutual TLS)."""

import re

from ledger.services import dimensions
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)


def test_a_donor_on_a_phone_gives_monthly_by_swish_and_sees_it_started(swish, phone):
    swish.app.config["SWISH_RECURRING"] = True
    with swish.engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")
    phone.goto(f"{swish.base_url}/n/fred")
    phone.get_by_label("Varje månad", exact=True).check()
    phone.get_by_label("Privatperson").check()
    phone.get_by_label("Namn").fill("Kerstin Lindqvist")
    phone.get_by_label("E-post").fill("kerstin@example.org")
    phone.get_by_role("radio", name=re.compile(r"^\s*Swish")).check()
    phone.get_by_role("button", name="Gå vidare till betalning").click()

    phone.wait_for_url(re.compile(r".*/swish/samtycke/[0-9A-F]{32}$"))
    consent_id = phone.url.rsplit("/", 1)[-1]
    assert phone.get_by_role("heading", name="Godkänn månadsgåvan i Swish").is_visible()
    button = phone.get_by_role("link", name="Öppna Swish")
    assert button.is_visible()
    assert button.get_attribute("href").startswith("swish://paymentrequest?token=")
    assert phone.locator("figure.swish-qr svg").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    assert swish.fake.consent_outcome(consent_id, "ACTIVE") == 200
    heading = phone.get_by_role("heading", name="Tack! Din månadsgåva med Swish är startad")
    heading.wait_for(timeout=15_000)  # the page reloads itself every 3 s
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
