"""The JSON API over HTTP: tokens and roles, booking, reading, reversing, errors, OpenAPI."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, update

from kassan.cli.main import main as kassan
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import journal, posting, users
from reports.trial_balance import trial_balance

ENTRIES = "/api/v1/entries"


@pytest.fixture
def tokens(engine):
    """One API token per role."""
    out = {}
    with engine.begin() as conn:
        for role in users.ROLES:
            users.create_user(conn, f"{role}@kassan.test", "long-enough-password", role)
            out[role] = users.create_token(conn, f"{role}@kassan.test", "test")
    return out


@pytest.fixture
def finance(tokens):
    return {"Authorization": f"Bearer {tokens['finance']}"}


@pytest.fixture
def leadership(tokens):
    return {"Authorization": f"Bearer {tokens['leadership']}"}


@pytest.fixture
def dimensions(engine):
    """A network 'palestina' and a contributor; returns the contributor's id."""
    with engine.begin() as conn:
        conn.execute(t.networks.insert().values(slug="palestina", name="Palestina"))
        conn.execute(t.networks.insert().values(slug="colombia", name="Colombia"))
        return conn.execute(
            t.contributors.insert()
            .values(kind="organisation", name="Verkstadsklubben")
            .returning(t.contributors.c.id)
        ).scalar_one()


def gift(ore=123450, *, day="2026-03-01", network=None, **extra):
    body = {
        "date": day,
        "text": "Insamling på arbetsplatsen",
        "series": "M",
        "lines": [
            {"account": "1930", "debit_ore": ore, "credit_ore": 0},
            {"account": "3993", "debit_ore": 0, "credit_ore": ore, "network": network},
        ],
    }
    body.update(extra)
    return body


def entry_count(engine):
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(t.journal_entries))


def error_of(response):
    assert response.is_json, response.get_data(as_text=True)
    return response.get_json()["error"]


# --- OpenAPI and authentication ----------------------------------------------------------


