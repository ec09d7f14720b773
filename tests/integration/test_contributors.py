"""Contributors, networks and membership through their services, on a real database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.errors import DimensionConflict, DimensionRefused
from ledger.services import contributors, dimensions, networks, pii

CRYPT = pii.cipher({})
PNR = "19811218-9876"
ORGNR = "556036-0793"


def org(conn, name="Seko klubb Posten", **values):
    return contributors.create(conn, CRYPT, "organisation", {"name": name, **values})


def test_a_personnummer_is_stored_encrypted_and_shown_masked(engine):
    with engine.begin() as conn:
        cid = contributors.create(
            conn, CRYPT, "person", {"name": "Sara Lind", "personnummer": "811218-9876"}
        )
        record = contributors.get(conn, cid)
        stored = conn.scalar(
            select(t.contributors.c.personnummer_enc).where(t.contributors.c.id == cid)
        )
    assert record.personnummer_masked == "19811218-****"
    assert PNR not in stored and "9876" not in stored
    assert pii.decrypt(CRYPT, stored) == PNR


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        ("person", {"name": "Sara", "personnummer": "19811218-9875"}, "personnummer"),
        (
            "organisation",
            {"name": "Klubben", "organisation_number": "556036-0794"},
            "organisation_number",
        ),
        ("organisation", {"name": "Klubben", "org_kind": "party"}, "org_kind"),
        ("organisation", {"name": "Klubben", "postcode": "1234"}, "postcode"),
        ("organisation", {"name": "Klubben", "invoice_email": "nope"}, "invoice_email"),
        ("person", {"name": "Sara", "organisation_number": ORGNR}, "organisation_number"),
        ("person", {"name": "  "}, "name"),
    ],
)
def test_bad_fields_are_refused_naming_the_field_in_english_and_swedish(
    engine, kind, values, field
):
    with engine.begin() as conn:
        with pytest.raises(DimensionRefused) as caught:
            contributors.create(conn, CRYPT, kind, values)
        assert conn.scalar(text("SELECT count(*) FROM contributors")) == 0
    assert caught.value.field == field
    assert caught.value.sv


def test_an_organisation_keeps_its_invoice_address_in_normal_form(engine):
    with engine.begin() as conn:
        cid = org(
            conn,
            organisation_number="5560360793",
            org_kind="club",
            contact_person="Anna Berg",
            address_line1="Box 1105",
            postcode="11181",
            city="Stockholm",
            invoice_email="Faktura@Seko.se",
        )
        record = contributors.get(conn, cid)
    assert record.organisation_number == ORGNR
    assert (record.postcode, record.city, record.invoice_email) == (
        "111 81",
        "Stockholm",
        "faktura@seko.se",
    )


def test_a_duplicate_organisation_number_is_refused_naming_the_holder(engine):
    with engine.begin() as conn:
        first = org(conn, "Seko", organisation_number=ORGNR)
        with pytest.raises(DimensionConflict) as caught:
            org(conn, "Seko förbundet", organisation_number="556036-0793")
    assert caught.value.field == "organisation_number"
    assert f"Seko (givare {first})" in caught.value.sv


def test_a_duplicate_email_is_refused_on_create_and_on_edit(engine):
    with engine.begin() as conn:
        contributors.create(
            conn, CRYPT, "person", {"name": "Sara Lind", "email": "sara@example.org"}
        )
        other = contributors.create(
            conn, CRYPT, "person", {"name": "Per Holm", "email": "per@example.org"}
        )
        with pytest.raises(DimensionConflict, match="Sara Lind"):
            contributors.create(
                conn, CRYPT, "person", {"name": "S Lind", "email": "SARA@example.org"}
            )
        with pytest.raises(DimensionConflict, match="Sara Lind"):
            contributors.update(conn, CRYPT, other, {"email": "sara@example.org"})
        assert contributors.get(conn, other).email == "per@example.org"


def test_the_database_refuses_a_duplicate_organisation_number_the_service_did_not_see(engine):
    with engine.begin() as conn:
        org(conn, "Seko", organisation_number=ORGNR)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contributors (kind, name, organisation_number) "
                "VALUES ('organisation', 'X', :o)"
            ),
            {"o": ORGNR},
        )


def test_similar_names_are_listed_as_possible_duplicates(engine):
    with engine.begin() as conn:
        a = org(conn, "Seko klubb Posten Göteborg")
        b = org(conn, "SEKO-klubb Posten, Göteborg")
        org(conn, "IF Metall avd 2")
        found = [r.id for r in contributors.possible_duplicates(conn, a)]
    assert found == [b]


def test_search_finds_by_name_email_and_number_with_paging(engine):
    with engine.begin() as conn:
        for i in range(5):
            org(conn, f"Klubb {i}", email=f"klubb{i}@example.org")
        org(conn, "Förbundet", organisation_number=ORGNR)
        page, total = contributors.search(conn, "klubb", limit=2, offset=2)
        assert total == 5 and [r.name for r in page] == ["Klubb 2", "Klubb 3"]
        assert [r.name for r in contributors.search(conn, "556036")[0]] == ["Förbundet"]


def test_a_network_holds_countries_partners_status_and_budgets(engine):
    with engine.begin() as conn:
        nid = networks.create(
            conn,
            {
                "slug": "colombia",
                "name": "Colombia",
                "theme": "Fred",
                "countries": ["co", "VE"],
                "partners": [{"name": "CUT", "country": "CO"}],
                "status": "paused",
            },
        )
        dimensions.set_budget(conn, nid, 2027, 500_000_00, 300_000_00)
        detail = networks.get(conn, nid)
        budgets = networks.budgets(conn, nid)
    assert detail.countries == ("CO", "VE")
    assert [networks.country_name(c) for c in detail.countries] == ["Colombia", "Venezuela"]
    assert detail.partners == (networks.Partner("CUT", "CO"),)
    assert detail.status == "paused"
    assert [(b.year, b.need_ore, b.sida_ore) for b in budgets] == [(2027, 500_000_00, 300_000_00)]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"countries": ["XX"]}, "countries[0]"),
        ({"countries": ["419"]}, "countries[0]"),
        ({"status": "sleeping"}, "status"),
        ({"partners": [{"name": "CUT", "country": "Colombia"}]}, "partners[0].country"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_network_fields_are_refused_and_change_nothing(engine, values, field):
    with engine.begin() as conn:
        nid = networks.create(conn, {"slug": "colombia", "name": "Colombia"})
    with pytest.raises(DimensionRefused) as caught, engine.begin() as conn:
        networks.update(conn, nid, values)
    assert caught.value.field == field
    with engine.begin() as conn:
        assert networks.get(conn, nid) == networks.NetworkDetail(
            nid, "colombia", "Colombia", None, None, "active", (), ()
        )


def test_an_organisation_joins_a_network_once_and_records_commitments(engine):
    with engine.begin() as conn:
        nid = networks.create(conn, {"slug": "colombia", "name": "Colombia"})
        club = org(conn)
        person = contributors.create(conn, CRYPT, "person", {"name": "Sara"})
        mid = networks.join(conn, nid, club, date(2026, 1, 15))
        networks.add_commitment(conn, mid, "study_circle", 2026, count=3, note="Hösten")
        networks.add_commitment(conn, mid, "expert_role", 2026, hours=40)
        with pytest.raises(DimensionConflict):
            networks.join(conn, nid, club, date(2026, 2, 1))
        with pytest.raises(DimensionRefused) as caught:
            networks.join(conn, nid, person, date(2026, 2, 1))
        assert caught.value.field == "contributor_id"
        with pytest.raises(DimensionRefused) as caught:
            networks.add_commitment(conn, mid, "campaign", 2026)
        assert caught.value.field == "hours"
        [membership] = networks.memberships(conn, network_id=nid)
    assert membership.contributor_id == club and membership.joined_on == date(2026, 1, 15)
    assert sorted((c.kind, c.hours, c.count) for c in membership.commitments) == [
        ("expert_role", 40, None),
        ("study_circle", None, 3),
    ]
