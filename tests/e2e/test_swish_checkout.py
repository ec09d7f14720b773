"""The whole Swish Handel path from the donor's side, over HTTP: the checkout form with Swish
chosen, the payment request at the (fake, mutual-TLS) Swish, the status page, Swish's callback to
the live app, the booking, and the page saying thank you. Nothing here is mocked but Swish."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ledger.db import tables as t
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
        "frequency": "once",
        "donor_kind": "person",
        "donor_name": "Anna Andersson",
        "donor_email": "anna@example.se",
        "channel": "swish",
    }
    data.update(changes)
    return client.post("/n/fred", data=data)


def _network(engine):
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")


def _count(engine, table):
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def test_a_donor_pays_by_swish_from_the_checkout_page_and_is_thanked(swish, client):
    _network(swish.engine)
    assert 'id="payer_number"' in client.get("/n/fred").get_data(as_text=True)

    response = _give(client, payer_number="070-123 45 67")

    assert response.status_code == 303
    instruction_id = response.headers["Location"].rsplit("/", 1)[-1]
    sent = swish.fake.payments[instruction_id]
    assert (sent["payerAlias"], sent["amount"], sent["currency"]) == ("46701234567", 200.0, "SEK")
    waiting = client.get(f"/swish/{instruction_id}")
    assert waiting.headers["Refresh"] == "3"
    assert "Öppna Swish-appen på din telefon" in waiting.get_data(as_text=True)

    assert swish.fake.complete(instruction_id, "PAID") == 200  # Swish calls the live app

    done = client.get(f"/swish/{instruction_id}").get_data(as_text=True)
    assert "Tack! Vi har tagit emot din gåva" in done
    assert "200,00\xa0kr" in done and "Fred och demokrati" in done
    booked = [(acc, d, c) for _, acc, d, c, _ in swish.entries()]
    assert booked == [("1930", 20_000, 0), ("3993", 0, 20_000)]
    row = swish.payment(instruction_id)
    with swish.engine.connect() as conn:
        gift = conn.execute(select(t.gifts).where(t.gifts.c.id == row.gift_id)).one()
    assert (gift.status, gift.channel) == ("paid", "swish")
    assert swish.expected_of(gift.public_id).status == "paid"


def test_without_a_number_the_donor_gets_the_link_that_opens_swish_on_the_phone(swish, client):
    _network(swish.engine)
    response = _give(client, payer_number="")
    instruction_id = response.headers["Location"].rsplit("/", 1)[-1]
    assert "payerAlias" in swish.fake.payments[instruction_id]
    assert swish.fake.payments[instruction_id]["payerAlias"] is None
    page = client.get(f"/swish/{instruction_id}").get_data(as_text=True)
    token = swish.fake.payments[instruction_id]["token"]
    assert f'href="swish://paymentrequest?token={token}&amp;callbackurl=http' in page
    swish.fake.complete(instruction_id, "DECLINED")
    page = client.get(f"/swish/{instruction_id}").get_data(as_text=True)
    assert "Betalningen godkändes inte i Swish" in page and "swish://" not in page
    assert swish.entries() == []


def test_a_number_that_is_not_a_mobile_number_gets_a_swedish_error_and_nothing_is_sent(
    swish, client
):
    _network(swish.engine)
    response = _give(client, payer_number="08-123 456 78")
    assert response.status_code == 422
    assert "Ange ett svenskt mobilnummer" in response.get_data(as_text=True)
    assert swish.fake.payments == {}
    assert _count(swish.engine, t.gifts) == 0


def test_a_number_swish_does_not_know_is_explained_and_nothing_is_booked(swish, client):
    _network(swish.engine)
    response = _give(client, payer_number="070-000 00 00")
    assert response.status_code == 422
    assert "inte kopplat till Swish" in response.get_data(as_text=True)
    assert _count(swish.engine, t.swish_payments) == 0
    assert swish.entries() == []