def test_the_openapi_document_is_valid_json_listing_the_paths_and_the_bearer_scheme(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.0.3"
    assert doc["info"]["title"] == "Kassan"
    assert doc["info"]["version"] == "v1"
    assert set(doc["paths"]) == {
        "/api/v1/accounts",
        "/api/v1/entries",
        "/api/v1/entries/{entry_id}",
        "/api/v1/entries/{entry_id}/reverse",
        "/api/v1/trial-balance",
        "/api/v1/contributors",
        "/api/v1/contributors/{contributor_id}",
        "/api/v1/contributors/{contributor_id}/merge",
        "/api/v1/networks",
        "/api/v1/networks/{slug}",
        "/api/v1/networks/{slug}/budgets",
        "/api/v1/networks/{slug}/memberships",
        "/api/v1/networks/{slug}/memberships/{membership_id}/commitments",
        "/api/v1/bank-imports",
        "/api/v1/bank-imports/{import_id}",
        "/api/v1/bank-imports/jobs/{job_id}",
        "/api/v1/pledges",
        "/api/v1/pledges/{pledge_id}",
        "/api/v1/pledges/{pledge_id}/instalments/{seq}/invoice",
        "/api/v1/invoices",
        "/api/v1/invoices/{number}",
        "/api/v1/invoices/{number}/credit",
        "/api/v1/invoices/{number}/pdf",
        "/api/v1/invoices/{number}/send",
        "/api/v1/funding-gap",
        "/api/v1/allocations",
        "/api/v1/collections",
        "/api/v1/collections/{collection_id}",
        "/api/v1/collections/{collection_id}/approve",
        "/api/v1/collections/{collection_id}/close",
    }
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "a Kassan API token",
    }
    assert doc["security"] == [{"bearerAuth": []}]
    schemas = doc["components"]["schemas"]
    assert {"Entry", "NewEntry", "NewLine", "Error", "TrialBalance", "Account"} <= set(schemas)
    assert schemas["NewLine"]["properties"]["debit_ore"]["type"] == "integer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/accounts"),
        ("get", ENTRIES),
        ("post", ENTRIES),
        ("get", f"{ENTRIES}/1"),
        ("post", f"{ENTRIES}/1/reverse"),
        ("get", "/api/v1/trial-balance"),
    ],
)
def test_every_endpoint_refuses_a_request_without_a_token_with_401_json(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert error_of(response)["code"] == "Unauthorized"


@pytest.mark.parametrize("header", ["Bearer ksn_not-a-real-token", "Basic dXNlcjpwdw==", "Bearer "])
def test_a_wrong_or_malformed_token_is_refused_with_401(client, tokens, header):
    response = client.get("/api/v1/accounts", headers={"Authorization": header})
    assert response.status_code == 401


def test_a_revoked_token_is_refused_with_401(client, engine, tokens, finance):
    assert client.get("/api/v1/accounts", headers=finance).status_code == 200
    with engine.begin() as conn:
        users.revoke_tokens(conn, "finance@kassan.test")
    assert client.get("/api/v1/accounts", headers=finance).status_code == 401


def test_a_leadership_token_may_read_but_writing_is_refused_with_403(client, engine, leadership):
    assert client.get(ENTRIES, headers=leadership).status_code == 200
    response = client.post(ENTRIES, json=gift(), headers=leadership)
    assert response.status_code == 403
    assert error_of(response)["code"] == "Forbidden"
    assert entry_count(engine) == 0
    assert client.post(f"{ENTRIES}/1/reverse", headers=leadership).status_code == 403


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_tokens_may_book(client, tokens, role):
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    assert client.post(ENTRIES, json=gift(), headers=headers).status_code == 201


def test_api_answers_carry_the_security_headers(client, finance):
    response = client.get("/api/v1/accounts", headers=finance)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"


# --- chart and trial balance -------------------------------------------------------------


def test_the_chart_of_accounts_is_listed_with_type_and_normal_side(client, leadership):
    response = client.get("/api/v1/accounts", headers=leadership)
    assert response.status_code == 200
    accounts = {a["code"]: a for a in response.get_json()}
    assert accounts["1930"] == {
        "code": "1930",
        "name": "Företagskonto/checkkonto/affärskonto",
        "type": "asset",
        "normal_side": "debit",
    }
    assert accounts["3993"]["normal_side"] == "credit"
    assert list(accounts) == sorted(accounts)


def test_the_trial_balance_is_exactly_the_report_as_json(client, engine, finance, leadership):
    client.post(ENTRIES, json=gift(10000, day="2025-12-31"), headers=finance)
    client.post(ENTRIES, json=gift(25050, day="2026-01-02"), headers=finance)
    with engine.connect() as conn:
        all_years, year_2026 = trial_balance(conn), trial_balance(conn, 2026)
    assert client.get("/api/v1/trial-balance", headers=leadership).get_json() == all_years
    response = client.get("/api/v1/trial-balance?year=2026", headers=leadership)
    assert response.get_json() == year_2026
    assert year_2026["totals"] == {"debit_ore": 25050, "credit_ore": 25050}


def test_a_trial_balance_year_that_is_not_a_number_is_refused_with_422(client, leadership):
    response = client.get("/api/v1/trial-balance?year=last", headers=leadership)
    assert response.status_code == 422
    assert error_of(response)["field"] == "year"


# --- booking -----------------------------------------------------------------------------


def test_a_balanced_entry_is_booked_and_answered_with_201(client, engine, finance, dimensions):
    body = gift(network="palestina")
    body["lines"][0]["contributor"] = dimensions
    response = client.post(ENTRIES, json=body, headers=finance)
    assert response.status_code == 201, response.get_json()
    entry = response.get_json()
    assert entry["voucher"] == "M1"
    assert (entry["series"], entry["number"], entry["fiscal_year"]) == ("M", 1, 2026)
    assert entry["date"] == "2026-03-01"
    assert entry["source_kind"] == "api"
    assert entry["reverses_id"] is None and entry["reversed_by_id"] is None
    assert entry["prev_hash"] == "0" * 64 and len(entry["hash"]) == 64
    assert entry["lines"] == [
        {
            "line_no": 1,
            "account": "1930",
            "debit_ore": 123450,
            "credit_ore": 0,
            "currency": "SEK",
            "network": None,
            "contributor": dimensions,
        },
        {
            "line_no": 2,
            "account": "3993",
            "debit_ore": 0,
            "credit_ore": 123450,
            "currency": "SEK",
            "network": "palestina",
            "contributor": None,
        },
    ]
    with engine.connect() as conn:
        created_by = conn.scalar(select(t.journal_entries.c.created_by))
        finance_id = users.get_user_by_email(conn, "finance@kassan.test").id
    assert created_by == finance_id


def test_an_unbalanced_entry_is_refused_with_422_and_nothing_is_stored(client, engine, finance):
    body = gift()
    body["lines"][1]["credit_ore"] = 123440
    response = client.post(ENTRIES, json=body, headers=finance)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "UnbalancedEntry"
    assert error["field"] == "lines"
    assert "10 öre" in error["message"]
    assert error["fields"] == {"lines": [error["message"]]}
    assert entry_count(engine) == 0


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        (1234.5, "lines[0].debit_ore"),
        (100.0, "lines[0].debit_ore"),
        (True, "lines[0].debit_ore"),
        ("12345", "lines[0].debit_ore"),
        (None, "lines[0].debit_ore"),
        (-100, "lines[0].debit_ore"),
        (10**16, "lines[0].debit_ore"),
    ],
)
def test_an_amount_that_is_not_a_whole_non_negative_number_of_ore_is_refused_naming_the_field(
    client, engine, finance, amount, field
):
    body = gift()
    body["lines"][0]["debit_ore"] = amount
    response = client.post(ENTRIES, json=body, headers=finance)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "ValidationError"
    assert error["field"] == field
    assert field in error["fields"]
    assert entry_count(engine) == 0


