from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kassan.web.errors import status_of
from ledger.db import tables as t
from ledger.errors import DimensionConflict, DimensionNotFound, DimensionRefused, LedgerError
from ledger.services import dimensions as dims


def _count(conn, table):
    return conn.scalar(select(func.count()).select_from(table))


# --- networks ---------------------------------------------------------------------------------


def test_a_network_is_created_and_found_by_its_slug(engine):
    with engine.begin() as conn:
        network_id = dims.create_network(conn, "palestina", "  Palestina ")
        found = dims.get_network_by_slug(conn, "palestina")
    assert found == dims.Network(network_id, "palestina", "Palestina")


def test_an_unknown_slug_finds_no_network(engine):
    with engine.begin() as conn:
        assert dims.get_network_by_slug(conn, "atlantis") is None


def test_networks_are_listed_by_name(engine):
    with engine.begin() as conn:
        dims.create_network(conn, "sydafrika", "Södra Afrika")
        dims.create_network(conn, "bolivia", "Bolivia")
        dims.create_network(conn, "colombia", "Colombia")
        names = [n.name for n in dims.list_networks(conn)]
    assert names == ["Bolivia", "Colombia", "Södra Afrika"]


@pytest.mark.parametrize(
    "slug",
    ["", "a", "Palestina", "östafrika", "södra afrika", "a_b", "x" * 61, None, 7],
)
def test_a_bad_slug_is_refused_naming_the_slug(engine, slug):
    with engine.begin() as conn, pytest.raises(DimensionRefused) as err:
        dims.create_network(conn, slug, "Något")
    assert err.value.field == "slug"


@pytest.mark.parametrize("slug", ["ab", "sodra-afrika", "x" * 60, "network-2026"])
def test_slugs_of_lowercase_letters_digits_and_hyphens_are_accepted(engine, slug):
    with engine.begin() as conn:
        assert dims.create_network(conn, slug, "Något") > 0


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 201])
def test_a_network_needs_a_name_of_at_most_200_characters(engine, name):
    with engine.begin() as conn, pytest.raises(DimensionRefused) as err:
        dims.create_network(conn, "myanmar", name)
    assert err.value.field == "name"


def test_a_duplicate_slug_is_refused_and_the_transaction_carries_on(engine):
    with engine.begin() as conn:
        dims.create_network(conn, "myanmar", "Myanmar")
        with pytest.raises(DimensionConflict) as err:
            dims.create_network(conn, "myanmar", "Burma")
        # the refusal rolled back only its own savepoint
        dims.create_network(conn, "bolivia", "Bolivia")
    assert err.value.field == "slug"
    assert isinstance(err.value, LedgerError)
    assert status_of(err.value) == 409
    with engine.connect() as conn:
        assert _count(conn, t.networks) == 2
        assert dims.get_network_by_slug(conn, "myanmar").name == "Myanmar"


# --- budgets ----------------------------------------------------------------------------------


def test_setting_a_budget_again_replaces_it_without_a_second_row(engine):
    with engine.begin() as conn:
        network_id = dims.create_network(conn, "colombia", "Colombia")
        dims.set_budget(conn, network_id, 2026, 150_000_000, 120_000_000)
        dims.set_budget(conn, network_id, 2026, 180_000_000, 126_000_000)
        dims.set_budget(conn, network_id, 2025, 90_000_000, 0)
        assert dims.get_budget(conn, network_id, 2026) == dims.Budget(
            network_id, 2026, 180_000_000, 126_000_000
        )
        assert dims.get_budget(conn, network_id, 2025).need_ore == 90_000_000
        assert dims.get_budget(conn, network_id, 2024) is None
        assert _count(conn, t.network_budgets) == 2


@pytest.mark.parametrize(
    ("need", "sida", "field"),
    [
        (-1, 0, "need_ore"),
        (100, -1, "sida_ore"),
        (100.0, 0, "need_ore"),
        (Decimal(100), 0, "need_ore"),
        ("100", 0, "need_ore"),
        (True, 0, "need_ore"),
        (100, None, "sida_ore"),
        (10**16, 0, "need_ore"),
        (100, 101, "sida_ore"),
    ],
)
def test_a_budget_takes_only_whole_non_negative_ore(engine, need, sida, field):
    with engine.begin() as conn:
        network_id = dims.create_network(conn, "bolivia", "Bolivia")
        with pytest.raises(DimensionRefused) as err:
            dims.set_budget(conn, network_id, 2026, need, sida)
        assert err.value.field == field
        assert _count(conn, t.network_budgets) == 0


@pytest.mark.parametrize("year", [1999, 2101, "2026", 2026.0])
def test_a_budget_year_must_be_a_plausible_year(engine, year):
    with engine.begin() as conn:
        network_id = dims.create_network(conn, "bolivia", "Bolivia")
        with pytest.raises(DimensionRefused) as err:
            dims.set_budget(conn, network_id, year, 100, 0)
    assert err.value.field == "year"


def test_a_budget_for_an_unknown_network_is_refused(engine):
    with engine.begin() as conn, pytest.raises(DimensionNotFound) as err:
        dims.set_budget(conn, 4711, 2026, 100, 0)
    assert err.value.field == "network_id"


# --- contributors -----------------------------------------------------------------------------


def test_contributors_are_created_and_found_by_email_whatever_its_case(engine):
    with engine.begin() as conn:
        person = dims.create_contributor(
            conn, "person", "Anna Svensson", " Anna.Svensson@Example.org "
        )
        club = dims.create_contributor(conn, "organisation", "Seko klubb Posten Göteborg")
        found = dims.find_contributor_by_email(conn, "ANNA.SVENSSON@example.org")
        assert dims.find_contributor_by_email(conn, "nobody@example.org") is None
        assert dims.find_contributor_by_email(conn, "") is None
        row = conn.execute(select(t.contributors).where(t.contributors.c.id == club)).one()
    assert found == dims.Contributor(person, "person", "Anna Svensson", "anna.svensson@example.org")
    assert (row.kind, row.name, row.email) == ("organisation", "Seko klubb Posten Göteborg", None)


def test_a_blank_email_is_stored_as_none(engine):
    with engine.begin() as conn:
        cid = dims.create_contributor(conn, "person", "Per Holm", "   ")
        email = conn.scalar(select(t.contributors.c.email).where(t.contributors.c.id == cid))
    assert email is None


@pytest.mark.parametrize(
    ("kind", "name", "email", "field"),
    [
        ("union", "IF Metall", None, "kind"),
        ("Person", "Anna", None, "kind"),
        ("person", "", None, "name"),
        ("person", "  ", None, "name"),
        ("person", "x" * 201, None, "name"),
        ("person", "Anna", "anna", "email"),
        ("person", "Anna", "anna@example", "email"),
        ("person", "Anna", "anna svensson@example.org", "email"),
        ("person", "Anna", "a@" + "b" * 250 + ".se", "email"),
        ("person", "Anna", 42, "email"),
    ],
)
def test_a_bad_contributor_is_refused_naming_the_field(engine, kind, name, email, field):
    with engine.begin() as conn:
        with pytest.raises(DimensionRefused) as err:
            dims.create_contributor(conn, kind, name, email)
        assert err.value.field == field
        assert _count(conn, t.contributors) == 0
