"""Recurring Swish end to end against the fake Swish over mutual TLS: a donor's consent, the
monthly charges (idempotent per consent and month, a declined one retried once), the bookings,
the finance desk's list, and the end of the gift in the app or by the stop link."""

from __future__ import annotations

import json
import urllib.request

from sqlalchemy import func, select, text

from kassan.cli.main import main as kassan
from ledger.db import tables as t
from tests.support.fake_swish import MERCHANT
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)
from webhooks.swish import charge_results as charges


def _post(url: str, body: object) -> int:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def _charge(swish, month: str):
    runner = swish.app.test_cli_runner()
    return runner.invoke(kassan, ["swish", "charge-monthly", "--month", month])


def _lines(swish):
    """(source key, series, account, debit, credit, network?, contributor) of Swish lines."""
    with swish.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT e.source_key, e.series, l.account, l.debit_ore, l.credit_ore, "
                "l.network_id IS NOT NULL, l.contributor_id FROM journal_entries e "
                "JOIN journal_lines l ON l.entry_id = e.id WHERE e.source_key LIKE 'swish%' "
                "ORDER BY e.id, l.line_no"
            )
        )
        return [tuple(r) for r in rows]


def _active(swish, payer="070-123 45 67"):
    gift = swish.monthly_gift(20_000)
    consent_id = swish.consent(gift, payer=payer)
    assert swish.fake.consent_outcome(consent_id, "ACTIVE") == 200
    return gift, consent_id


def test_a_donor_consents_is_charged_twice_once_after_a_retry_and_cancels_in_the_app(swish):
    gift = swish.monthly_gift(20_000)
    consent_id = swish.consent(gift, payer="070-123 45 67")
    sent = swish.fake.consents[consent_id]
    assert sent["payer"] == {"alias": "46701234567"}
    assert sent["payee"] == {"alias": MERCHANT}
    assert sent["payeePaymentReference"] == swish.expected_of(gift).reference
    assert swish.consent_row(consent_id).status == "PENDING"
    assert swish.fake.consent_outcome(consent_id, "ACTIVE") == 200
    assert swish.consent_row(consent_id).status == "ACTIVE"
    assert swish.gift_status(gift) == "pending"  # a monthly giver once money has come

    # December: one charge, and a second run makes nothing new
    first = _charge(swish, "2026-12")
    assert first.exit_code == 0, first.output
    assert "1 nya dragningar" in first.output
    assert "1 redan gjorda" in _charge(swish, "2026-12").output
    (december,) = swish.charges(consent_id)
    assert len(swish.fake.recurring) == 1
    body = swish.fake.recurring[december.payment_id]
    assert body["amount"] == {"value": "200.00", "currency": "SEK"}
    assert body["consentId"] == consent_id
    assert swish.fake.charge_outcome(december.payment_id, "PAID") == 200
    reference = swish.fake.recurring[december.payment_id]["paymentReference"]
    lines = _lines(swish)
    contributor = lines[1][6]
    assert contributor is not None
    assert lines == [
        (f"swish:{reference}", "S", "1930", 20_000, 0, False, None),
        (f"swish:{reference}", "S", "3993", 0, 20_000, True, contributor),
    ]
    assert swish.gift_status(gift) == "active"
    plan = swish.expected_of(gift)
    assert (plan.status, plan.paid_ore) == ("open", 20_000)
    with swish.engine.connect() as conn:
        receipts = conn.scalar(
            text("SELECT count(*) FROM email_outbox WHERE dedupe_key LIKE :k"),
            {"k": f"receipt:{gift}:%"},
        )
    assert receipts == 1

    # January: declined, listed on the desk, retried once on the next run, paid
    assert "1 nya dragningar" in _charge(swish, "2027-01").output
    january = swish.charges(consent_id)[1]
    assert swish.fake.charge_outcome(january.payment_id, "DECLINED", error_code="AM04") == 200
    with swish.engine.connect() as conn:
        (listed,) = charges.failed(conn)
    assert (listed.month, listed.attempt, listed.error_code, listed.retry_left) == (
        "2027-01",
        1,
        "AM04",
        True,
    )
    assert (listed.donor_email, listed.amount_ore) == ("sara@example.se", 20_000)
    assert "1 nya försök" in _charge(swish, "2027-01").output
    retry = swish.charges(consent_id)[2]
    assert (retry.month, retry.attempt, retry.status) == ("2027-01", 2, "CREATED")
    assert swish.fake.charge_outcome(retry.payment_id, "PAID") == 200
    with swish.engine.connect() as conn:
        assert charges.failed(conn) == []
    assert "1 redan gjorda" in _charge(swish, "2027-01").output
    assert len(_lines(swish)) == 4
    assert swish.expected_of(gift).paid_ore == 40_000

    # the donor ends the consent in the Swish app: the gift ends, nothing more is charged
    assert swish.fake.consent_outcome(consent_id, "CANCELLED") == 200
    row = swish.consent_row(consent_id)
    assert (row.status, row.ended_by) == ("CANCELLED", "payer")
    assert swish.gift_status(gift) == "cancelled"
    assert "0 nya dragningar" in _charge(swish, "2027-02").output
    assert len(swish.charges(consent_id)) == 3


