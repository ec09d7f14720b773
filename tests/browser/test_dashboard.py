"""Leadership opens the dashboard in a real browser, filters a network, drills down to the
entries behind a figure and downloads the board report, whose text is read back with pypdf."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from ledger.money import Money
from ledger.services import users
from reports.display import format_money
from tests.support.dashboard import build_world
from tests.support.invoicing import pdf_text

PASSWORD = "ett långt lösenord"


def test_leadership_filters_a_network_drills_down_and_downloads_the_board_report(
    engine, live_server, phone
):
    with engine.begin() as conn:
        users.create_user(conn, "ledning@example.org", PASSWORD, "leadership")
        build_world(conn)

    phone.goto(f"{live_server}/dashboard?year=2026")
    assert phone.url.startswith(f"{live_server}/login")
    phone.get_by_label("E-post").fill("ledning@example.org")
    phone.get_by_label("Lösenord").fill(PASSWORD)
    phone.get_by_role("button", name="Logga in").click()
    phone.wait_for_url(f"{live_server}/dashboard**")
    assert phone.get_by_role("heading", level=1).inner_text() == "Översikt 2026"
    assert phone.get_by_role("img", name="Intäkter per kanal").count() == 1
    _assert_drawn(phone, "Intäkter per kanal")
    _assert_drawn(phone, "Behov per nätverk")

    phone.get_by_label("Nätverk", exact=True).select_option("fred")
    phone.get_by_role("button", name="Visa").click()
    phone.wait_for_url("**network=fred**")
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "Översikt 2026: Fred och demokrati"
    )
    main = phone.locator("main").inner_text()
    assert format_money(Money(1_200_000)) in main  # fred's need
    assert "Swish" not in main.split("Vem ger och hur")[1].split("Gåvornas storlek")[0]

    phone.get_by_role("link", name="Kort", exact=True).click()
    phone.wait_for_url("**/ledger?**series=K**")
    entries = phone.locator("table.entries").inner_text()
    assert "Test card" in entries and "Test refund" in entries
    assert "Test invoice" not in entries
    phone.go_back()

    with phone.expect_download() as info:
        phone.get_by_role("link", name="Ladda ned styrelserapporten (PDF)").click()
    download = info.value
    assert download.suggested_filename.startswith("styrelserapport-2026-fred-")
    text = pdf_text(Path(download.path()).read_bytes())
    assert "Styrelserapport: finansieringsläget 2026" in text
    assert "Nätverk: Fred och demokrati" in text
    assert "Faktura 1 15 000,00 kr" in text
    # Nothing sticks out sideways on a 375 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


# The first colours of the charts' palette (reports/charts.py, Okabe–Ito), as RGB.
PALETTE = {"blue": (0x00, 0x72, 0xB2), "orange": (0xE6, 0x9F, 0x00), "green": (0x00, 0x9E, 0x73)}


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    """The colour as pygal paints it: at its fill opacity of 0.7 on the page's white."""
    painted = [round(0.7 * c + 0.3 * 255) for c in colour]
    return all(abs(a - b) <= 12 for a, b in zip(pixel[:3], painted, strict=True))


def _assert_drawn(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The chart as a person sees it: a picture with the palette's colours on a light ground,
    not one uniform (black) box, which is what a blocked stylesheet leaves."""
    chart = page.get_by_role("img", name=name).first
    chart.scroll_into_view_if_needed()
    shot = Image.open(io.BytesIO(chart.screenshot())).convert("RGB")
    raw = shot.tobytes()
    pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]
    dark = sum(1 for p in pixels if sum(p) < 120) / len(pixels)
    assert dark < 0.5, f"{name}: {dark:.0%} of the chart is black"
    assert len(set(pixels)) > 20, f"{name}: the chart is one flat colour"
    assert any(_near(p, PALETTE["blue"]) for p in pixels), f"{name}: no bar in the first colour"
