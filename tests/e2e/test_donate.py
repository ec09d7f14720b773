"""The donor pages over HTTP, with the real stripe library talking to a fake Stripe on
loopback (``tests/support/fake_stripe_checkout.py``): the networks, the form and its errors,
the Checkout Session it makes, the return from a cancelled checkout, the thank-you page and
stopping a monthly gift from the receipt's signed link."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, text

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import dimensions, mail, pii, posting
from tests.support.fake_stripe_checkout import stripe_fake_fixture  # noqa: F401 (fixture)

NBSP = "\u00a0"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_GIFT = re.compile(r'name="gift" value="([0-9a-f]{32})"')


@pytest.fixture(autouse=True)
def approved_gift_recipient(app):
    """The organisation these tests give to is an approved gift recipient (the donor may give
    a personnummer for the tax reduction); the tests that say otherwise set it back."""
    app.config["TAX_APPROVED_RECIPIENT"] = True


@pytest.fixture
def networks(engine):
    year = date.today().year
    with engine.begin() as conn:
        fred = dimensions.create_network(conn, "fred", "Fred och demokrati")
        dimensions.create_network(conn, "klimat", "Rättvis klimatomställning")
        dimensions.set_budget(conn, fred, year, 1_000_000_00, 600_000_00)
        posting.post(
            conn,
            Draft(
                date(year, 1, 15),
                "Gåva",
                (
                    LineDraft("1930", 250_000_00, 0),
                    LineDraft("3993", 0, 250_000_00, network="fred"),
                ),
            ),
        )
    return {"fred": fred}


def form_page(client, path="/n/fred"):
    page = client.get(path).get_data(as_text=True)
    return _CSRF.search(page).group(1), _GIFT.search(page).group(1)


def valid(**changes):
    data = {
        "amount": "200",
        "amount_other": "",
        "frequency": "once",
        "donor_kind": "person",
        "donor_name": "Anna Andersson",
        "donor_email": "anna@example.se",
        "organisation_number": "",
        "personnummer": "",
        "consent_contact": "1",
    }
    data.update(changes)
    return data


def submit(client, path="/n/fred", **changes):
    token, gift = form_page(client, path)
    data = valid(**changes)
    data.setdefault("gift", gift)
    return client.post(path, data={"csrf_token": token, **data})


def gift_row(engine, public_id):
    with engine.connect() as conn:
        return conn.execute(select(t.gifts).where(t.gifts.c.public_id == public_id)).one()


# --- the networks page ------------------------------------------------------------------------


def test_the_front_page_lists_the_networks_with_this_years_coverage(client, networks):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Fred och demokrati" in page and "Rättvis klimatomställning" in page
    assert f"250{NBSP}000,00{NBSP}kr av årets behov på 1{NBSP}000{NBSP}000,00{NBSP}kr" in page
    assert '<progress id="cov-fred" max="100" value="25">' in page
    # the dashboard's number, rounded the dashboard's way (reports.funding.render)
    assert f"Täckt {date.today().year}: 25,0 %" in page
    assert "Årets budget är inte fastställd än." in page  # klimat has no budget
    assert 'href="/n/fred"' in page and 'href="/ge"' in page
    assert "Där behovet är störst" in page


def test_the_front_page_keeps_its_figures_and_shows_a_posting_and_a_budget_at_once(
    client, engine, networks, monkeypatch
):
    """The front page's funding gap is kept per process (issue 14) and never stale: a view with
    nothing changed reads nothing afresh; a gift booked or a budget raised shows at once."""
    import reports.funding

    read = reports.funding._funding_gaps
    calls: list[int] = []

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return read(*args, **kwargs)

    monkeypatch.setattr(reports.funding, "_funding_gaps", counted)
    year = date.today().year
    assert f"250{NBSP}000,00{NBSP}kr av" in client.get("/").get_data(as_text=True)
    before = len(calls)
    again = client.get("/").get_data(as_text=True)
    assert len(calls) == before  # kept: nothing changed, nothing read afresh
    assert f"Täckt {year}: 25,0 %" in again

    with engine.begin() as conn:  # a gift booked: the ledger head moves
        posting.post(
            conn,
            Draft(
                date(year, 1, 16),
                "Gåva",
                (
                    LineDraft("1930", 50_000_00, 0),
                    LineDraft("3993", 0, 50_000_00, network="fred"),
                ),
            ),
        )
    booked = client.get("/").get_data(as_text=True)
    assert len(calls) == before + 1
    assert f"300{NBSP}000,00{NBSP}kr av årets behov på 1{NBSP}000{NBSP}000,00{NBSP}kr" in booked
    assert f"Täckt {year}: 30,0 %" in booked

    with engine.begin() as conn:  # a budget raised, no posting: the change mark moves
        dimensions.set_budget(conn, networks["fred"], year, 1_200_000_00, 600_000_00)
    raised = client.get("/").get_data(as_text=True)
    assert len(calls) == before + 2
    assert f"300{NBSP}000,00{NBSP}kr av årets behov på 1{NBSP}200{NBSP}000,00{NBSP}kr" in raised
    assert f"Täckt {year}: 25,0 %" in raised


def test_the_front_page_counts_with_the_dashboards_monthly_gift_setting(
    app, client, engine, networks, monkeypatch
):
    """With no monthly gift active, the funding gap counts donors at the setting
    ``FUNDING_GAP_MONTHLY_GIFT_ORE``: the front page reads it through the same function as the
    dashboard (``reports.funding.monthly_gift_fallback``), so a changed setting reaches both."""
    import reports.funding
    from tests.e2e.test_dashboard_pages import sign_in

    read = reports.funding._funding_gaps
    fallbacks: list[int] = []

    def recorded(conn, years, network, as_of, fallback_gift_ore, *rest):  # type: ignore[no-untyped-def]
        fallbacks.append(fallback_gift_ore)
        return read(conn, years, network, as_of, fallback_gift_ore, *rest)

    monkeypatch.setattr(reports.funding, "_funding_gaps", recorded)
    later = date.today().year + 1  # a whole year left: the dashboard says the donors it takes
    with engine.begin() as conn:
        dimensions.set_budget(conn, networks["fred"], later, 120_000_00, 0)
    sign_in(client, engine, "leadership")
    for setting, shown in ((150_00, "150,00"), (300_00, "300,00")):
        app.config["FUNDING_GAP_MONTHLY_GIFT_ORE"] = setting
        fallbacks.clear()
        dashboard = client.get(f"/dashboard?year={later}").get_data(as_text=True)
        assert f"med mediangåvan {shown}{NBSP}kr i månaden" in dashboard
        assert fallbacks == [setting]
        fallbacks.clear()
        assert client.get("/").status_code == 200
        assert fallbacks == [setting]  # read afresh under the new setting, not the old one


def test_the_donor_pages_have_no_inline_script_or_style_and_keep_the_csp(client, networks):
    for path in ("/", "/n/fred", "/ge"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "<script" not in page and "style=" not in page and "<style" not in page


def test_an_unknown_network_is_404(client):
    assert client.get("/n/finns-inte").status_code == 404


def test_the_page_is_in_english_with_lang_en_and_stays_so(client, networks):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Where the need is greatest" in page
    assert "På svenska" in page
    form = client.get("/n/fred").get_data(as_text=True)  # remembered in the session
    assert "Amount" in form and "Continue to payment" in form
    back = client.get("/?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in back and "Där behovet är störst" in back


def test_the_form_labels_every_input_and_groups_the_radios(client, networks):
    page = client.get("/n/fred").get_data(as_text=True)
    for name in (
        "amount_other",
        "donor_name",
        "donor_email",
        "organisation_number",
        "personnummer",
        "consent_contact",
    ):
        assert f'<label for="{name}">' in page
        assert f'id="{name}"' in page
    assert page.count("<fieldset") >= 3 and "<legend>Belopp</legend>" in page
    assert "<legend>Hur ofta?</legend>" in page and "<legend>Jag ger som</legend>" in page


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "", "amount_other": ""}, "amount", "Välj eller skriv ett belopp."),
        ({"amount_other": "tjugo"}, "amount", "Skriv beloppet i kronor"),
        ({"amount_other": "19,99"}, "amount", "Det minsta beloppet är 20 kr."),
        ({"frequency": "weekly"}, "frequency", "Välj om du vill ge en gång eller varje månad."),
        ({"donor_kind": ""}, "donor_kind", "Välj om du ger som privatperson"),
        ({"donor_name": "  "}, "donor_name", "Skriv ditt namn"),
        ({"donor_email": ""}, "donor_email", "Skriv din e-postadress"),
        (
            {"donor_email": "anna.example.se"},
            "donor_email",
            "E-postadressen ser inte ut att stämma",
        ),
        ({"donor_kind": "organisation"}, "organisation_number", "Skriv organisationsnumret"),
        (
            {"donor_kind": "organisation", "organisation_number": "556036-0794"},
            "organisation_number",
            "Organisationsnumret stämmer inte",
        ),
        ({"personnummer": "19811218-9875"}, "personnummer", "Personnumret stämmer inte"),
    ],
)
def test_a_bad_field_is_named_in_swedish_and_the_form_keeps_the_values(
    client, engine, networks, stripe_fake, changes, field, message
):
    response = submit(client, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in page
    assert f'<a href="#{field}">' in page
    assert 'value="Anna Andersson"' in page or changes.get("donor_name")
    assert 'value="anna@example.se"' in page or "donor_email" in changes
    assert stripe_fake.requests == []
    with engine.connect() as conn:
        assert conn.execute(select(t.gifts)).all() == []


def test_twenty_kronor_is_enough(client, stripe_fake, networks):
    response = submit(client, amount_other="20")
    assert response.status_code == 303
    (request,) = stripe_fake.posts("/v1/checkout/sessions")
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "2000"


def test_a_post_without_the_csrf_token_is_refused(client, networks, stripe_fake):
    _, gift = form_page(client)
    response = client.post("/n/fred", data={**valid(), "gift": gift})
    assert response.status_code == 400
    assert stripe_fake.requests == []


def test_errors_come_in_english_on_the_english_page(client, networks, stripe_fake):
    client.get("/?lang=en")
    page = submit(client, amount_other="5").get_data(as_text=True)
    assert "The smallest amount is SEK 20." in page


# --- checkout ---------------------------------------------------------------------------------


def test_a_one_off_gift_makes_a_donate_checkout_session_and_redirects(
    client, engine, networks, stripe_fake
):
    response = submit(client, amount="other", amount_other="1 234,50")
    assert response.status_code == 303
    (request,) = stripe_fake.posts("/v1/checkout/sessions")
    session = next(iter(stripe_fake.sessions.values()))
    assert response.headers["Location"] == session["url"]
    p = request.params
    gift_id = p["metadata"]["gift"]
    assert p["mode"] == "payment" and p["submit_type"] == "donate"
    assert p["locale"] == "sv" and p["customer_email"] == "anna@example.se"
    price = p["line_items"][0]["price_data"]
    assert price["currency"] == "sek" and price["unit_amount"] == "123450"
    assert "recurring" not in price and p["line_items"][0]["quantity"] == "1"
    assert p["metadata"] == {"gift": gift_id, "network": "fred"}
    assert p["payment_intent_data"]["metadata"] == {"gift": gift_id, "network": "fred"}
    assert "subscription_data" not in p
    assert p["success_url"] == (
        f"https://ge.kassan.test/tack/{gift_id}?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert p["cancel_url"] == f"https://ge.kassan.test/n/fred?gift={gift_id}"
    assert request.idempotency_key == f"gift-{gift_id}-checkout"
    assert request.stripe_version  # the pinned version is sent
    row = gift_row(engine, gift_id)
    assert (row.status, row.channel, row.frequency, row.amount_ore) == (
        "pending",
        "card",
        "once",
        123450,
    )
    assert row.network_id == networks["fred"] and row.locale == "sv"
    assert row.stripe_checkout_session_id == session["id"]
    assert row.consent_contact is True and row.donor_kind == "person"


def test_a_monthly_gift_is_a_subscription_with_a_monthly_price_and_no_submit_type(
    client, engine, networks, stripe_fake
):
    response = submit(client, amount="500", frequency="monthly")
    assert response.status_code == 303
    (request,) = stripe_fake.posts("/v1/checkout/sessions")
    p = request.params
    assert p["mode"] == "subscription" and "submit_type" not in p
    price = p["line_items"][0]["price_data"]
    assert price["unit_amount"] == "50000" and price["currency"] == "sek"
    assert price["recurring"] == {"interval": "month", "interval_count": "1"}
    gift_id = p["metadata"]["gift"]
    assert p["subscription_data"]["metadata"] == {"gift": gift_id, "network": "fred"}
    assert "payment_intent_data" not in p
    assert gift_row(engine, gift_id).frequency == "monthly"


def test_where_the_need_is_greatest_has_no_network(client, engine, stripe_fake):
    response = submit(client, "/ge")
    assert response.status_code == 303
    (request,) = stripe_fake.posts("/v1/checkout/sessions")
    assert request.params["metadata"]["network"] == ""
    assert request.params["cancel_url"].endswith(f"/ge?gift={request.params['metadata']['gift']}")
    assert gift_row(engine, request.params["metadata"]["gift"]).network_id is None


def test_an_organisation_gives_with_its_number_in_english(client, engine, networks, stripe_fake):
    client.get("/?lang=en")
    response = submit(
        client,
        donor_kind="organisation",
        donor_name="Metallklubben",
        organisation_number="5560360793",
    )
    assert response.status_code == 303
    (request,) = stripe_fake.posts("/v1/checkout/sessions")
    assert request.params["locale"] == "en"
    row = gift_row(engine, request.params["metadata"]["gift"])
    assert (row.donor_kind, row.organisation_number, row.locale) == (
        "organisation",
        "556036-0793",
        "en",
    )


def test_posting_the_same_gift_twice_reuses_its_checkout_session(
    client, engine, networks, stripe_fake
):
    token, gift = form_page(client)
    data = {"csrf_token": token, "gift": gift, **valid()}
    first = client.post("/n/fred", data=data)
    second = client.post("/n/fred", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    requests = stripe_fake.posts("/v1/checkout/sessions")
    assert [r.idempotency_key for r in requests] == [f"gift-{gift}-checkout"] * 2
    assert len(stripe_fake.sessions) == 1
    with engine.connect() as conn:
        assert conn.execute(select(t.gifts.c.public_id)).scalars().all() == [gift]


def test_a_stripe_failure_keeps_the_gift_and_the_form_and_a_retry_succeeds(
    client, engine, networks, stripe_fake
):
    stripe_fake.fail_next = 3  # the client's own two retries fail too
    token, gift = form_page(client)
    data = {"csrf_token": token, "gift": gift, **valid()}
    failed = client.post("/n/fred", data=data)
    assert failed.status_code == 503
    assert "Kortbetalningen kunde inte startas just nu" in failed.get_data(as_text=True)
    assert 'value="Anna Andersson"' in failed.get_data(as_text=True)
    assert gift_row(engine, gift).stripe_checkout_session_id is None
    retry = client.post("/n/fred", data=data)
    assert retry.status_code == 303
    assert {r.idempotency_key for r in stripe_fake.posts("/v1/checkout/sessions")} == {
        f"gift-{gift}-checkout"
    }


def test_a_cancelled_checkout_returns_to_the_form_with_the_values_kept(
    client, engine, networks, stripe_fake
):
    submit(
        client,
        amount="other",
        amount_other="750",
        frequency="monthly",
        donor_name="Bo Ek",
        donor_email="bo@example.se",
        personnummer="198112189876",
    )
    (request,) = stripe_fake.posts("/v1/checkout/sessions")
    cancel_path = request.params["cancel_url"].removeprefix("https://ge.kassan.test")
    page = client.get(cancel_path).get_data(as_text=True)
    gift = request.params["metadata"]["gift"]
    assert f'name="gift" value="{gift}"' in page
    assert 'value="750"' in page and 'value="other" id="amount" checked' in page
    assert 'value="monthly" checked' in page
    assert 'value="Bo Ek"' in page and 'value="bo@example.se"' in page
    assert "198112189876" not in page and "19811218-9876" not in page  # never shown back
    # Unchanged and sent again: the same session; changed: a new gift.
    token = _CSRF.search(page).group(1)
    same = valid(
        amount="other",
        amount_other="750",
        frequency="monthly",
        donor_name="Bo Ek",
        donor_email="bo@example.se",
        gift=gift,
    )
    again = client.post(cancel_path, data={"csrf_token": token, **same})
    assert again.status_code == 303
    assert gift_row(engine, gift).personnummer_enc is not None  # kept though left blank
    changed = client.post(cancel_path, data={"csrf_token": token, **same, "amount_other": "800"})
    assert changed.status_code == 303
    keys = [r.idempotency_key for r in stripe_fake.posts("/v1/checkout/sessions")]
    assert keys[0] == keys[1] == f"gift-{gift}-checkout" and keys[2] != keys[0]
    assert len(stripe_fake.sessions) == 2


def test_the_personnummer_is_stored_encrypted_only(app, client, engine, networks, stripe_fake):
    submit(client, personnummer="811218-9876")
    gift = stripe_fake.posts("/v1/checkout/sessions")[0].params["metadata"]["gift"]
    with engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM gifts")) for v in row)
    assert "9876" not in dump and "811218" not in dump
    token = gift_row(engine, gift).personnummer_enc
    assert pii.decrypt(pii.cipher(app.config), token) == "19811218-9876"


def test_without_tax_approval_no_personnummer_is_asked_for_or_kept(
    app, client, engine, networks, stripe_fake
):
    app.config["TAX_APPROVED_RECIPIENT"] = False
    page = client.get("/n/fred").get_data(as_text=True)
    assert 'id="personnummer"' not in page and "skattereduktion" not in page
    submit(client, personnummer="811218-9876")  # sent anyway, by an old form or a script
    gift = stripe_fake.posts("/v1/checkout/sessions")[0].params["metadata"]["gift"]
    assert gift_row(engine, gift).personnummer_enc is None


def test_an_approved_recipient_asks_for_the_personnummer_and_says_why(client, networks):
    page = client.get("/n/fred").get_data(as_text=True)
    assert 'id="personnummer"' in page
    assert "Vi är godkänd gåvomottagare" in page and "skattereduktion" in page


# --- thank you and stopping -------------------------------------------------------------------


def test_the_thank_you_page_says_pending_then_thanks_once_paid(
    client, engine, networks, stripe_fake
):
    submit(client, amount="1000")
    (request,) = stripe_fake.posts("/v1/checkout/sessions")
    gift = request.params["metadata"]["gift"]
    session_id = next(iter(stripe_fake.sessions))
    page = client.get(f"/tack/{gift}?session_id={session_id}").get_data(as_text=True)
    assert "Betalningen behandlas" in page
    assert f"1{NBSP}000,00{NBSP}kr" in page and "Fred och demokrati" in page
    with engine.begin() as conn:
        conn.execute(t.gifts.update().where(t.gifts.c.public_id == gift).values(status="paid"))
    page = client.get(f"/tack/{gift}?session_id={session_id}").get_data(as_text=True)
    assert "Tack! Vi har tagit emot din gåva" in page
    assert client.get("/tack/" + "0" * 32).status_code == 404


def _monthly_gift(client, engine, stripe_fake):
    submit(client, amount="100", frequency="monthly")
    gift = stripe_fake.posts("/v1/checkout/sessions")[0].params["metadata"]["gift"]
    sub = stripe_fake.add_subscription()
    with engine.begin() as conn:  # what the webhook does on checkout.session.completed
        conn.execute(
            t.gifts.update()
            .where(t.gifts.c.public_id == gift)
            .values(status="active", stripe_subscription_id=sub)
        )
    return gift, sub


def test_a_monthly_donor_stops_the_gift_from_the_signed_link(
    app, client, engine, networks, stripe_fake
):
    gift, sub = _monthly_gift(client, engine, stripe_fake)
    path = f"/sluta/{mail.stop_token(app.config['SECRET_KEY'], gift)}"
    confirm = client.get(path)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Ja, avsluta min månadsgåva" in page
    assert gift_row(engine, gift).status == "active"  # GET changes nothing
    assert client.post(path, data={}).status_code == 400  # no CSRF token
    response = client.post(path, data={"csrf_token": _CSRF.search(page).group(1)})
    assert response.status_code == 200
    assert "Din månadsgåva är avslutad" in response.get_data(as_text=True)
    (cancel,) = [r for r in stripe_fake.requests if r.method == "DELETE"]
    assert cancel.path == f"/v1/subscriptions/{sub}"
    assert stripe_fake.subscriptions[sub]["status"] == "canceled"
    assert gift_row(engine, gift).status == "cancelled"
    assert "Din månadsgåva är avslutad" in client.get(path).get_data(as_text=True)


def test_a_tampered_or_expired_stop_link_stops_nothing(app, client, engine, networks, stripe_fake):
    gift, _ = _monthly_gift(client, engine, stripe_fake)
    good = mail.stop_token(app.config["SECRET_KEY"], gift)
    tampered = ("A" if good[0] != "A" else "B") + good[1:]  # the signed payload changed
    assert client.get(f"/sluta/{tampered}").status_code == 400
    forged = mail.stop_token("another-secret-" + "y" * 32, gift)
    assert client.get(f"/sluta/{forged}").status_code == 400

    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 100 * 24 * 3600

    old = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=mail.STOP_SALT, signer=LongAgo
    ).dumps(gift)
    response = client.get(f"/sluta/{old}")
    assert response.status_code == 410
    assert "Länken har gått ut" in response.get_data(as_text=True)
    token = _CSRF.search(client.get(f"/sluta/{good}").get_data(as_text=True)).group(1)
    assert client.post(f"/sluta/{old}", data={"csrf_token": token}).status_code == 410
    assert not [r for r in stripe_fake.requests if r.method == "DELETE"]
    assert gift_row(engine, gift).status == "active"


def test_the_committed_english_catalog_is_compiled_from_its_po_file():
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parents[2] / "kassan/web/translations/en/LC_MESSAGES"
    with open(folder / "messages.po", "rb") as po, open(folder / "messages.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    assert {m.id: m.string for m in source if m.id} == {m.id: m.string for m in compiled if m.id}
    assert all(m.string for m in source if m.id)


def test_the_presets_read_as_whole_kronor(client, networks):
    page = client.get("/n/fred").get_data(as_text=True)
    assert f'value="1000"> 1{NBSP}000{NBSP}kr</label>' in page
    assert f'value="200" checked> 200{NBSP}kr</label>' in page
    english = client.get("/n/fred?lang=en").get_data(as_text=True)
    assert f'value="1000"> SEK{NBSP}1,000</label>' in english


def test_a_subscription_stripe_no_longer_has_counts_as_stopped(
    app, client, engine, networks, stripe_fake
):
    gift, sub = _monthly_gift(client, engine, stripe_fake)
    del stripe_fake.subscriptions[sub]  # e.g. ended in Stripe's dashboard
    path = f"/sluta/{mail.stop_token(app.config['SECRET_KEY'], gift)}"
    token = _CSRF.search(client.get(path).get_data(as_text=True)).group(1)
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 200
    assert gift_row(engine, gift).status == "cancelled"


def test_a_stripe_outage_while_stopping_changes_nothing(app, client, engine, networks, stripe_fake):
    gift, sub = _monthly_gift(client, engine, stripe_fake)
    path = f"/sluta/{mail.stop_token(app.config['SECRET_KEY'], gift)}"
    token = _CSRF.search(client.get(path).get_data(as_text=True)).group(1)
    stripe_fake.fail_next = 3
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 503
    assert "Vi kunde inte avsluta gåvan just nu" in response.get_data(as_text=True)
    assert gift_row(engine, gift).status == "active"
    assert stripe_fake.subscriptions[sub]["status"] == "active"
