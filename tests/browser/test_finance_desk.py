"""A finance officer works through the queue in a real browser on a phone-sized screen: imports
a bank file, accepts a suggestion, splits a line, and after each step the suspense (2890)
shown on the desk is what the ledger holds."""

from __future__ import annotations

import re
from datetime import date

from kassan.web import appliers
from ledger.money import Money
from ledger.services import expected, users
from ledger.services.balances import account_totals
from reports.display import format_money
from tests.support.bank_accounts import ours_in_app_fixture  # noqa: F401 (fixtures)
from tests.support.camt_files import Entry, Tx, camt_bytes, ocr
from tests.support.ledger import add_contributor, add_network

PASSWORD = "ett långt lösenord"
DAY = date(2026, 12, 1)


def _ledger_suspense(engine) -> str:
    """2890 as the desk shows it: what is held unidentified (credit minus debit)."""
    with engine.connect() as conn:
        totals = {a.account: a.balance_ore for a in account_totals(conn)}
    return format_money(Money(-totals.get("2890", 0)))


def _shown_suspense(page) -> str:
    return page.locator("#suspense-ledger").inner_text().strip()


def test_import_accept_and_split_keep_the_desk_in_step_with_the_ledger(
    app, engine, ours_in_app, live_server, phone, tmp_path
):
    with engine.begin() as conn:
        users.create_user(conn, "ekonomi@example.org", PASSWORD, "finance")
        network = add_network(conn, "fred", "Fred och demokrati")
        kommunal = add_contributor(conn, "Kommunal avdelning 12", "organisation")
        expected.create(
            conn,
            kind="invoice",
            amount=Money(120_000),
            network_id=network,
            contributor_id=kommunal,
        )
    bank_file = tmp_path / "dag.054.xml"
    bank_file.write_bytes(
        camt_bytes(
            [
                Entry((Tx(120_000, "K12", message="Faktura", name="Kommunal avd 12"),), DAY, "N1"),
                Entry((Tx(100_000, "U1", message="Stöd", name="Okänd givare"),), DAY, "N2"),
                Entry((Tx(5_000, "R1", ocr=ocr(999_999), name="Anna"),), DAY, "N3"),
            ]
        )
    )

    phone.goto(f"{live_server}/finance")
    phone.get_by_label("E-post").fill("ekonomi@example.org")
    phone.get_by_label("Lösenord").fill(PASSWORD)
    phone.get_by_role("button", name="Logga in").click()
    phone.wait_for_url(f"{live_server}/finance")

    # 1. import the file through the upload form: the progress page reloads itself until the
    # app's own import worker (as in a server) is done, then shows the import
    app.config["STRIPE_APPLIER_AUTOSTART"] = True
    try:
        phone.set_input_files("#file", str(bank_file))
        phone.get_by_role("button", name="Läs in filen").click()
        phone.wait_for_url(re.compile(r".*/finance/imports/\d+$"))
    finally:
        appliers.stop(app)
    assert "Filen dag.054.xml är inläst." in phone.locator("main").inner_text()
    phone.goto(f"{live_server}/finance")
    assert _shown_suspense(phone) == _ledger_suspense(engine) == format_money(Money(225_000))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # 2. accept the suggestion for Kommunal's invoice with one click
    row = phone.locator("tr", has_text="Kommunal avd 12")
    assert "namn liknar 'Kommunal avdelning 12'" in row.inner_text()
    row.get_by_role("button", name="Godkänn").click()
    phone.wait_for_url(f"{live_server}/finance/lines/*")
    phone.goto(f"{live_server}/finance")
    assert _shown_suspense(phone) == _ledger_suspense(engine) == format_money(Money(105_000))

    # 3. split the unknown giver's 1 000 kr: 600 to a network, 250 unrestricted, 150 waits
    phone.get_by_role("link", name="Okänd givare").click()
    phone.select_option("#target_1", label="Fred och demokrati")
    phone.fill("#amount_1", "600")
    phone.select_option("#target_2", label="Där det behövs mest (ej öronmärkt)")
    phone.fill("#amount_2", "250,00")
    phone.get_by_role("button", name="Bokför uppdelningen").click()
    phone.wait_for_url(f"{live_server}/finance/lines/*")
    assert phone.locator("#line-open").inner_text().strip() == format_money(Money(15_000))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.goto(f"{live_server}/finance")
    assert _shown_suspense(phone) == _ledger_suspense(engine) == format_money(Money(20_000))