def test_a_retry_that_fails_too_is_not_tried_a_third_time(swish):
    _, consent_id = _active(swish)
    _charge(swish, "2026-12")
    swish.fake.charge_outcome(swish.charges(consent_id)[0].payment_id, "DECLINED")
    _charge(swish, "2026-12")
    swish.fake.charge_outcome(swish.charges(consent_id)[1].payment_id, "ERROR", error_code="TM01")
    assert "0 nya försök" in _charge(swish, "2026-12").output
    assert len(swish.charges(consent_id)) == 2
    with swish.engine.connect() as conn:
        (listed,) = charges.failed(conn)
    assert (listed.attempt, listed.status, listed.retry_left) == (2, "ERROR", False)
    assert _lines(swish) == []


def test_a_charge_swish_refuses_is_an_error_on_the_desk_and_the_command_says_so(swish):
    _, consent_id = _active(swish)
    swish.fake.consents[consent_id]["status"] = "CANCELLED"  # Swish knows, we were not told
    result = _charge(swish, "2026-12")
    assert result.exit_code == 1
    assert "RC01" in result.output
    (row,) = swish.charges(consent_id)
    assert (row.status, row.error_code) == ("ERROR", "RC01")
    assert swish.fake.recurring == {}


def test_a_month_is_written_yyyy_mm(swish):
    result = _charge(swish, "2026-13")
    assert result.exit_code == 1
    assert "ÅÅÅÅ-MM" in result.output


def test_a_declined_consent_charges_nothing_and_a_new_try_gets_a_new_id(swish):
    gift = swish.monthly_gift()
    first = swish.consent(gift)
    assert swish.fake.consent_outcome(first, "DECLINED", error_code="BANKIDCL") == 200
    row = swish.consent_row(first)
    assert (row.status, row.error_code) == ("DECLINED", "BANKIDCL")
    assert "0 nya dragningar" in _charge(swish, "2026-12").output
    assert swish.consent(gift) == swish.consent(gift) != first  # a reload gets the same page


def test_the_stop_link_ends_the_consent_at_swish_and_the_gift(swish):
    import re

    from ledger.services import mail

    gift, consent_id = _active(swish)
    client = swish.app.test_client()
    path = f"/sluta/{mail.stop_token(swish.app.config['SECRET_KEY'], gift)}"
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(path, data={"csrf_token": token.group(1)})
    assert response.status_code == 200
    assert "Din månadsgåva är avslutad" in response.get_data(as_text=True)
    assert swish.fake.consents[consent_id]["status"] == "CANCELLED"
    row = swish.consent_row(consent_id)
    assert (row.status, row.ended_by) == ("CANCELLED", "merchant")
    assert swish.gift_status(gift) == "cancelled"
    assert "0 nya dragningar" in _charge(swish, "2026-12").output


