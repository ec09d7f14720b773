"""A donor on a phone (375 px) gives monthly by Autogiro: reads the mandate's terms in their
own scrolling box, is told by field what is wrong, fixes it, and lands on the thank-you page
with the payer number; nothing sticks out sideways on the way."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ledger.db import tables as t
from ledger.services import dimensions


@pytest.fixture
def fred(app, engine):
    app.config.update(
        BANKGIRO="991-2346", AUTOGIRO_CUSTOMER_NUMBER="471117", ORGANISATION_NAME="Kassan"
    )
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")


def _fits(phone) -> None:  # type: ignore[no-untyped-def]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_donor_on_a_phone_gives_monthly_by_autogiro(live_server, phone, engine, fred):
    phone.goto(f"{live_server}/n/fred")
    phone.get_by_role("radio", name="Varje månad", exact=True).check()
    phone.get_by_label("Privatperson").check()
    phone.get_by_label("Namn").fill("Kerstin Lindqvist")
    phone.get_by_label("E-post").fill("kerstin@example.org")
    phone.get_by_role("radio", name=re.compile(r"^\s*Autogiro")).check()
    phone.get_by_label("Personnummer eller organisationsnummer").fill("19811218-9876")
    phone.get_by_label("Clearingnummer").fill("3300")
    phone.get_by_label("Kontonummer").fill("1212121213")  # one digit wrong
    terms = phone.get_by_role("region", name="Villkor för medgivandet")
    expect(terms).to_contain_text("Medgivande till betalning via Autogiro")
    expect(terms).to_contain_text("Återkallelse")
    _fits(phone)
    phone.get_by_role("button", name="Gå vidare till betalning").click()

    alert = phone.get_by_role("alert")
    expect(alert).to_contain_text("Kontonummer: clearingnummer och kontonummer stämmer inte")
    expect(alert).to_contain_text("Medgivande: kryssa i")
    _fits(phone)
    phone.get_by_label("Kontonummer").fill("1212121212")
    phone.get_by_label("Jag har läst villkoren och medger betalning via Autogiro.").check()
    phone.get_by_role("button", name="Gå vidare till betalning").click()

    phone.wait_for_url(re.compile(r".*/tack/[0-9a-f]{32}$"))
    with engine.connect() as conn:
        payer = conn.execute(select(t.autogiro_mandates.c.payer_number)).scalar_one()
    summary = phone.locator("#autogiro-summary")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Tack! Din månadsgåva via Autogiro är registrerad"
    )
    expect(summary).to_contain_text(str(payer))
    expect(summary).to_contain_text("3300-******1212")
    _fits(phone)
