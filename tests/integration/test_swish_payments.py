"""Swish Handel payment requests end to end against the fake Swish over mutual TLS: each outcome,
repeated and forged callbacks, a failing fetch, Swish's refusals, and the status page."""

from __future__ import annotations

import json
import urllib.request

import pytest
import requests
from sqlalchemy import text

from tests.support.fake_swish import MERCHANT
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)
from webhooks.errors import PayerNumberInvalid, SwishRefused, SwishUnavailable
from webhooks.swish import checkout


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def test_a_paid_e_commerce_request_books_the_gift_once_on_1930_and_3993(swish):
    gift = swish.gift(25_000)
    instruction_id = swish.start(gift, payer="070-123 45 67")
    sent = swish.fake.payments[instruction_id]
    assert sent["payerAlias"] == "46701234567"
    assert sent["payeeAlias"] == MERCHANT
    assert sent["amount"] == 250.0
    assert sent["payeePaymentReference"] == swish.expected_of(gift).reference
    assert swish.payment(instruction_id).status == "CREATED"

    assert swish.fake.complete(instruction_id, "PAID") == 200

    reference = swish.fake.payments[instruction_id]["paymentReference"]
    lines = swish.entries()
    assert [(key, acc, d, c) for key, acc, d, c, _ in lines] == [
        (f"swish:{reference}", "1930", 25_000, 0),
        (f"swish:{reference}", "3993", 0, 25_000),
    ]
    assert lines[0][4] is None and lines[1][4] is not None  # the network is on the income
    row = swish.payment(instruction_id)
    assert (row.status, row.payment_reference, row.entry_id is not None) == (
        "PAID",
        reference,
        True,
    )
    assert swish.gift_status(gift) == "paid"
    plan = swish.expected_of(gift)
    assert (plan.status, plan.paid_ore) == ("paid", 25_000)


def test_a_swish_gifts_entry_names_the_payment_never_the_donor_or_the_number(swish):
    gift = swish.gift(25_000)
    instruction_id = swish.start(gift, payer="070-123 45 67")
    assert swish.fake.complete(instruction_id, "PAID") == 200
    reference = swish.fake.payments[instruction_id]["paymentReference"]
    with swish.engine.connect() as conn:
        texts = conn.execute(text("SELECT text FROM journal_entries ORDER BY id")).scalars().all()
    assert texts == [f"Swishgåva {swish.expected_of(gift).reference} ({reference})"]
    assert not any(bit in texts[0] for bit in ("Sara", "Lind", "sara@", "0701234567", "46701"))


def test_the_same_callback_twice_books_nothing_twice(swish):
    gift = swish.gift(10_000)
    instruction_id = swish.start(gift)
    assert swish.fake.complete(instruction_id, "PAID") == 200
    assert swish.fake.notify(swish.fake.payments[instruction_id]) == 200
    assert len(swish.entries()) == 2
    assert swish.expected_of(gift).paid_ore == 10_000  # the receipt is recorded once too


@pytest.mark.parametrize(
    ("outcome", "code"), [("DECLINED", None), ("ERROR", "TM01"), ("CANCELLED", "BANKIDCL")]
)
def test_an_unpaid_outcome_keeps_only_its_status(swish, outcome, code):
    gift = swish.gift(10_000)
    instruction_id = swish.start(gift)
    assert swish.fake.complete(instruction_id, outcome, error_code=code) == 200
    row = swish.payment(instruction_id)
    assert (row.status, row.error_code, row.entry_id) == (outcome, code, None)
    assert swish.entries() == []
    assert swish.gift_status(gift) == "pending"
    assert swish.expected_of(gift).status == "open"


def test_a_new_attempt_after_a_decline_gets_a_new_id_and_a_retry_the_same(swish):
    gift = swish.gift(10_000)
    first = swish.start(gift)
    assert swish.start(gift) == first  # a double submit: the same request
    swish.fake.complete(first, "DECLINED")
    second = swish.start(gift)
    assert second != first
    assert swish.payment(second).attempt == 2
    swish.fake.complete(second, "PAID")
    assert len(swish.entries()) == 2


def test_a_second_paid_attempt_books_what_was_not_expected_to_suspense(swish):
    gift = swish.gift(10_000)
    first = swish.start(gift, payer="0701234567")
    second = swish.start(gift, payer="0731234567")  # another number: another request
    assert first != second
    swish.fake.complete(first, "PAID")
    swish.fake.complete(second, "PAID")
    surplus_ref = swish.fake.payments[second]["paymentReference"]
    surplus = [(acc, d, c) for key, acc, d, c, _ in swish.entries("swish-surplus")]
    assert surplus == [("3993", 10_000, 0), ("2890", 0, 10_000)]
    assert {key for key, *_ in swish.entries("swish-surplus")} == {f"swish-surplus:{surplus_ref}"}
    assert len(swish.entries("swish:")) == 4  # both payments are in the bank
    assert swish.expected_of(gift).paid_ore == 10_000


def test_a_retry_after_swish_took_the_request_reads_it_back_instead_of_failing(swish):
    gift = swish.gift(10_000)
    # Swish made attempt 1, but our side never heard (a timeout rolled our row back).
    instruction_id = swish.start(gift)
    with swish.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM swish_payments WHERE instruction_id = :i"), {"i": instruction_id}
        )
    assert swish.start(gift) == instruction_id
    assert swish.payment(instruction_id).status == "CREATED"
    assert len(swish.fake.payments) == 1


