"""A club's contact starts a collection on a phone (375 px), and, once finance has approved it,
a member opens its page on a phone: progress, the collection's reference and the give form fit
the screen without sideways scrolling."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ledger.services import collections, dimensions


@pytest.fixture
def fred(app, engine):
    app.config.update(BANKGIRO="5050-1055", SWISH_PAYEE_NUMBER="1231181189")
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")


def test_a_collection_is_started_and_then_read_on_a_phone(live_server, phone, engine, fred):
    phone.goto(f"{live_server}/insamling/ny")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_label("Organisationens namn").fill("Verkstadsklubben")
    phone.get_by_label("Organisationsnummer").fill("802481-1658")
    phone.get_by_label("Kontaktperson", exact=True).fill("Karin Berg")
    phone.get_by_label("Kontaktpersonens e-post").fill("karin@example.se")
    phone.get_by_label("Nätverk").select_option("fred")
    phone.get_by_label("Rubrik").fill("Fika för fred")
    phone.get_by_label("Kort text").fill("Vi samlar in på jobbet.")
    phone.get_by_label("Mål i kronor").fill("5000")
    phone.get_by_label("Slutdatum").fill((date.today() + timedelta(days=20)).isoformat())
    phone.get_by_role("button", name="Skicka för godkännande").click()
    phone.get_by_role("heading", name="Tack! Insamlingen väntar på godkännande").wait_for()

    with engine.connect() as conn:
        (started,) = collections.list_collections(conn, status="pending")
    with engine.begin() as conn:
        found = collections.approve(conn, started.id)

    phone.goto(f"{live_server}/i/{found.slug}")
    assert phone.get_by_role("heading", name="Fika för fred").is_visible()
    assert phone.get_by_text("20 dagar kvar").is_visible()
    assert phone.get_by_text(f"OCR {found.reference}").is_visible()
    assert phone.get_by_role("button", name="Gå vidare till betalning").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
