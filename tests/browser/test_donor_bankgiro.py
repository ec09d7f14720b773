"""A donor on a phone (375 px) chooses Bankgiro and reads the bankgiro number, the OCR
reference and the amount off the payment page, and copies the reference with its button."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ledger.db import tables as t
from ledger.services import dimensions


@pytest.fixture
def fred(app, engine):
    app.config["BANKGIRO"] = "5050-1055"
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")


def test_a_donor_on_a_phone_chooses_bankgiro_and_sees_the_reference(
    live_server, phone, engine, fred
):
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    phone.goto(f"{live_server}/n/fred")
    phone.get_by_label("Annat belopp", exact=True).check()
    phone.get_by_label("Annat belopp i kronor (minst 20 kr)").fill("350")
    phone.get_by_label("En gång").check()
    phone.get_by_label("Privatperson").check()
    phone.get_by_label("Namn").fill("Kerstin Lindqvist")
    phone.get_by_label("E-post").fill("kerstin@example.org")
    phone.get_by_role("radio", name=re.compile(r"^\s*Bankgiro")).check()
    phone.get_by_role("button", name="Gå vidare till betalning").click()

    phone.wait_for_url(re.compile(r".*/betala/[0-9a-f]{32}$"))
    with engine.connect() as conn:
        reference = conn.execute(select(t.expected_payments.c.reference)).scalar_one()
    assert phone.locator("#reference").inner_text() == reference
    assert phone.locator("#bankgiro").inner_text() == "5050-1055"
    assert phone.locator("#amount").inner_text() == "350,00\u00a0kr"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    copy = phone.locator(f'button[data-copy="{reference}"]')
    assert copy.is_visible()  # the script showed the button
    copy.click()
    expect(phone.get_by_role("status")).to_have_text(f"Kopierat: {reference}")
    assert phone.evaluate("navigator.clipboard.readText()") == reference
