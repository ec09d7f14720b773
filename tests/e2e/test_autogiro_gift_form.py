"""Monthly + Autogiro on the gift form, over HTTP: the mandate's fields and the consent text
in full; every mistake named by its field, in Swedish; the mandate taken in with the text the
donor read, the confirmation e-mail with payer number and first debit day; Bankgirot's answer
moving the gift (and telling the donor of a refusal); the stop link cancelling the mandate."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from ledger.db import tables as t
from ledger.services import dimensions, gifts, pii
from ledger.services.autogiro import mandates, signup
from ledger.statuses import MandateStatus
from tests.support.autogiro_files import BANKGIRO, CUSTOMER, mandate_advice
from webhooks.autogiro import outgoing
from webhooks.autogiro.incoming import import_autogiro

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_GIFT = re.compile(r'name="gift" value="([0-9a-f]{32})"')
CRYPT = pii.cipher({})
SETTINGS = outgoing.Settings(bankgiro=BANKGIRO, customer_number=CUSTOMER, debit_day=28)


@pytest.fixture
def autogiro_app(app, engine):
    app.config.update(
        BANKGIRO=BANKGIRO,
        AUTOGIRO_CUSTOMER_NUMBER=CUSTOMER,
        ORGANISATION_NAME="Solidaritetskassan",
        PUBLIC_BASE_URL="https://ge.kassan.test",
    )
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")
    return app


def _give(client, **changes):
    page = client.get("/n/fred").get_data(as_text=True)
    data = {
        "csrf_token": _CSRF.search(page).group(1),
        "gift": _GIFT.search(page).group(1),
        "amount": "200",
        "frequency": "monthly",
        "donor_kind": "person",
        "donor_name": "Anna Andersson",
        "donor_email": "anna@example.se",
        "channel": "autogiro",
        "ag_identity": "19811218-9876",
        "ag_clearing": "8327-9",
        "ag_account": "9123456700",
        "ag_consent": "1",
    }
    data.update(changes)
    return client.post("/n/fred", data={k: v for k, v in data.items() if v is not None})


def _mail(engine, key_prefix: str):
    o = t.email_outbox.c
    with engine.connect() as conn:
        return conn.execute(
            select(o.to_addr, o.subject, o.body_text).where(o.dedupe_key.like(f"{key_prefix}%"))
        ).all()


def test_autogiro_is_offered_with_its_consent_in_full_only_when_configured(app, client, engine):
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")
    app.config.update(BANKGIRO=BANKGIRO, AUTOGIRO_CUSTOMER_NUMBER=None)
    assert 'value="autogiro"' not in client.get("/n/fred").get_data(as_text=True)
    app.config.update(AUTOGIRO_CUSTOMER_NUMBER=CUSTOMER, ORGANISATION_NAME="Solidaritetskassan")
    page = client.get("/n/fred").get_data(as_text=True)
    assert 'value="autogiro"' in page
    terms = signup.consent_for(app.config)
    for part in terms.split("\n\n"):
        assert part.strip().replace("'", "&#39;") in page  # every paragraph, word for word
    assert "Solidaritetskassan (bankgiro 9912346)" in page


def test_a_monthly_gift_by_autogiro_takes_the_mandate_in_and_confirms_it_by_email(
    autogiro_app, client, engine
):
    response = _give(client)

    assert response.status_code == 303
    public_id = response.headers["Location"].rsplit("/", 1)[-1]
    with engine.connect() as conn:
        gift = gifts.get_gift(conn, public_id)
        mandate = signup.for_gift(conn, gift.id)
        row = conn.execute(select(t.autogiro_mandates)).one()
    assert (gift.channel, gift.frequency, gift.status) == ("autogiro", "monthly", "pending")
    assert mandate is not None and mandate.status is MandateStatus.NEW
    assert (mandate.amount.ore, mandate.contributor_id) == (20000, gift.contributor_id)
    assert mandate.consent_text == signup.consent_for(autogiro_app.config)
    assert "9876" not in row.identity_enc and row.identity_masked == "19811218-****"
    first = signup.first_debit(date.today(), 28)
    thanks = client.get(f"/tack/{public_id}").get_data(as_text=True)
    assert "Din månadsgåva via Autogiro är registrerad" in thanks
    assert str(mandate.payer_number) in thanks and first.isoformat() in thanks
    ((to, subject, body),) = _mail(engine, "autogiro-signup:")
    assert (to, subject) == ("anna@example.se", "Din månadsgåva via Autogiro")
    assert f"Betalarnummer:     {mandate.payer_number}" in body
    assert "Första dragning:" in body and str(first.day) in body
    assert "https://ge.kassan.test/sluta/" in body and "Medgivande till betalning" in body

    again = _give(client, gift=public_id)  # the same form sent twice: one mandate
    assert again.status_code == 303
    with engine.connect() as conn:
        assert len(conn.execute(select(t.autogiro_mandates)).all()) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"frequency": "once"}, "channel", "Autogiro går bara för månadsgåvor"),
        (
            {"ag_identity": "19811218-9875"},
            "ag_identity",
            "Personnummer eller organisationsnummer för Autogiro stämmer inte",
        ),
        ({"ag_identity": ""}, "ag_identity", "skriv kontoägarens nummer"),
        ({"ag_clearing": ""}, "ag_clearing", "Clearingnummer: skriv bankens"),
        (
            {"ag_account": "9123456701"},
            "ag_account",
            "Kontonummer: clearingnummer och kontonummer stämmer inte",
        ),
        ({"ag_consent": None}, "ag_consent", "Medgivande: kryssa i"),
    ],
)
def test_each_mistake_is_named_by_its_field_and_no_mandate_is_made(
    autogiro_app, client, engine, changes, field, message
):
    response = _give(client, **changes)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<li><a href="#{field}">' in page and message in page
    with engine.connect() as conn:
        assert conn.execute(select(t.autogiro_mandates)).all() == []


def _advise(engine, app, payer: int, info: str, comment: str, name: str):
    with engine.begin() as conn:
        result = import_autogiro(
            conn,
            BANKGIRO,
            mandate_advice(date(2026, 12, 3), [(payer, info, comment)]),
            name,
            mail_config=app.config,
        )
    assert result.ok, result


def test_bankgirots_answer_moves_the_gift_and_a_refusal_is_told_to_the_donor(
    autogiro_app, client, engine
):
    first = _give(client).headers["Location"].rsplit("/", 1)[-1]
    second = _give(client, donor_email="bo@example.se").headers["Location"].rsplit("/", 1)[-1]
    with engine.begin() as conn:
        outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 1))
        a = signup.for_gift(conn, gifts.get_gift(conn, first).id).payer_number
        b = signup.for_gift(conn, gifts.get_gift(conn, second).id).payer_number
    _advise(engine, autogiro_app, a, "04", "32", "medav1.txt")
    _advise(engine, autogiro_app, b, "04", "23", "medav2.txt")
    with engine.connect() as conn:
        assert gifts.get_gift(conn, first).status == "active"
        assert gifts.get_gift(conn, second).status == "cancelled"
    ((to, subject, body),) = _mail(engine, "autogiro-ended:")
    assert (to, subject) == ("bo@example.se", "Din bank godkände inte Autogiro-medgivandet")
    assert f"betalarnummer {b}" in body and "Ingenting har dragits" in body


def test_the_stop_link_cancels_the_mandate_for_the_next_mandate_file_and_ends_the_gift(
    autogiro_app, client, engine
):
    public_id = _give(client).headers["Location"].rsplit("/", 1)[-1]
    with engine.begin() as conn:
        outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 1))
        payer = signup.for_gift(conn, gifts.get_gift(conn, public_id).id).payer_number
    _advise(engine, autogiro_app, payer, "04", "32", "medav.txt")
    ((_, _, body),) = _mail(engine, "autogiro-signup:")
    stop_path = re.search(r"https://ge\.kassan\.test(/sluta/\S+)", body).group(1)
    page = client.get(stop_path).get_data(as_text=True)
    token = _CSRF.search(page).group(1)
    assert client.post(stop_path, data={"csrf_token": token}).status_code == 200
    with engine.begin() as conn:
        assert gifts.get_gift(conn, public_id).status == "cancelled"
        mandate = mandates.get(conn, payer)
        assert (mandate.status, mandate.tk03_pending) == (MandateStatus.CANCELLED, True)
        sent = outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 10))
    assert sent is not None and f"03{BANKGIRO.zfill(10)}{payer:016d}" in sent.content.decode(
        "iso-8859-1"
    )
    assert _mail(engine, "autogiro-ended:") == []  # the donor stopped it: no "ended" mail