def test_m_commerce_keeps_the_token_and_the_page_offers_the_swish_app(swish):
    instruction_id = swish.start(swish.gift(15_000), payer=None)
    row = swish.payment(instruction_id)
    assert row.payer_alias is None
    assert row.token == swish.fake.payments[instruction_id]["token"]
    page = requests.get(f"{swish.base_url}/swish/{instruction_id}", timeout=30)
    assert page.status_code == 200
    assert page.headers["Refresh"] == "3"
    assert f"swish://paymentrequest?token={row.token}&amp;callbackurl=" in page.text
    assert 'http-equiv="refresh"' in page.text
    assert "150,00\xa0kr" in page.text


def test_the_status_page_fetches_the_outcome_itself_when_no_callback_came(swish):
    gift = swish.gift(10_000)
    instruction_id = swish.start(gift)
    payment = swish.fake.payments[instruction_id]
    payment["status"] = "PAID"  # Swish settled it, but its callback was lost
    payment["paymentReference"] = "0123456789ABCDEF0123456789ABCDEF"
    payment["datePaid"] = "2026-11-28T10:00:00.000Z"
    page = requests.get(f"{swish.base_url}/swish/{instruction_id}", timeout=30)
    assert "Tack! Vi har tagit emot din gåva" in page.text
    assert "Refresh" not in page.headers
    assert len(swish.entries()) == 2
    assert swish.gift_status(gift) == "paid"


def test_the_status_page_says_in_swedish_when_the_payment_was_declined(swish):
    instruction_id = swish.start(swish.gift(10_000))
    swish.fake.complete(instruction_id, "DECLINED")
    page = requests.get(f"{swish.base_url}/swish/{instruction_id}", timeout=30)
    assert "Betalningen godkändes inte i Swish. Ingenting har dragits." in page.text
    assert requests.get(f"{swish.base_url}/swish/{'0' * 32}", timeout=30).status_code == 404


def test_a_forged_paid_callback_books_nothing_because_swish_says_otherwise(swish):
    instruction_id = swish.start(swish.gift(10_000))
    forged = {
        **swish.fake.payments[instruction_id],
        "status": "PAID",
        "paymentReference": "F" * 32,
        "datePaid": "2026-11-28T10:00:00Z",
    }
    forged.pop("token", None)
    response = requests.post(f"{swish.base_url}/webhooks/swish", json=forged, timeout=30)
    assert response.status_code == 200
    assert response.json()["status"] == "CREATED"
    assert swish.entries() == []
    assert swish.payment(instruction_id).status == "CREATED"


def test_a_callback_for_an_id_that_is_not_ours_is_refused_and_books_nothing(swish):
    unknown = {"id": "ABCDEF0123456789ABCDEF0123456789", "status": "PAID"}
    assert _post(f"{swish.base_url}/webhooks/swish", unknown) == 404
    assert _post(f"{swish.base_url}/webhooks/swish", {"status": "PAID"}) == 400
    assert swish.entries() == []


def test_a_callback_whose_fetch_fails_answers_503_and_the_retry_books_it(swish):
    instruction_id = swish.start(swish.gift(10_000))
    swish.fake.fail_gets = True
    assert swish.fake.complete(instruction_id, "PAID") == 503
    assert swish.entries() == []
    assert swish.payment(instruction_id).status == "CREATED"
    swish.fake.fail_gets = False
    assert swish.fake.notify(swish.fake.payments[instruction_id]) == 200
    assert len(swish.entries()) == 2


def test_swish_disagreeing_with_our_amount_books_nothing(swish):
    instruction_id = swish.start(swish.gift(10_000))
    swish.fake.payments[instruction_id]["amount"] = 1.0
    assert swish.fake.complete(instruction_id, "PAID") == 409
    assert swish.entries() == []
    assert swish.payment(instruction_id).status == "CREATED"


def test_a_bad_mobile_number_is_refused_in_swedish_before_anything_is_sent(swish):
    gift = swish.gift(10_000)
    with pytest.raises(PayerNumberInvalid) as caught:
        swish.start(gift, payer="08-123 456")
    assert caught.value.field == "payer_number"
    assert "svenskt mobilnummer" in caught.value.message
    assert swish.fake.payments == {}


def test_swish_refusing_a_number_not_enrolled_stores_nothing(swish):
    gift = swish.gift(10_000)
    with pytest.raises(SwishRefused) as caught:
        swish.start(gift, payer="070-000 00 00")
    assert caught.value.codes == ["ACMT03"]
    assert "inte kopplat till Swish" in checkout.swedish_reason(caught.value)
    with swish.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM swish_payments").scalar() == 0


def test_swish_refuses_an_http_callback_url_as_it_does_in_production(swish):
    swish.fake.allow_http_callback = False
    with pytest.raises(SwishRefused) as caught:
        swish.start(swish.gift(10_000))
    assert caught.value.codes == ["RP03"]


def test_a_client_without_our_certificate_is_refused_by_the_tls_handshake(swish, swish_pki):
    url = f"{swish.fake.base}/api/v1/paymentrequests/{'A' * 32}"
    ours = requests.get(
        url, cert=(str(swish_pki.client_cert), str(swish_pki.client_key)), verify=swish_pki.ca
    )
    assert ours.status_code == 404  # through TLS to the API, which knows no such request
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, verify=swish_pki.ca, timeout=10)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(
            url,
            cert=(str(swish_pki.stranger_cert), str(swish_pki.stranger_key)),
            verify=swish_pki.ca,
            timeout=10,
        )


def test_a_swish_server_not_signed_by_the_swish_ca_is_not_trusted(swish, swish_pki, tmp_path):
    from tests.support.fake_swish import make_pki

    other = make_pki(tmp_path)
    swish.app.config["SWISH_CA"] = str(other.ca)
    with pytest.raises(SwishUnavailable):
        swish.start(swish.gift(10_000))
