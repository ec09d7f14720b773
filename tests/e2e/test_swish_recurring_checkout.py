"""A monthly gift by recurring Swish from the donor's side, over HTTP: the gift form with
monthly + Swish, the consent at the (fake, mutual-TLS) Swish, the consent page, the callback to
the live app, and without a recurring agreement the form saying Swish is for one-off gifts."""

from __future__ import annotations

import re

from ledger.services import dimensions
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_GIFT = re.compile(r'name="gift" value="([0-9a-f]{32})"')


def _give(client, **changes):
    page = client.get("/n/fred").get_data(as_text=True)
    data = {
        "csrf_token": _CSRF.search(page).group(1),
        "gift": _GIFT.search(page).group(1),
        "amount": "200",
        "frequency": "monthly",
        "donor_kind": "person",
        "donor_name": "Anna Andersson",
        "donor_email": "anna@example.se",
        "channel": "swish",
    }
    data.update(changes)
    return client.post("/n/fred", data=data)


def test_monthly_swish_on_the_form_asks_for_a_consent_and_the_page_follows_it(swish, client):
    with swish.engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")
    swish.app.config["SWISH_RECURRING"] = True
    assert "varje månad med ett medgivande" in client.get("/n/fred").get_data(as_text=True)

    response = _give(client, payer_number="070-123 45 67")

    assert response.status_code == 303
    path = response.headers["Location"]
    assert path.startswith("/swish/samtycke/")
    consent_id = path.rsplit("/", 1)[-1]
    sent = swish.fake.consents[consent_id]
    assert sent["payer"] == {"alias": "46701234567"}
    assert sent["callbackUrl"] == f"{swish.base_url}/webhooks/swish/consents"
    waiting = client.get(path)
    assert waiting.headers["Refresh"] == "3"
    assert "Öppna Swish-appen på din telefon" in waiting.get_data(as_text=True)
    assert swish.fake.consent_outcome(consent_id, "ACTIVE") == 200
    done = client.get(path).get_data(as_text=True)
    assert "Din månadsgåva med Swish är startad" in done
    assert "200,00" in done


def test_without_a_recurring_agreement_monthly_swish_is_refused_in_swedish(swish, client):
    with swish.engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")
    response = _give(client)
    assert response.status_code == 422
    assert "Swish går bara för gåvor en gång" in response.get_data(as_text=True)
    assert swish.fake.consents == {}