def test_the_stop_link_when_swish_cannot_be_reached_stops_nothing(swish, swish_pki):
    import re

    from ledger.services import mail

    gift, consent_id = _active(swish)
    client = swish.app.test_client()
    path = f"/sluta/{mail.stop_token(swish.app.config['SECRET_KEY'], gift)}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert token is not None
    swish.app.config["SWISH_API_BASE"] = "https://127.0.0.1:1/swish-cpcapi"  # nobody listens
    assert client.post(path, data={"csrf_token": token.group(1)}).status_code == 503
    assert swish.consent_row(consent_id).status == "ACTIVE"
    assert swish.gift_status(gift) == "pending"


def test_the_consent_page_shows_a_qr_code_and_the_app_button_for_m_commerce(swish):
    gift = swish.monthly_gift()
    consent_id = swish.consent(gift, payer=None)
    token = swish.fake.consents[consent_id]["token"]
    assert swish.consent_row(consent_id).token == token
    response = swish.app.test_client().get(f"/swish/samtycke/{consent_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Refresh"] == "3"
    assert f"swish://paymentrequest?token={token}" in page
    assert "<svg" in page and "Godkänn månadsgåvan i Swish" in page


def test_the_consent_page_asks_swish_itself_when_no_callback_came(swish):
    gift = swish.monthly_gift()
    consent_id = swish.consent(gift)
    swish.fake.consents[consent_id]["status"] = "ACTIVE"  # the callback was lost
    response = swish.app.test_client().get(f"/swish/samtycke/{consent_id}")
    assert "Din månadsgåva med Swish är startad" in response.get_data(as_text=True)
    assert "Refresh" not in response.headers
    assert swish.consent_row(consent_id).status == "ACTIVE"


# --- the callbacks under attack --------------------------------------------------------------


def test_a_forged_consent_callback_activates_and_ends_nothing(swish):
    gift = swish.monthly_gift()
    consent_id = swish.consent(gift)
    url = f"{swish.base_url}/webhooks/swish/consents"
    forged = dict(swish.fake.consents[consent_id], status="ACTIVE")
    assert _post(url, forged) == 200  # answered with what Swish says: still PENDING
    assert swish.consent_row(consent_id).status == "PENDING"
    assert swish.fake.consent_outcome(consent_id, "ACTIVE") == 200
    forged = dict(swish.fake.consents[consent_id], status="CANCELLED")
    assert _post(url, forged) == 200
    assert swish.consent_row(consent_id).status == "ACTIVE"
    assert swish.gift_status(gift) == "pending"


def test_a_forged_paid_charge_callback_books_nothing(swish):
    _, consent_id = _active(swish)
    _charge(swish, "2026-12")
    (row,) = swish.charges(consent_id)
    forged = dict(swish.fake.recurring[row.payment_id], status="PAID", paymentReference="F" * 32)
    assert _post(f"{swish.base_url}/webhooks/swish/recurring", forged) == 200
    assert swish.charges(consent_id)[0].status == "CREATED"
    assert _lines(swish) == []


def test_malformed_and_unknown_callbacks_are_refused_and_book_nothing(swish):
    for path in ("/webhooks/swish/consents", "/webhooks/swish/recurring"):
        url = swish.base_url + path
        assert _post(url, b"not json") == 400
        assert _post(url, ["A" * 32]) == 400
        assert _post(url, {"consentId": "../../x", "paymentId": 7}) == 400
        assert _post(url, {"consentId": "A" * 32, "paymentId": "A" * 32}) == 404
    assert _lines(swish) == []


def test_the_same_paid_callback_many_times_at_once_books_it_once(swish):
    from concurrent.futures import ThreadPoolExecutor

    gift, consent_id = _active(swish)
    _charge(swish, "2026-12")
    (row,) = swish.charges(consent_id)
    obj = swish.fake.recurring[row.payment_id]
    obj.update(status="PAID", paymentReference="C" * 32, datePaid="2026-12-03T10:00:00.000Z")
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: swish.fake.notify(obj), range(6)))
    assert answers == [200] * 6
    assert len(_lines(swish)) == 2
    with swish.engine.connect() as conn:
        count = conn.scalar(
            select(func.count()).where(
                t.expected_payment_receipts.c.source_key == "swish:" + "C" * 32
            )
        )
    assert count == 1
    assert swish.expected_of(gift).paid_ore == 20_000


