"""Input no view should see gets a clear 4xx answer and books nothing: JSON nested a thousand
levels deep, text with NUL or a lone surrogate, ids beyond the database's integer range."""

from __future__ import annotations

import re

import pytest

from kassan.web.input_guard import (
    MAX_ID,
    MAX_JSON_DEPTH,
    bad_text_path,
    json_depth,
    out_of_range_path,
)
from ledger.services import users
from tests.e2e.test_api import ENTRIES, entry_count, error_of, gift

DEEP = ("[" * 1000 + "]" * 1000).encode()


@pytest.fixture
def finance(engine):
    with engine.begin() as conn:
        users.create_user(conn, "ekonomi@kassan.test", "long-enough-password", "finance")
        token = users.create_token(conn, "ekonomi@kassan.test", "test")
    return {"Authorization": f"Bearer {token}"}


def test_json_depth_is_read_without_parsing_and_ignores_brackets_in_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'"\\"[["') == 0
    assert json_depth(DEEP) == 1000


def test_the_path_of_unstorable_text_is_named():
    assert bad_text_path({"lines": [{"text": "ok"}, {"text": "a\x00b"}]}) == "lines[1].text"
    assert bad_text_path({"text": "\ud800"}) == "text"
    assert bad_text_path({"a\x00": 1}) == "a\x00"
    assert bad_text_path({"text": "Åsa 😀"}) is None


def test_json_nested_a_thousand_deep_is_answered_400_and_books_nothing(client, engine, finance):
    response = client.post(
        ENTRIES, data=DEEP, headers={**finance, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert str(MAX_JSON_DEPTH) in error_of(response)["message"]
    assert entry_count(engine) == 0


def test_anonymous_deep_json_on_the_swish_callback_is_answered_400(client):
    response = client.post(
        "/webhooks/swish", data=DEEP, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "JsonTooDeep"


@pytest.mark.parametrize("text", ["Insamling \x00", "Insamling \ud800", "\udfff"])
def test_text_with_nul_or_a_lone_surrogate_is_answered_422_naming_the_field(
    client, engine, finance, text
):
    response = client.post(ENTRIES, json=gift(text=text), headers=finance)
    assert response.status_code == 422
    assert error_of(response)["field"] == "text"
    assert entry_count(engine) == 0
    line = gift()
    line["lines"][1]["network"] = "pal\x00estina"
    answer = client.post(ENTRIES, json=line, headers=finance)
    assert answer.status_code == 422 and error_of(answer)["field"] == "lines[1].network"


def test_the_public_gift_form_names_the_field_with_a_nul_in_swedish(client):
    page = client.get("/ge").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/ge", data={"csrf_token": token, "amount": "200", "donor_name": "Anna\x00"}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Fältet donor_name innehåller ett tecken som inte kan sparas" in body


@pytest.mark.parametrize("entry_id", [MAX_ID + 1, 2**63, 10**22])
def test_an_id_beyond_the_databases_integers_is_not_found(client, finance, entry_id):
    response = client.get(f"{ENTRIES}/{entry_id}", headers=finance)
    assert response.status_code == 404
    assert error_of(response)["code"] == "NotFound"
    reverse = client.post(f"{ENTRIES}/{entry_id}/reverse", json={}, headers=finance)
    assert reverse.status_code == 404


def test_the_openapi_document_states_the_id_range(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    (param,) = spec["paths"]["/api/v1/entries/{entry_id}"]["parameters"]
    assert param["schema"] == {"type": "integer", "minimum": 0, "maximum": MAX_ID}


def test_posting_on_a_ledger_without_its_head_row_is_refused_clearly(client, engine, finance):
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM ledger_head")
    response = client.post(ENTRIES, json=gift(), headers=finance)
    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "LedgerDamaged" and "head row is missing" in error["message"]
    assert entry_count(engine) == 0


def test_numbers_no_column_can_hold_are_named():
    assert out_of_range_path({"lines": [{"debit_ore": 10**22}]}) == "lines[0].debit_ore"
    assert out_of_range_path({"contributor_id": MAX_ID + 1}) == "contributor_id"
    assert out_of_range_path({"amount_ore": MAX_ID + 1, "ok": True}) is None
    assert out_of_range_path({"id": -(2**40)}) == "id"


def test_an_amount_of_ten_to_the_twenty_two_is_answered_422_and_books_nothing(
    client, engine, finance
):
    body = gift(ore=10**22)
    response = client.post(ENTRIES, json=body, headers=finance)
    assert response.status_code == 422
    assert error_of(response)["field"] == "lines[0].debit_ore"
    assert entry_count(engine) == 0
