"""Paying by bankgiro or Swish from the checkout page, over HTTP: the method choice, the gift
and its expected payment, the page with bankgiro number, OCR reference and amount, the Swish QR
code and app link, and a Swish Handel agreement handing over to ``webhooks.swish``."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest
import segno
from sqlalchemy import select

from kassan.web.donate import payment
from ledger.db import tables as t
from ledger.references import is_valid_reference
from ledger.services import dimensions, gifts, pii

CRYPT = pii.cipher({"KASSAN_ENV": "test"})
NBSP = "\u00a0"
BANKGIRO = "5050-1055"
SWISH = "1231181189"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_GIFT = re.compile(r'name="gift" value="([0-9a-f]{32})"')


@pytest.fixture
def fred(engine):
    with engine.begin() as conn:
        return dimensions.create_network(conn, "fred", "Fred och demokrati")


@pytest.fixture
def giro(app, fred):
    app.config["BANKGIRO"] = BANKGIRO
    app.config["SWISH_PAYEE_NUMBER"] = SWISH


def submit(client, path="/n/fred", **changes):
    page = client.get(path).get_data(as_text=True)
    data = {
        "csrf_token": _CSRF.search(page).group(1),
        "gift": _GIFT.search(page).group(1),
        "amount": "200",
        "frequency": "once",
        "donor_kind": "person",
        "donor_name": "Anna Andersson",
        "donor_email": "anna@example.se",
        "channel": "bankgiro",
    }
    data.update(changes)
    return client.post(path, data=data)


def stored(engine):
    with engine.connect() as conn:
        return (
            conn.execute(select(t.gifts)).all(),
            conn.execute(select(t.expected_payments)).all(),
        )


def test_the_form_offers_only_the_methods_whose_settings_are_set(app, client, fred):
    page = client.get("/n/fred").get_data(as_text=True)
    assert 'name="channel"' not in page
    assert "Det går inte att betala här just nu." in page
    app.config["BANKGIRO"] = BANKGIRO
    page = client.get("/n/fred").get_data(as_text=True)
    assert re.findall(r'name="channel" value="(\w+)"', page) == ["bankgiro"]
    app.config["SWISH_PAYEE_NUMBER"] = SWISH
    app.config["STRIPE_SECRET_KEY"] = "sk_test_x"
    page = client.get("/n/fred").get_data(as_text=True)
    assert re.findall(r'name="channel" value="(\w+)"', page) == ["card", "bankgiro", "swish"]
    assert "<legend>Betalsätt</legend>" in page and 'id="payer_number"' not in page


def test_choosing_bankgiro_shows_our_number_the_reference_and_the_amount(client, engine, giro):
    response = submit(client, amount="other", amount_other="1 234,50")
    assert response.status_code == 303
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    assert response.headers["Location"] == f"/betala/{public_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    [gift], [payment] = stored(engine)
    assert (gift.public_id, gift.channel, gift.status, gift.amount_ore) == (
        public_id,
        "bankgiro",
        "pending",
        123450,
    )
    assert (payment.kind, payment.gift_id, payment.amount_ore, payment.repeating) == (
        "gift",
        gift.id,
        123450,
        False,
    )
    assert payment.network_id == gift.network_id and payment.status == "open"
    assert is_valid_reference(payment.reference)
    assert f'<span class="pay-value" id="bankgiro">{BANKGIRO}</span>' in page
    assert f'<span class="pay-value" id="reference">{payment.reference}</span>' in page
    assert f'<span class="pay-value" id="amount">1{NBSP}234,50{NBSP}kr</span>' in page
    assert f'data-copy="{payment.reference}"' in page and 'data-copy="1234,50"' in page
    assert "Skriv OCR-numret som referens" in page


def test_the_payment_page_keeps_the_csp_and_works_without_javascript(client, giro):
    response = client.get(submit(client).headers["Location"])
    page = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "style=" not in page and "<style" not in page
    # one external script, and the copy buttons stay hidden until it shows them
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/donate-copy.js" defer>']
    assert page.count("<button") == page.count(" hidden>") == 3
    with client.get("/static/donate-copy.js") as script:
        assert script.status_code == 200 and b"clipboard" in script.data


def test_submitting_the_same_form_twice_gives_the_same_reference(client, engine, giro):
    page = client.get("/n/fred").get_data(as_text=True)
    token, gift = _CSRF.search(page).group(1), _GIFT.search(page).group(1)
    form = {
        "csrf_token": token,
        "gift": gift,
        "amount": "500",
        "frequency": "once",
        "donor_kind": "person",
        "donor_name": "Anna Andersson",
        "donor_email": "anna@example.se",
        "channel": "bankgiro",
    }
    first = client.post("/n/fred", data=form)
    second = client.post("/n/fred", data=form)
    assert first.headers["Location"] == second.headers["Location"] == f"/betala/{gift}"
    gifts_, payments = stored(engine)
    assert len(gifts_) == 1 and len(payments) == 1


def test_a_monthly_gift_by_bankgiro_gets_a_standing_reference(client, engine, giro):
    page = client.get(submit(client, frequency="monthly").headers["Location"]).get_data(
        as_text=True
    )
    [gift], [payment] = stored(engine)
    assert (gift.frequency, gift.channel) == ("monthly", "bankgiro")
    assert (payment.kind, payment.repeating, payment.amount_ore) == ("monthly_gift", True, 20000)
    assert "stående överföring" in page and "per månad" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount_other": "5", "amount": "other"}, "amount", "Det minsta beloppet är 20 kr."),
        ({"donor_email": "anna.example.se"}, "donor_email", "E-postadressen ser inte ut"),
        ({"channel": "kontant"}, "channel", "Välj ett av betalsätten."),
        (
            {"channel": "swish", "frequency": "monthly"},
            "channel",
            "Swish går bara för gåvor en gång.",
        ),
    ],
)
def test_bad_input_gets_a_swedish_error_and_stores_nothing(
    client, engine, giro, changes, field, message
):
    response = submit(client, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in page
    assert stored(engine) == ([], [])


def test_a_method_without_its_setting_is_refused(app, client, engine, giro):
    app.config["BANKGIRO"] = None
    response = submit(client)
    assert response.status_code == 422
    assert "Välj ett av betalsätten." in response.get_data(as_text=True)
    assert stored(engine) == ([], [])


def _dark_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules drawn by segno's SVG path (``M x y``, ``m dx dy``, ``h n``)."""
    path = re.search(r' d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for cmd, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark.update((int(y), int(x) + i) for i in range(int(a)))
            x += int(a)
    return dark


def test_swish_shows_a_locked_prefilled_qr_code_and_an_app_link(client, engine, giro):
    page = client.get(submit(client, channel="swish", amount="500").headers["Location"]).get_data(
        as_text=True
    )
    [gift], [payment] = stored(engine)
    assert gift.channel == "swish" and payment.kind == "gift"
    svg = re.search(r'<svg[^>]*class="qr".*?</svg>', page, re.S).group(0)
    # the payload Swish's app reads: payee, amount with a decimal comma, message, mask 0
    payload = f"C{SWISH};500,00;{payment.reference};0"
    expected = segno.make(payload, error="m", micro=False)
    border = 4
    assert _dark_modules(svg) == {
        (r + border, c + border)
        for r, row in enumerate(expected.matrix)
        for c, v in enumerate(row)
        if v
    }
    link = re.search(r'href="(swish://payment\?data=[^"]+)"', page).group(1)
    data = json.loads(unquote(link.split("data=", 1)[1]))
    assert data == {
        "version": 1,
        "payee": {"value": SWISH},
        "amount": {"value": 500, "editable": False},
        "message": {"value": payment.reference, "editable": False},
    }
    assert f'id="swish_number">{SWISH}</span>' in page
    assert f'id="reference">{payment.reference}</span>' in page


def test_the_payment_page_is_404_for_an_unknown_or_card_gift(client, engine, giro):
    assert client.get("/betala/" + "0" * 32).status_code == 404
    draft = gifts.validate(
        {
            "amount": "200",
            "frequency": "once",
            "donor_kind": "person",
            "donor_name": "Bo",
            "donor_email": "bo@example.se",
        }
    )
    with engine.begin() as conn:
        gifts.create_gift(conn, draft, network_id=None, crypt=CRYPT, public_id="a" * 32)
    assert client.get("/betala/" + "a" * 32).status_code == 404


@pytest.fixture
def swish_handel(app, giro, monkeypatch):
    app.config["SWISH_MERCHANT_NUMBER"] = "1234679304"
    calls = []

    def start(conn, config, gift_public_id, expected_payment, payer_number):
        calls.append((gift_public_id, expected_payment, payer_number))
        return "/swish/" + "A" * 32

    monkeypatch.setattr(payment.swish_checkout, "start", start)
    return calls


def test_with_a_swish_agreement_the_gift_goes_to_webhooks_swish_instead_of_a_qr_code(
    client, engine, swish_handel
):
    assert 'id="payer_number"' in client.get("/n/fred").get_data(as_text=True)
    response = submit(client, channel="swish", payer_number="070-123 45 67")
    assert response.status_code == 303
    assert response.headers["Location"] == "/swish/" + "A" * 32
    [gift], [payment] = stored(engine)
    [(public_id, expected_payment, payer)] = swish_handel
    assert public_id == gift.public_id and payer == "070-123 45 67"
    assert expected_payment.id == payment.id and expected_payment.amount_ore == 20000


def test_with_a_swish_agreement_a_bad_mobile_number_is_refused_before_anything_is_stored(
    client, engine, swish_handel
):
    response = submit(client, channel="swish", payer_number="12345")
    assert response.status_code == 422
    assert 'id="payer_number-error">' in response.get_data(as_text=True)
    assert stored(engine) == ([], []) and swish_handel == []
    # an empty number is the m-commerce flow on the same phone
    assert submit(client, channel="swish", payer_number="").status_code == 303
    assert swish_handel[0][2] is None
