"""The funding gap over HTTP and from the command line, and allocating by API: roles, the JSON
shape (öre and Swedish text side by side), the CSV a Swedish spreadsheet opens, errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from kassan.cli.main import main
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import posting, users

URL = "/api/v1/funding-gap"
ALLOC = "/api/v1/allocations"


@pytest.fixture
def headers(engine):
    """A bearer header per role."""
    out = {}
    with engine.begin() as conn:
        for role in users.ROLES:
            users.create_user(conn, f"{role}@kassan.test", "long-enough-password", role)
            token = users.create_token(conn, f"{role}@kassan.test", "test")
            out[role] = {"Authorization": f"Bearer {token}"}
    return out


@pytest.fixture
def books(engine):
    """Network 'fred' needing 10 000 kr in 2026, 2 500 kr given to it, 4 000 kr unrestricted."""
    with engine.begin() as conn:
        fred = conn.execute(
            t.networks.insert()
            .values(slug="fred", name="Fred och demokrati")
            .returning(t.networks.c.id)
        ).scalar_one()
        conn.execute(
            t.network_budgets.insert().values(
                network_id=fred, year=2026, need_ore=1_000_000, sida_ore=400_000
            )
        )
        for key, ore, network in (("g1", 250_000, "fred"), ("g2", 400_000, None)):
            posting.post(
                conn,
                Draft(
                    date=date(2026, 3, 1),
                    text="Gåva via bankgiro",
                    series="B",
                    source_kind="test",
                    source_key=key,
                    lines=(
                        LineDraft("1930", ore, 0),
                        LineDraft("3993", 0, ore, network=network),
                    ),
                ),
            )
    return fred


def get(client, headers, **query):
    return client.get(
        URL, query_string={"year": 2026, "as_of": "2026-09-15", **query}, headers=headers
    )


@pytest.mark.parametrize("role", users.ROLES)
def test_every_staff_role_reads_the_funding_gap(client, headers, books, role):
    response = get(client, headers[role])
    assert response.status_code == 200
    body = response.get_json()
    assert body["year"] == 2026 and body["months_left"] == 3 and body["as_of"] == "2026-09-15"
    fred = body["networks"][0]
    assert fred["slug"] == "fred"
    assert (fred["need_ore"], fred["received_ore"], fred["gap_ore"]) == (
        1_000_000,
        250_000,
        750_000,
    )
    assert fred["need"] == "10\xa0000,00\xa0kr" and fred["sida"] == "4\xa0000,00\xa0kr"
    assert fred["coverage_bp"] == 2500 and fred["coverage"] == "25,0 %"
    assert fred["pace_ore"] == 250_000
    # no monthly gift yet: the median falls back to the setting (200 kr) and says so
    assert body["median_is_fallback"] is True and body["median_monthly_gift_ore"] == 20_000
    assert fred["donors_needed"] == 13  # 7 500 kr / (200 kr × 3) = 12,5
    assert "13 fler månadsgivare" in fred["donors"]
    assert body["unrestricted"]["received_ore"] == 400_000
    assert body["total"]["gap_ore"] == 1_000_000 - 250_000 - 400_000


def test_the_api_and_the_json_file_are_the_same_figures(client, cli, headers, books, tmp_path):
    target = tmp_path / "gap.json"
    result = cli.invoke(
        main,
        ["report", "funding-gap", "--year", "2026", "--as-of", "2026-09-15", "-o", str(target)],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text("utf-8")) == get(client, headers["finance"]).get_json()


def test_the_csv_has_swedish_headers_a_row_per_network_and_the_total(cli, books, tmp_path):
    target = tmp_path / "gap.csv"
    result = cli.invoke(
        main,
        [
            "report",
            "funding-gap",
            "--year",
            "2026",
            "--as-of",
            "2026-09-15",
            "--format",
            "csv",
            "-o",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Nätverk", "Behov (kr)", "Varav tidigare Sida (kr)", "Mottaget (kr)"]
    assert [r[0] for r in rows[1:]] == [
        "Fred och demokrati",
        "Ej öronmärkt (där behovet är störst)",
        "Totalt",
    ]
    assert rows[1][1:4] == ["10000,00", "4000,00", "2500,00"]
    assert rows[1][rows[0].index("Gap (kr)")] == "7500,00"
    assert rows[3][rows[0].index("Gap (kr)")] == "3500,00"


def test_the_cli_refuses_an_unknown_network_and_writes_nothing(cli, books, tmp_path):
    target = tmp_path / "gap.json"
    args = ["report", "funding-gap", "--year", "2026", "--network", "nej", "-o", str(target)]
    result = cli.invoke(main, args)
    assert result.exit_code != 0 and "nej" in result.output
    assert not target.exists()


def test_one_network_is_asked_for_by_slug(client, headers, books):
    body = get(client, headers["leadership"], network="fred").get_json()
    assert body["network"] == "fred" and body["unrestricted"] is None
    assert [n["slug"] for n in body["networks"]] == ["fred"]
    assert body["total"]["gap_ore"] == body["networks"][0]["gap_ore"]


def test_an_unknown_network_is_404_and_a_missing_year_422(client, headers, books):
    unknown = get(client, headers["leadership"], network="nej")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["field"] == "network"
    missing = client.get(URL, headers=headers["leadership"])
    assert missing.status_code == 422 and "year" in missing.get_json()["error"]["fields"]


def test_without_a_token_the_funding_gap_and_allocations_are_401(client, books):
    assert client.get(URL, query_string={"year": 2026}).status_code == 401
    assert client.post(ALLOC, json={}).status_code == 401


def _allocation(**over):
    return {
        "year": 2026,
        "network": "fred",
        "amount_ore": 150_000,
        "note": "Styrelsebeslut 2026-09-01 §3",
        "token": "a1b2c3d4e5f6",
        "date": "2026-09-02",
        **over,
    }


def test_leadership_allocates_once_per_form_token(client, engine, headers, books):
    first = client.post(ALLOC, json=_allocation(), headers=headers["leadership"])
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["voucher"] == "A1" and body["amount_ore"] == 150_000
    assert (body["unallocated_ore"], body["unallocated"]) == (250_000, "2\xa0500,00\xa0kr")
    again = client.post(ALLOC, json=_allocation(), headers=headers["leadership"])
    assert again.status_code == 200 and again.get_json()["entry_id"] == body["entry_id"]
    fred = get(client, headers["leadership"]).get_json()["networks"][0]
    assert (fred["received_ore"], fred["allocated_ore"]) == (400_000, 150_000)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.journal_entries)) == 3


def test_finance_and_admin_allocate_too(client, headers, books):
    for n, role in enumerate(("finance", "admin")):
        made = client.post(
            ALLOC, json=_allocation(token=f"token-{role}-{n}"), headers=headers[role]
        )
        assert made.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (_allocation(amount_ore=400_001), 422, "amount_ore"),
        (_allocation(amount_ore=0), 422, "amount_ore"),
        (_allocation(network="nej"), 404, "network"),
        (_allocation(note=""), 422, "note"),
        (_allocation(token="with space!"), 422, "token"),
        (_allocation(date="2025-12-31"), 422, "date"),
    ],
)
def test_a_refused_allocation_names_the_field_and_books_nothing(
    client, engine, headers, books, body, status, field
):
    response = client.post(ALLOC, json=body, headers=headers["leadership"])
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["field"] == field
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.journal_entries)) == 2


def test_the_same_token_for_another_allocation_is_a_409(client, headers, books):
    client.post(ALLOC, json=_allocation(), headers=headers["finance"])
    other = client.post(ALLOC, json=_allocation(amount_ore=1), headers=headers["finance"])
    assert other.status_code == 409 and other.get_json()["error"]["field"] == "token"


def test_the_openapi_document_lists_the_funding_gap_and_allocations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths[URL] and "post" in paths[ALLOC]