def test_a_line_with_both_sides_zero_is_refused_naming_the_line(client, engine, finance):
    body = gift()
    body["lines"][0]["debit_ore"] = 0
    response = client.post(ENTRIES, json=body, headers=finance)
    assert response.status_code == 422
    assert error_of(response)["field"] == "lines[0].debit_ore"
    assert entry_count(engine) == 0


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"account": "9999"}, "lines[1].account", "UnknownAccount"),
        ({"account": "19x0"}, "lines[1].account", "ValidationError"),
        ({"network": "atlantis"}, "lines[1].network", "UnknownDimension"),
        ({"contributor": 4242}, "lines[1].contributor", "UnknownDimension"),
        ({"currency": "kronor"}, "lines[1].currency", "ValidationError"),
        ({"colour": "red"}, "lines[1].colour", "ValidationError"),
    ],
)
def test_an_unknown_account_network_or_contributor_is_refused_naming_the_line_field(
    client, engine, finance, dimensions, change, field, code
):
    body = gift()
    body["lines"][1].update(change)
    response = client.post(ENTRIES, json=body, headers=finance)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["field"], error["code"]) == (field, code)
    assert entry_count(engine) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date": "1 mars"}, "date"),
        ({"date": None}, "date"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"series": "Q"}, "series"),
        ({"lines": []}, "lines"),
        ({"lines": "1930"}, "lines"),
        ({"source_key": ""}, "source_key"),
        ({"amount": 5}, "amount"),
    ],
)
def test_a_malformed_entry_is_refused_with_422_naming_the_field(
    client, engine, finance, change, field
):
    response = client.post(ENTRIES, json=gift(**change), headers=finance)
    assert response.status_code == 422
    assert error_of(response)["field"] == field
    assert entry_count(engine) == 0


