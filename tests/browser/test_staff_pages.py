"""Staff log in and read the books in a real browser on a phone-sized screen."""

from sqlalchemy import text

from ledger.services import posting, users
from tests.support.ledger import add_network, gift

NBSP = "\u00a0"


def test_finance_logs_in_on_a_phone_and_sees_the_entry_in_swedish_format(
    engine, live_server, phone
):
    with engine.begin() as conn:
        users.create_user(conn, "ekonomi@example.org", "ett långt lösenord", "finance")
        add_network(conn, "palestina", "Palestina")
        posting.post(conn, gift(123_450, network="palestina", text_="Insamling årsmöte"))

    phone.goto(f"{live_server}/ledger")
    assert phone.url.startswith(f"{live_server}/login")
    phone.get_by_label("E-post").fill("ekonomi@example.org")
    phone.get_by_label("Lösenord").fill("ett långt lösenord")
    phone.get_by_role("button", name="Logga in").click()
    phone.wait_for_url(f"{live_server}/ledger**")

    body = phone.locator("main").inner_text()
    assert "Insamling årsmöte" in body
    assert f"1{NBSP}234,50{NBSP}kr" in body
    # Nothing sticks out sideways on a 375 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_wrong_password_shows_the_swedish_error_and_no_page_of_the_books(
    engine, live_server, phone
):
    with engine.begin() as conn:
        users.create_user(conn, "ledning@example.org", "ett långt lösenord", "leadership")
    phone.goto(f"{live_server}/login")
    phone.get_by_label("E-post").fill("ledning@example.org")
    phone.get_by_label("Lösenord").fill("fel lösenord!")
    phone.get_by_role("button", name="Logga in").click()
    assert "/login" in phone.url
    assert phone.get_by_role("alert").inner_text() == "Fel e-postadress eller lösenord."
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM journal_entries")).scalar() == 0
