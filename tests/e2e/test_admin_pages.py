"""The ``/admin`` pages for contributors and networks over HTTP: each renders, a refused field
is shown in Swedish on the form (422), and saved changes reach the services."""

from __future__ import annotations

import re

import pytest

from ledger.services import contributors, networks, pii, users

PASSWORD = "korrekt-häst-batteri"
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CRYPT = pii.cipher({})


def _sign_in(client, engine, role):
    with engine.begin() as conn:
        users.create_user(conn, f"{role}@kassan.test", PASSWORD, role)
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": f"{role}@kassan.test", "password": PASSWORD}
    )
    assert response.status_code == 302


@pytest.fixture
def staff(client, engine):
    _sign_in(client, engine, "finance")
    return client


def _post(client, path, data):
    token = _CSRF.search(client.get(path).get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token, **data})


def test_leadership_may_not_open_the_admin_pages(client, engine):
    _sign_in(client, engine, "leadership")
    assert client.get("/admin/contributors").status_code == 403


def test_finance_downloads_a_persons_data_as_json_and_leadership_may_not(app, client, engine):
    with engine.begin() as conn:
        cid = contributors.create(
            conn, CRYPT, "person", {"name": "Sara Lind", "personnummer": "198112189876"}
        )
    path = f"/admin/contributors/{cid}/personuppgifter.json"
    leadership = app.test_client()
    _sign_in(leadership, engine, "leadership")
    assert leadership.get(path).status_code == 403
    _sign_in(client, engine, "finance")
    page = client.get(f"/admin/contributors/{cid}").get_data(as_text=True)
    assert f'href="{path}" download' in page
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="givare-{cid}-personuppgifter.json"'
    )
    person = response.get_json()["contributor"]
    assert (person["name"], person["personnummer"]) == ("Sara Lind", "19811218-9876")
    assert response.get_json()["autogiro_files"] == []  # no mandate: no Autogiro file names her
    assert client.get("/admin/contributors/999/personuppgifter.json").status_code == 404


def test_a_bad_personnummer_is_named_in_swedish_on_the_form(staff, engine):
    response = _post(
        staff,
        "/admin/contributors",
        {"kind": "person", "name": "Sara", "personnummer": "19811218-9875"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Personnummer: numret stämmer inte" in html and 'id="personnummer-errors"' in html
    with engine.connect() as conn:
        assert contributors.search(conn)[1] == 0


def test_an_organisation_is_created_listed_and_edited(staff, engine):
    created = _post(
        staff,
        "/admin/contributors",
        {
            "kind": "organisation",
            "name": "Seko klubb",
            "organisation_number": "5560360793",
            "org_kind": "club",
        },
    )
    assert created.status_code == 303
    page = created.headers["Location"]
    assert "556036-0793" in staff.get("/admin/contributors?q=seko").get_data(as_text=True)
    bad = _post(staff, page, {"name": "Seko klubb", "postcode": "12"})
    assert bad.status_code == 422 and "Postnummer: fem siffror" in bad.get_data(as_text=True)
    assert (
        _post(
            staff, page, {"name": "Seko klubb", "postcode": "41301", "city": "Göteborg"}
        ).status_code
        == 303
    )
    html = staff.get(page).get_data(as_text=True)
    assert 'value="413 01"' in html and "Göteborg" in html


def test_a_duplicate_is_refused_and_a_merge_runs_from_the_page(staff, engine):
    with engine.begin() as conn:
        a = contributors.create(
            conn, CRYPT, "organisation", {"name": "Seko klubb Posten", "email": "a@seko.se"}
        )
        b = contributors.create(
            conn, CRYPT, "organisation", {"name": "Seko-klubb Posten", "email": "b@seko.se"}
        )
    dup = _post(
        staff, "/admin/contributors", {"kind": "organisation", "name": "Ny", "email": "a@seko.se"}
    )
    assert dup.status_code == 422
    assert (
        f"E-postadressen a@seko.se finns redan hos Seko klubb Posten (givare {a})"
        in dup.get_data(as_text=True)
    )
    page = staff.get(f"/admin/contributors/{b}").get_data(as_text=True)
    assert "Möjliga dubbletter" in page and f"/admin/contributors/{a}" in page
    token = _CSRF.search(staff.get(f"/admin/contributors/{b}").get_data(as_text=True)).group(1)
    refused = staff.post(
        f"/admin/contributors/{b}/merge", data={"csrf_token": token, "into": str(b)}
    )
    assert refused.status_code == 422 and "Välj en annan givare" in refused.get_data(as_text=True)
    merged = staff.post(
        f"/admin/contributors/{b}/merge", data={"csrf_token": token, "into": str(a)}
    )
    assert merged.status_code == 303
    with engine.connect() as conn:
        assert contributors.get(conn, b).merged_into == a


def test_the_network_pages_edit_countries_budgets_and_members(staff, engine):
    with engine.begin() as conn:
        networks.create(conn, {"slug": "colombia", "name": "Colombia"})
        club = contributors.create(conn, CRYPT, "organisation", {"name": "Verkstadsklubben"})
    assert "Colombia" in staff.get("/admin/networks").get_data(as_text=True)
    bad = _post(
        staff,
        "/admin/networks/colombia",
        {"action": "network", "name": "Colombia", "countries": "CO XX"},
    )
    assert bad.status_code == 422 and "Land: &#39;XX&#39; är ingen landskod" in bad.get_data(
        as_text=True
    )
    ok = _post(
        staff,
        "/admin/networks/colombia",
        {
            "action": "network",
            "name": "Colombia",
            "status": "paused",
            "countries": "co, ve",
            "partners": "CUT; CO",
        },
    )
    assert ok.status_code == 303
    assert (
        _post(
            staff,
            "/admin/networks/colombia",
            {"action": "budget", "year": "2027", "need": "500 000", "sida": "300 000,50"},
        ).status_code
        == 303
    )
    assert (
        _post(
            staff,
            "/admin/networks/colombia",
            {"action": "member", "contributor_id": str(club), "joined_on": "2026-01-15"},
        ).status_code
        == 303
    )
    html = staff.get("/admin/networks/colombia").get_data(as_text=True)
    assert (
        "Venezuela" in html
        and "CUT; CO" in html
        and "300\u00a0000,50\u00a0kr" in html
        and "Verkstadsklubben" in html
    )
    with engine.connect() as conn:
        [member] = networks.memberships(conn, contributor_id=club)
    done = _post(
        staff,
        "/admin/networks/colombia",
        {
            "action": "commitment",
            "membership_id": str(member.id),
            "kind": "study_circle",
            "year": "2026",
            "count": "2",
        },
    )
    assert done.status_code == 303
    assert "Studiecirkel" in staff.get("/admin/networks/colombia").get_data(as_text=True)