def test_a_body_that_is_not_json_is_refused_with_a_json_error(client, engine, finance):
    response = client.post(
        ENTRIES, data="{not json", headers={**finance, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == "json"
    assert entry_count(engine) == 0


def test_an_entry_in_a_closed_period_is_refused_with_409(client, engine, finance):
    assert client.post(ENTRIES, json=gift(day="2026-01-15"), headers=finance).status_code == 201
    with engine.begin() as conn:
        conn.execute(
            update(t.fiscal_years)
            .where(t.fiscal_years.c.year == 2026)
            .values(locked_through=date(2026, 1, 31))
        )
    response = client.post(ENTRIES, json=gift(day="2026-01-20"), headers=finance)
    assert response.status_code == 409
    assert (error_of(response)["code"], error_of(response)["field"]) == ("PeriodClosed", "date")
    assert entry_count(engine) == 1


def test_after_closing_through_a_date_no_earlier_year_takes_an_entry(client, engine, finance, cli):
    # Issue 12: closing through 2026-11-30 once closed 2026 only; 2025 and 2019 took entries
    # (2019 was created on the way) and verify said OK.
    assert client.post(ENTRIES, json=gift(day="2025-06-01"), headers=finance).status_code == 201
    assert cli.invoke(kassan, ["ledger", "close", "--through", "2026-11-30"]).exit_code == 0
    for day in ("2025-06-01", "2019-03-01", "2026-11-30"):
        response = client.post(ENTRIES, json=gift(day=day), headers=finance)
        assert response.status_code == 409, day
        assert (error_of(response)["code"], error_of(response)["field"]) == ("PeriodClosed", "date")
    assert entry_count(engine) == 1
    assert client.post(ENTRIES, json=gift(day="2026-12-01"), headers=finance).status_code == 201
    verified = cli.invoke(kassan, ["ledger", "verify"])
    assert verified.exit_code == 0, verified.output


def test_an_entry_in_a_year_that_is_not_open_is_refused_naming_the_year_and_the_command(
    client, engine, finance, cli
):
    response = client.post(ENTRIES, json=gift(day="1999-06-01"), headers=finance)
    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["field"]) == ("FiscalYearNotOpen", "date")
    assert "1999" in error["message"] and "kassan ledger open-year 1999" in error["message"]
    assert entry_count(engine) == 0
    opened = cli.invoke(kassan, ["ledger", "open-year", "1999"])
    assert (opened.exit_code, opened.output) == (0, "räkenskapsåret 1999 är öppnat\n")
    assert client.post(ENTRIES, json=gift(day="1999-06-01"), headers=finance).status_code == 201


@pytest.mark.parametrize("day", ["1899-12-31", "0001-01-01", f"{date.today().year + 2}-01-01"])
def test_a_date_before_1900_or_after_next_year_is_an_input_error_naming_the_field(
    client, engine, finance, day
):
    response = client.post(ENTRIES, json=gift(day=day), headers=finance)
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("InvalidEntry", "date")
    assert entry_count(engine) == 0


def test_a_retry_with_the_same_source_key_returns_the_first_entry_with_200(client, engine, finance):
    first = client.post(ENTRIES, json=gift(source_key="retry-7"), headers=finance)
    again = client.post(ENTRIES, json=gift(source_key="retry-7"), headers=finance)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert first.get_json()["source_key"] == "api:retry-7"
    assert entry_count(engine) == 1
    other = client.post(ENTRIES, json=gift(source_key="retry-8"), headers=finance)
    assert other.status_code == 201
    assert other.get_json()["id"] != first.get_json()["id"]


def test_a_client_source_key_cannot_claim_the_key_of_another_source(client, engine, finance):
    with engine.begin() as conn:
        stripe = posting.post(
            conn,
            Draft(
                date(2026, 3, 1),
                "Kortgåva",
                (LineDraft("1580", 500, 0), LineDraft("3993", 0, 500)),
                series="K",
                source_kind="stripe",
                source_key="stripe:evt_1",
            ),
        )
    response = client.post(ENTRIES, json=gift(source_key="stripe:evt_1"), headers=finance)
    assert response.status_code == 201
    assert response.get_json()["id"] != stripe.id


def test_a_database_refusal_answers_500_with_json_not_an_html_page(client, engine, finance):
    # Bend the head row behind the app's back: Python's checks pass, the database's hash-chain
    # trigger refuses the next entry.
    assert client.post(ENTRIES, json=gift(), headers=finance).status_code == 201
    with engine.begin() as conn:
        conn.execute(t.ledger_head.update().values(last_hash="e" * 64))
    response = client.post(ENTRIES, json=gift(), headers=finance)
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert error_of(response)["code"] == "IntegrityViolation"
    # the guard's code is for the app; the message reads as it always did, on both databases
    assert error_of(response)["message"].startswith("ledger: prev_hash does not chain")
    assert entry_count(engine) == 1


def test_an_unexpected_error_answers_500_with_json_not_an_html_page(
    app, client, leadership, monkeypatch
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(journal, "list_entries", broken)
    response = client.get(ENTRIES, headers=leadership)
    assert response.status_code == 500
    assert error_of(response)["code"] == "InternalServerError"
    assert "the disk is full" not in response.get_data(as_text=True)


# --- reading -----------------------------------------------------------------------------


def test_an_entry_is_read_back_by_id(client, finance, leadership):
    posted = client.post(ENTRIES, json=gift(), headers=finance).get_json()
    response = client.get(f"{ENTRIES}/{posted['id']}", headers=leadership)
    assert response.status_code == 200
    assert response.get_json() == posted


@pytest.mark.parametrize("path", [f"{ENTRIES}/999", f"{ENTRIES}/abc", "/api/v1/nothing-here"])
def test_a_missing_entry_or_path_answers_404_json(client, leadership, path):
    response = client.get(path, headers=leadership)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert error_of(response)["status"] == 404


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("path", [ENTRIES, f"{ENTRIES}/1", f"{ENTRIES}/1/reverse"])
def test_posted_entries_cannot_be_changed_or_deleted_405(client, engine, finance, method, path):
    client.post(ENTRIES, json=gift(), headers=finance)
    response = getattr(client, method)(path, json=gift(), headers=finance)
    assert response.status_code == 405
    assert error_of(response)["code"] == "MethodNotAllowed"
    assert "PUT" not in response.headers["Allow"]
    assert entry_count(engine) == 1


def _book_many(engine, count):
    with engine.begin() as conn:
        for i in range(count):
            posting.post(
                conn,
                Draft(
                    date(2026, 1, 1 + i),
                    f"Gåva {i + 1}",
                    (LineDraft("1930", 100 + i, 0), LineDraft("3993", 0, 100 + i)),
                ),
            )


def test_entries_are_listed_newest_first_in_pages(client, engine, leadership):
    _book_many(engine, 5)
    response = client.get(f"{ENTRIES}?page=2&page_size=2", headers=leadership)
    assert response.status_code == 200
    body = response.get_json()
    assert [e["voucher"] for e in body["items"]] == ["M3", "M2"]
    assert body["pagination"] == {"page": 2, "page_size": 2, "total": 5, "total_pages": 3}
    last = client.get(f"{ENTRIES}?page=3&page_size=2", headers=leadership).get_json()
    assert [e["voucher"] for e in last["items"]] == ["M1"]
    beyond = client.get(f"{ENTRIES}?page=4&page_size=2", headers=leadership).get_json()
    assert beyond["items"] == []


def test_the_default_page_size_is_50(client, leadership):
    body = client.get(ENTRIES, headers=leadership).get_json()
    assert body == {
        "items": [],
        "pagination": {"page": 1, "page_size": 50, "total": 0, "total_pages": 0},
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [("page_size=11", "page_size"), ("page_size=0", "page_size"), ("page=0", "page")],
)
def test_a_page_outside_the_limits_is_refused_with_422(client, app, leadership, query, field):
    app.config["API_PAGE_SIZE_MAX"] = 10
    assert client.get(f"{ENTRIES}?page_size=10", headers=leadership).status_code == 200
    response = client.get(f"{ENTRIES}?{query}", headers=leadership)
    assert response.status_code == 422
    assert error_of(response)["field"] == field


def test_entries_are_filtered_by_date_account_network_and_series(
    client, engine, finance, leadership, dimensions
):
    client.post(ENTRIES, json=gift(100, day="2026-01-10", network="palestina"), headers=finance)
    client.post(ENTRIES, json=gift(200, day="2026-02-10", network="colombia"), headers=finance)
    fee = {
        "date": "2026-02-20",
        "text": "Bankavgift",
        "series": "B",
        "lines": [
            {"account": "6570", "debit_ore": 300},
            {"account": "1930", "credit_ore": 300},
        ],
    }
    client.post(ENTRIES, json=fee, headers=finance)

    def texts(query):
        response = client.get(f"{ENTRIES}?{query}", headers=leadership)
        assert response.status_code == 200, response.get_json()
        return [e["lines"][0]["debit_ore"] for e in response.get_json()["items"]]

    assert texts("") == [300, 200, 100]
    assert texts("date_from=2026-02-01") == [300, 200]
    assert texts("date_to=2026-02-10") == [200, 100]
    assert texts("date_from=2026-02-01&date_to=2026-02-15") == [200]
    assert texts("account=6570") == [300]
    assert texts("account=3993") == [200, 100]
    assert texts("network=palestina") == [100]
    assert texts("series=B") == [300]
    assert texts("series=M&network=colombia") == [200]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("network=atlantis", "network"),
        ("account=abc", "account"),
        ("series=Z", "series"),
        ("date_from=yesterday", "date_from"),
        ("date_from=2026-03-01&date_to=2026-02-01", "date_to"),
    ],
)
def test_a_bad_filter_is_refused_with_422_naming_it(client, leadership, dimensions, query, field):
    response = client.get(f"{ENTRIES}?{query}", headers=leadership)
    assert response.status_code == 422
    assert error_of(response)["field"] == field


