"""A donor on a phone (375 px) chooses Bankgiro and reads the bankgiro number, the OCR
reference and the amount off the payment page, and copies the reference with its button."""

import io
import re

import pytest
from PIL import Image
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


def test_a_donor_choosing_swish_sees_a_qr_code_a_phone_camera_can_read(
    live_server, phone, engine, fred, app
):
    """The QR code as pixels: dark modules on a light ground, square, the three finder
    squares' dark corners where a camera looks for them, not one flat box."""
    app.config["SWISH_PAYEE_NUMBER"] = "1231181189"
    phone.goto(f"{live_server}/n/fred")
    phone.get_by_label("Namn").fill("Kerstin Lindqvist")
    phone.get_by_label("E-post").fill("kerstin@example.org")
    phone.get_by_role("radio", name=re.compile(r"^\s*Swish")).check()
    phone.get_by_role("button", name="Gå vidare till betalning").click()
    phone.wait_for_url(re.compile(r".*/betala/[0-9a-f]{32}$"))

    code = phone.locator("figure.swish-qr svg")
    code.scroll_into_view_if_needed()
    shot = Image.open(io.BytesIO(code.screenshot())).convert("L")
    width, height = shot.size
    assert width >= 120 and abs(width - height) <= 2  # big enough to scan, square
    raw = shot.tobytes()
    dark = sum(1 for v in raw if v < 100) / len(raw)
    assert 0.25 < dark < 0.75, f"{dark:.0%} dark: not a QR code's pattern"
    # Each of the three finder squares is dark at its centre and light two modules out (its
    # white ring). segno's viewBox is the code with its quiet zone (4 modules on each side),
    # its path scaled by the module size.
    units = phone.evaluate(
        """() => {
            const svg = document.querySelector('figure.swish-qr svg');
            const scale = svg.querySelector('path').transform.baseVal[0].matrix.a;
            return svg.viewBox.baseVal.width / scale;
        }"""
    )
    step = width / units
    border = 4
    near, far = border + 3.5, units - border - 3.5
    for cx, cy in ((near, near), (far, near), (near, far)):
        assert shot.getpixel((int(cx * step), int(cy * step))) < 100, "a finder's centre"
        assert shot.getpixel((int((cx + 2) * step), int(cy * step))) > 155, "its white ring"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
