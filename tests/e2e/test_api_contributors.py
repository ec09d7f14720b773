"""``/api/v1/contributors`` and ``/api/v1/networks`` over HTTP: round trips, the error shape
with ``field``, a masked personnummer, duplicates refused, a merge booked once."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.entries import Draft, LineDraft
from ledger.services import posting, users

CONTRIBUTORS = "/api/v1/contributors"
NETWORKS = "/api/v1/networks"


@pytest.fixture
def headers(engine):
    out = {}
    with engine.begin() as conn:
        for role in ("finance", "admin", "leadership"):
            users.create_user(conn, f"{role}@kassan.test", "long-enough-password", role)
            out[role] = {
                "Authorization": f"Bearer {users.create_token(conn, f'{role}@kassan.test', 't')}"
            }
    return out


def error_of(response):
    assert response.is_json, response.get_data(as_text=True)
    return response.get_json()["error"]


def test_a_person_round_trips_with_the_personnummer_only_masked(client, headers):
    created = client.post(
        CONTRIBUTORS,
        json={
            "kind": "person",
            "name": "Sara Lind",
            "email": "sara@example.org",
            "personnummer": "198112189876",
        },
        headers=headers["finance"],
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["personnummer"] == "19811218-****"
    again = client.get(f"{CONTRIBUTORS}/{body['id']}", headers=headers["admin"])
    assert again.get_json() == {**body, "possible_duplicates": []}
    listed = client.get(f"{CONTRIBUTORS}?q=lind", headers=headers["admin"]).get_data(as_text=True)
    assert "9876" not in listed and "19811218-****" in listed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "person", "name": "Sara", "personnummer": "19811218-9875"}, "personnummer"),
        (
            {"kind": "organisation", "name": "Klubben", "organisation_number": "556036-0794"},
            "organisation_number",
        ),
        ({"kind": "robot", "name": "R2"}, "kind"),
    ],
)
def test_bad_input_is_answered_422_naming_the_field(client, headers, body, field):
    response = client.post(CONTRIBUTORS, json=body, headers=headers["finance"])
    assert response.status_code == 422
    assert error_of(response)["field"] == field


def test_a_duplicate_organisation_number_is_a_409_naming_the_holder(client, headers):
    body = {"kind": "organisation", "name": "Seko", "organisation_number": "5560360793"}
    assert client.post(CONTRIBUTORS, json=body, headers=headers["finance"]).status_code == 201
    response = client.post(
        CONTRIBUTORS, json={**body, "name": "Seko 2"}, headers=headers["finance"]
    )
    assert response.status_code == 409
    err = error_of(response)
    assert err["field"] == "organisation_number" and "Seko" in err["message"]


def test_patch_changes_only_the_fields_sent_and_leadership_cannot_write(client, headers):
    cid = client.post(
        CONTRIBUTORS,
        json={"kind": "organisation", "name": "Klubben", "city": "Malmö"},
        headers=headers["finance"],
    ).get_json()["id"]
    assert (
        client.patch(
            f"{CONTRIBUTORS}/{cid}", json={"postcode": "21119"}, headers=headers["leadership"]
        ).status_code
        == 403
    )
    changed = client.patch(
        f"{CONTRIBUTORS}/{cid}", json={"postcode": "21119"}, headers=headers["finance"]
    ).get_json()
    assert (changed["postcode"], changed["city"]) == ("211 19", "Malmö")


@pytest.mark.parametrize(
    "path",
    [
        CONTRIBUTORS,
        f"{CONTRIBUTORS}?q=lind",
        f"{CONTRIBUTORS}/1",
        "/api/v1/collections",
        "/api/v1/collections/1",
        "/api/v1/invoices",
        "/api/v1/invoices/1",
        "/api/v1/invoices/1/pdf",
        "/api/v1/pledges",
        "/api/v1/pledges/1",
    ],
)
def test_leadership_reads_no_personal_data_as_the_staff_pages_refuse_it(client, headers, path):
    client.post(
        CONTRIBUTORS,
        json={"kind": "person", "name": "Sara Lind", "email": "sara@example.org"},
        headers=headers["finance"],
    )
    response = client.get(path, headers=headers["leadership"])
    assert response.status_code == 403
    assert error_of(response)["message"] == "personal data needs the finance or admin role"
    assert "Lind" not in response.get_data(as_text=True)
    assert client.get(CONTRIBUTORS, headers=headers["finance"]).status_code == 200


def test_a_merge_over_the_api_books_once(client, headers, engine):
    a = client.post(
        CONTRIBUTORS, json={"kind": "person", "name": "Sara Lind"}, headers=headers["finance"]
    ).get_json()["id"]
    b = client.post(
        CONTRIBUTORS, json={"kind": "person", "name": "Sara  Lind"}, headers=headers["finance"]
    ).get_json()["id"]
    assert client.get(f"{CONTRIBUTORS}/{a}", headers=headers["finance"]).get_json()[
        "possible_duplicates"
    ] == [b]
    with engine.begin() as conn:
        posting.post(
            conn,
            Draft(
                date(2026, 3, 1),
                "Gåva",
                (LineDraft("1930", 500, 0), LineDraft("3993", 0, 500, contributor_id=b)),
            ),
        )
    first = client.post(
        f"{CONTRIBUTORS}/{b}/merge",
        json={"into": a, "date": "2026-06-01"},
        headers=headers["finance"],
    )
    assert first.status_code == 201, first.get_json()
    again = client.post(f"{CONTRIBUTORS}/{b}/merge", json={"into": a}, headers=headers["finance"])
    assert again.status_code == 200
    assert again.get_json()["entry_id"] == first.get_json()["entry_id"] is not None
    entry = client.get(
        f"/api/v1/entries/{first.get_json()['entry_id']}", headers=headers["finance"]
    ).get_json()
    assert entry["source_key"] == f"merge:{b}:{a}" and entry["series"] == "M"


def test_a_network_round_trips_with_countries_budgets_and_members(client, headers):
    fin = headers["finance"]
    created = client.post(
        NETWORKS,
        json={
            "slug": "colombia",
            "name": "Colombia",
            "countries": ["CO"],
            "partners": [{"name": "CUT", "country": "CO"}],
        },
        headers=fin,
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["countries"] == [{"code": "CO", "name": "Colombia"}]
    bad = client.patch(f"{NETWORKS}/colombia", json={"countries": ["CO", "QQ"]}, headers=fin)
    assert bad.status_code == 422 and error_of(bad)["field"] == "countries[1]"
    assert (
        client.patch(f"{NETWORKS}/colombia", json={"status": "paused"}, headers=fin).get_json()[
            "status"
        ]
        == "paused"
    )
    assert (
        client.put(
            f"{NETWORKS}/colombia/budgets",
            json={"year": 2027, "need_ore": 900, "sida_ore": 600},
            headers=fin,
        ).status_code
        == 200
    )
    assert client.get(f"{NETWORKS}/colombia/budgets", headers=fin).get_json() == [
        {"year": 2027, "need_ore": 900, "sida_ore": 600}
    ]
    club = client.post(
        CONTRIBUTORS, json={"kind": "organisation", "name": "Klubben"}, headers=fin
    ).get_json()["id"]
    member = client.post(
        f"{NETWORKS}/colombia/memberships",
        json={"contributor": club, "joined_on": "2026-01-01"},
        headers=fin,
    )
    assert member.status_code == 201, member.get_json()
    mid = member.get_json()["id"]
    twice = client.post(
        f"{NETWORKS}/colombia/memberships",
        json={"contributor": club, "joined_on": "2026-01-01"},
        headers=fin,
    )
    assert twice.status_code == 409
    circle = client.post(
        f"{NETWORKS}/colombia/memberships/{mid}/commitments",
        json={"kind": "study_circle", "year": 2026, "count": 2},
        headers=fin,
    )
    assert circle.status_code == 201, circle.get_json()
    [listed] = client.get(f"{NETWORKS}/colombia/memberships", headers=fin).get_json()
    assert listed["contributor"] == club and listed["commitments"][0]["count"] == 2