# --- reversing ---------------------------------------------------------------------------


def test_reversing_books_the_mirror_entry_and_links_both(client, finance):
    original = client.post(ENTRIES, json=gift(), headers=finance).get_json()
    response = client.post(
        f"{ENTRIES}/{original['id']}/reverse",
        json={"date": "2026-03-05", "text": "Felbokad gåva"},
        headers=finance,
    )
    assert response.status_code == 201
    reversal = response.get_json()
    assert reversal["reverses_id"] == original["id"]
    assert reversal["date"] == "2026-03-05"
    assert reversal["text"] == "Felbokad gåva"
    assert [(ln["account"], ln["debit_ore"], ln["credit_ore"]) for ln in reversal["lines"]] == [
        ("1930", 0, 123450),
        ("3993", 123450, 0),
    ]
    again = client.get(f"{ENTRIES}/{original['id']}", headers=finance).get_json()
    assert again["reversed_by_id"] == reversal["id"]


def test_reversing_without_a_body_uses_defaults(client, finance):
    original = client.post(ENTRIES, json=gift(), headers=finance).get_json()
    response = client.post(f"{ENTRIES}/{original['id']}/reverse", headers=finance)
    assert response.status_code == 201
    assert response.get_json()["reverses_id"] == original["id"]


def test_reversing_an_entry_twice_is_refused_with_409(client, engine, finance):
    original = client.post(ENTRIES, json=gift(), headers=finance).get_json()
    path = f"{ENTRIES}/{original['id']}/reverse"
    assert client.post(path, json={}, headers=finance).status_code == 201
    response = client.post(path, json={}, headers=finance)
    assert response.status_code == 409
    assert error_of(response)["code"] == "AlreadyReversed"
    assert entry_count(engine) == 2