def test_a_charge_callback_whose_fetch_fails_answers_503_and_the_retry_books_it(swish):
    _, consent_id = _active(swish)
    _charge(swish, "2026-12")
    (row,) = swish.charges(consent_id)
    swish.fake.fail_gets = True
    assert swish.fake.charge_outcome(row.payment_id, "PAID") == 503
    assert _lines(swish) == []
    swish.fake.fail_gets = False
    assert swish.fake.notify(swish.fake.recurring[row.payment_id]) == 200
    assert len(_lines(swish)) == 2


def test_swish_disagreeing_with_our_amount_books_nothing(swish):
    _, consent_id = _active(swish)
    _charge(swish, "2026-12")
    (row,) = swish.charges(consent_id)
    swish.fake.recurring[row.payment_id]["amount"] = {"value": "2000.00", "currency": "SEK"}
    assert swish.fake.charge_outcome(row.payment_id, "PAID") == 409
    assert _lines(swish) == []
    assert swish.charges(consent_id)[0].status == "CREATED"


def test_the_finance_desk_lists_a_declined_charge_with_the_donor_and_the_retry(swish):
    import re

    from ledger.services import users

    _, consent_id = _active(swish)
    _charge(swish, "2026-12")
    swish.fake.charge_outcome(
        swish.charges(consent_id)[0].payment_id, "DECLINED", error_code="AM04"
    )
    with swish.engine.begin() as conn:
        users.create_user(conn, "finance@kassan.test", "korrekt-häst-batteri", "finance")
    client = swish.app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)
    assert token is not None
    client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "email": "finance@kassan.test",
            "password": "korrekt-häst-batteri",
        },
    )
    page = client.get("/finance").get_data(as_text=True)
    section = page[page.index('id="desk-swish-failed"') :]
    assert "Månadsdragningar med Swish som inte gick igenom" in section
    assert "sara@example.se" in section and "DECLINED (AM04)" in section
    assert "vid nästa körning" in section
    _charge(swish, "2026-12")
    swish.fake.charge_outcome(swish.charges(consent_id)[1].payment_id, "PAID")
    assert 'id="desk-swish-failed"' not in client.get("/finance").get_data(as_text=True)


def test_a_recurring_swish_giver_counts_as_a_monthly_giver_and_is_in_the_annual_statement(swish):
    from datetime import date

    from reports.donor_documents import annual_statement, get_donor
    from reports.funding.sources import monthly_gifts

    today = date.today()
    gift, consent_id = _active(swish)
    with swish.engine.connect() as conn:
        assert monthly_gifts(conn, today).paying == ()  # a consent alone pays nothing yet
    _charge(swish, "2026-12")
    swish.fake.charge_outcome(swish.charges(consent_id)[0].payment_id, "PAID")
    with swish.engine.connect() as conn:
        network_id = conn.scalar(select(t.gifts.c.network_id).where(t.gifts.c.public_id == gift))
        contributor_id = conn.scalar(
            select(t.gifts.c.contributor_id).where(t.gifts.c.public_id == gift)
        )
        assert monthly_gifts(conn, today).paying == ((network_id, 20_000, 1),)
        donor = get_donor(conn, contributor_id)
        assert donor is not None
        statement = annual_statement(conn, donor, today.year)
    assert statement.total.ore == 20_000
    assert [(g.gross.ore, g.channel) for g in statement.gifts] == [(20_000, "Swish")]

    swish.fake.consent_outcome(consent_id, "CANCELLED")
    with swish.engine.connect() as conn:
        gone = monthly_gifts(conn, today)
    assert (gone.paying, gone.stopped) == ((), 1)  # churn counts the ended consent
