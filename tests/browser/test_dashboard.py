"""Leadership opens the dashboard in a real browser, filters a network, drills down to the
entries behind a figure and downloads the board report, whose text is read back with pypdf."""

from __future__ import annotations

from pathlib import Path

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