def test_reversing_a_missing_entry_answers_404_json(client, finance):
    response = client.post(f"{ENTRIES}/999/reverse", json={}, headers=finance)
    assert response.status_code == 404
    assert error_of(response)["code"] == "EntryNotFound"


def test_a_reversal_with_a_bad_date_is_refused_with_422(client, engine, finance):
    original = client.post(ENTRIES, json=gift(), headers=finance).get_json()
    response = client.post(
        f"{ENTRIES}/{original['id']}/reverse", json={"date": "snart"}, headers=finance
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "date"
    assert entry_count(engine) == 1


def test_posts_sent_at_once_are_each_booked_once_with_gapless_numbers(app, engine, finance):
    """Entries posted at the same moment are booked together (group commit): each request
    gets its own entry, a source key sent ten times at once books one entry."""
    bodies = [gift(100 + i, source_key=f"at-once-{i}") for i in range(10)]
    bodies += [gift(500, source_key="ten-times")] * 10
    start = threading.Barrier(len(bodies))
    answers: dict[int, tuple[int, dict]] = {}

    def send(i: int) -> None:
        with app.test_client() as own:
            start.wait()
            response = own.post(ENTRIES, json=bodies[i], headers=finance)
            answers[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [answers[i][0] for i in range(10)] == [201] * 10
    assert sorted(answers[i][0] for i in range(10, 20)) == [200] * 9 + [201]
    assert len({answers[i][1]["id"] for i in range(10, 20)}) == 1
    assert entry_count(engine) == 11
    with engine.connect() as conn:
        numbers = sorted(conn.scalars(select(t.journal_entries.c.number)))
        creators = set(conn.scalars(select(t.journal_entries.c.created_by)))
        finance_id = users.get_user_by_email(conn, "finance@kassan.test").id
    assert creators == {finance_id}
    assert numbers == list(range(1, 12))


def test_a_new_entry_is_answered_from_what_was_booked_with_no_read_after_its_commit(
    client, engine, finance, dimensions, monkeypatch
):
    """Once ``posting.submit`` has committed, nothing may fail the request: an error answer to
    an entry that was booked invites a retry, and a retry without a source key books it twice.
    The new entry's networks are the draft's own; only an entry booked before (whose retry is
    harmless: its source key answers 200 again) reads the networks afresh."""
    import kassan.web.api.entries as entries_api

    request_thread = threading.current_thread()  # the test client runs the view here
    real = journal.network_slugs

    def unreachable(conn):
        if threading.current_thread() is not request_thread:  # the booking thread's own reads
            return real(conn)
        raise RuntimeError("the database is gone after the commit")

    monkeypatch.setattr(entries_api.journal, "network_slugs", unreachable)
    body = gift(network="palestina")
    response = client.post(ENTRIES, json=body, headers=finance)
    assert response.status_code == 201
    assert [ln["network"] for ln in response.get_json()["lines"]] == [None, "palestina"]
    assert entry_count(engine) == 1

    keyed = gift(network="colombia", source_key="bank:once")
    assert client.post(ENTRIES, json=keyed, headers=finance).status_code == 201
    with pytest.raises(RuntimeError):
        client.post(
            ENTRIES, json=keyed, headers=finance
        )  # booked before: reads, fails, books nothing
    monkeypatch.undo()
    again = client.post(ENTRIES, json=keyed, headers=finance)
    assert again.status_code == 200
    assert [ln["network"] for ln in again.get_json()["lines"]] == [None, "colombia"]
    assert entry_count(engine) == 2
