"""Gifts in the database: validation of the donor form, the pending row the webhooks rely on,
and its personnummer stored only encrypted."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.errors import GiftInvalid
from ledger.services import dimensions, gifts, pii

CRYPT = pii.cipher({"KASSAN_ENV": "test"})


def form(**changes):
    data = {
        "amount": "200",
        "frequency": "once",
        "donor_kind": "person",
        "donor_name": "  Anna   Andersson ",
        "donor_email": "Anna@Example.se",
    }
    data.update(changes)
    return data


def test_a_valid_form_becomes_a_draft_with_clean_values():
    draft = gifts.validate(form(amount_other="1 234,50", consent_contact="1"), locale="en")
    assert draft.amount_ore == 123450
    assert (draft.donor_name, draft.donor_email) == ("Anna Andersson", "anna@example.se")
    assert draft.consent_contact is True and draft.locale == "en"


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(GiftInvalid) as caught:
        gifts.validate({"amount_other": "10", "donor_kind": "organisation"})
    assert set(caught.value.errors) == {
        "amount",
        "frequency",
        "donor_name",
        "donor_email",
        "organisation_number",
    }
    assert caught.value.errors["amount"] == "Det minsta beloppet är 20 kr."


@pytest.mark.parametrize(
    ("text", "ore"), [("20", 2000), ("20,00", 2000), ("19,99", None), ("25.5", 2550), ("-30", None)]
)
def test_the_minimum_is_twenty_kronor(text, ore):
    if ore is None:
        with pytest.raises(GiftInvalid) as caught:
            gifts.validate(form(amount_other=text))
        assert "amount" in caught.value.errors
    else:
        assert gifts.validate(form(amount_other=text)).amount_ore == ore


def test_organisation_and_personal_numbers_are_checked_with_python_stdnum():
    org = gifts.validate(form(donor_kind="organisation", organisation_number="5560360793"))
    assert org.organisation_number == "556036-0793"
    with pytest.raises(GiftInvalid, match="Organisationsnumret stämmer inte"):
        gifts.validate(form(donor_kind="organisation", organisation_number="556036-0794"))
    assert gifts.validate(form(personnummer="811218-9876")).personnummer == "19811218-9876"
    assert gifts.validate(form(personnummer="198112189876")).personnummer == "19811218-9876"
    with pytest.raises(GiftInvalid, match="Personnumret stämmer inte"):
        gifts.validate(form(personnummer="811218-9875"))
    # An organisation has no personnummer to report: whatever was typed is dropped.
    assert (
        gifts.validate(
            form(donor_kind="organisation", organisation_number="5560360793", personnummer="x")
        ).personnummer
        is None
    )


def test_a_gift_is_written_pending_with_its_personnummer_encrypted(engine):
    draft = gifts.validate(form(personnummer="811218-9876", frequency="monthly"))
    with engine.begin() as conn:
        network = dimensions.create_network(conn, "fred", "Fred och demokrati")
        pid = gifts.create_gift(conn, draft, network_id=network, crypt=CRYPT)
    with engine.connect() as conn:
        gift = gifts.get_gift(conn, pid)
        raw = conn.execute(select(t.gifts.c.personnummer_enc)).scalar_one()
    assert gift is not None and len(pid) == 32
    assert (gift.status, gift.channel, gift.frequency, gift.currency) == (
        "pending",
        "card",
        "monthly",
        "SEK",
    )
    assert (gift.network_slug, gift.network_name) == ("fred", "Fred och demokrati")
    assert "9876" not in raw and pii.decrypt(CRYPT, raw) == "19811218-9876"


def test_a_public_id_is_unique_in_the_database(engine):
    draft = gifts.validate(form())
    with engine.begin() as conn:
        pid = gifts.create_gift(conn, draft, network_id=None, crypt=CRYPT)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        gifts.create_gift(conn, draft, network_id=None, crypt=CRYPT, public_id=pid)


def test_only_a_monthly_gift_is_cancelled_and_only_once(engine):
    with engine.begin() as conn:
        once = gifts.create_gift(conn, gifts.validate(form()), network_id=None, crypt=CRYPT)
        monthly = gifts.create_gift(
            conn, gifts.validate(form(frequency="monthly")), network_id=None, crypt=CRYPT
        )
        assert gifts.mark_cancelled(conn, once) is False
        assert gifts.mark_cancelled(conn, monthly) is True
        assert gifts.mark_cancelled(conn, monthly) is False
        assert gifts.get_gift(conn, monthly).status == "cancelled"
        assert gifts.get_gift(conn, "not-a-public-id") is None
