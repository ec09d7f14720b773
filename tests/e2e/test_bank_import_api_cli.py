"""Bank-file import through its two doors: ``POST /api/v1/bank-imports`` (multipart, finance or
admin token; answered 202 with the job to poll, imported by the worker) and ``kassan import
FILE``; refused files book nothing."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from kassan.cli.main import main
from ledger.services import users
from tests.support.bank_accounts import ours_in_app_fixture  # noqa: F401 (fixtures)
from tests.support.camt_files import Entry, Statement, Tx, camt_bytes, generated_entries
from webhooks.bankfiles.worker import Outcome, work_once

pytestmark = pytest.mark.usefixtures("ours_in_app")

URL = "/api/v1/bank-imports"
SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
BGMAX = SAMPLES / "bgmax" / "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt"
DAY = date(2026, 12, 1)


@pytest.fixture
def tokens(engine):
    out = {}
    with engine.begin() as conn:
        for role in ("finance", "leadership"):
            users.create_user(conn, f"{role}@kassan.test", "long-enough-password", role)
            out[role] = {
                "Authorization": f"Bearer {users.create_token(conn, f'{role}@kassan.test', 't')}"
            }
    return out


def _rows(engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _upload(client, headers, data: bytes, name: str = "fil.txt", **form):
    # Encoded here, in memory: the test client's own encoding spools a large body to a temporary
    # file that it never closes (a ResourceWarning, an error under filterwarnings=error).
    boundary, body = encode_multipart(
        MultiDict({"file": FileStorage(io.BytesIO(data), name), **form})
    )
    return client.post(
        URL,
        data=body,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _imported(app, client, engine, headers, data: bytes, name: str = "fil.txt", **form):
    """Upload (202, the job waiting), let the worker import it, and poll the job: done."""
    response = _upload(client, headers, data, name, **form)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "waiting"
    location = response.headers["Location"]
    assert location == f"{URL}/jobs/{response.get_json()['id']}"
    assert work_once(engine, app.config)[Outcome.DONE] == 1
    job = client.get(location, headers=headers)
    assert job.status_code == 200
    body = job.get_json()
    assert body["status"] == "done" and body["lines_done"] == body["line_total"], body
    return body["result"]


def test_a_finance_token_uploads_a_file_and_reads_its_totals_back(app, client, engine, tokens):
    body = _imported(app, client, engine, tokens["finance"], BGMAX.read_bytes(), BGMAX.name)
    assert (body["line_count"], body["credit_ore"], body["format"]) == (4, 210_000, "bgmax")
    assert body["booked_count"] == body["unmatched_count"] == 4
    assert body["ledger_cash_ore"] == 210_000
    one = client.get(f"{URL}/{body['id']}", headers=tokens["leadership"])
    assert one.status_code == 200 and one.get_json()["sha256"] == body["sha256"]
    listed = client.get(URL, headers=tokens["leadership"]).get_json()["items"]
    assert [i["id"] for i in listed] == [body["id"]]
    assert client.get(f"{URL}/999", headers=tokens["finance"]).status_code == 404


def test_the_same_file_again_answers_409_and_stores_nothing(app, client, engine, tokens):
    data = BGMAX.read_bytes()
    assert _upload(client, tokens["finance"], data).status_code == 202
    waiting = _upload(client, tokens["finance"], data, "igen.txt")  # still queued: 409 too
    assert waiting.status_code == 409
    assert "väntar redan" in waiting.get_json()["error"]["message"]
    assert work_once(engine, app.config)[Outcome.DONE] == 1
    lines = _rows(engine, "bank_lines")
    again = _upload(client, tokens["finance"], data, "igen.txt")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "DuplicateImport"
    assert "redan inläst (import 1" in again.get_json()["error"]["message"]
    assert _rows(engine, "bank_lines") == lines and _rows(engine, "bank_imports") == 1
    assert _rows(engine, "bank_import_jobs") == 1


def test_a_bad_file_is_refused_by_the_worker_naming_file_line_and_field(
    app, client, engine, tokens
):
    bad = Entry((Tx(9_900, "T2"),), DAY, "E2", amount_ore=9_800)
    response = _upload(client, tokens["finance"], camt_bytes([bad]), "trasig.xml")
    assert response.status_code == 202
    assert work_once(engine, app.config)[Outcome.REFUSED] == 1
    job = client.get(response.headers["Location"], headers=tokens["finance"]).get_json()
    assert job["status"] == "refused" and job["result"] is None
    assert job["errors"] and all(e["file"] == "trasig.xml" for e in job["errors"])
    assert any(e["line"] is not None and e["field"] for e in job["errors"])
    assert _rows(engine, "bank_imports") == _rows(engine, "journal_entries") == 0
    assert _rows(engine, "bank_import_job_chunks") == 0
    # Fixed or not, the same bytes may be sent again: a refused job holds nothing back.
    assert _upload(client, tokens["finance"], camt_bytes([bad]), "trasig.xml").status_code == 202


def test_reading_may_any_staff_but_importing_needs_finance(client, tokens):
    assert _upload(client, tokens["leadership"], BGMAX.read_bytes()).status_code == 403
    assert client.get(URL).status_code == 401


def test_kassan_import_prints_the_totals_and_the_closing_balance_check(cli, engine, tmp_path):
    entries = [
        Entry((Tx(25_000, "T1", message="Gåva", name="Anna"),), DAY, "E1"),
        Entry((Tx(-4_000, "T2", message="Hyra"),), DAY, "E2"),
    ]
    path = tmp_path / "dag.053.xml"
    path.write_bytes(
        camt_bytes([], kind="053", version="08", statement=Statement(entries, opening_ore=0))
    )
    result = cli.invoke(main, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "rader lästa:     2" in result.output
    assert "omatchade:     2" in result.output
    assert "utgående saldo" in result.output and "210,00" in result.output
    assert "[ok]" in result.output and "AVVIKER" not in result.output
    again = cli.invoke(main, ["import", str(path)])
    assert again.exit_code == 1 and "redan inläst" in again.output


def test_a_bank_file_over_the_general_request_limit_is_taken_by_its_upload_route(
    app, client, engine, tokens
):
    data = camt_bytes(generated_entries(2_500))
    general = app.config["MAX_CONTENT_LENGTH"]
    assert general < len(data) < app.config["BANK_FILE_MAX_BYTES"]
    assert _imported(app, client, engine, tokens["finance"], data, "dag.xml")["line_count"] == 2_500
    # Any other route still refuses a body of that size, before reading it.
    elsewhere = client.post(
        "/api/v1/entries", data=data, headers=tokens["finance"], content_type="application/json"
    )
    assert elsewhere.status_code == 413


def test_a_bank_file_over_its_own_limit_is_refused_and_stores_nothing(app, client, engine, tokens):
    app.config["BANK_FILE_MAX_BYTES"] = 64 * 1024
    data = camt_bytes(generated_entries(500))
    assert len(data) > 64 * 1024
    response = _upload(client, tokens["finance"], data, "dag.xml")
    assert response.status_code == 413
    assert _rows(engine, "bank_imports") == _rows(engine, "bank_import_jobs") == 0


# Bankgirot's example files give BGC serial 10 to 1 000,00 kr in one and to 100,00 kr in the other.
BGMAX_1000 = (
    SAMPLES
    / "bgmax"
    / ("bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt")
)


def test_a_conflict_makes_kassan_import_exit_1_naming_the_line_and_the_difference(cli, engine):
    assert cli.invoke(main, ["import", str(BGMAX_1000)]).exit_code == 0
    result = cli.invoke(main, ["import", str(BGMAX)])
    assert result.exit_code == 1, result.output
    assert "i konflikt:      1" in result.output
    assert "redan bokförda:  0" in result.output
    assert "KONFLIKT rad 2 (bgc:9912346:2004-05-25:000000000010): 100,00" in result.output
    assert "krockar med B 1, 2004-05-25: Oidentifierad inbetalning" in result.output
    assert (
        "AVVIKER: 9912346 insättning 00054: filen 2\xa0100,00\xa0kr, bokfört nu "
        "2\xa0000,00\xa0kr och redan bokfört 0,00\xa0kr; skillnad 100,00\xa0kr"
    ) in result.output
    assert "[ok]" not in result.output.splitlines()[-1]


def test_the_api_says_a_file_with_a_conflict_is_not_ok_and_lists_the_conflict(
    app, client, engine, tokens
):
    first = _imported(
        app, client, engine, tokens["finance"], BGMAX_1000.read_bytes(), BGMAX_1000.name
    )
    assert first["ok"] is True
    body = _imported(app, client, engine, tokens["finance"], BGMAX.read_bytes(), BGMAX.name)
    assert (body["ok"], body["conflict_count"], body["confirmed_count"]) == (False, 1, 0)
    assert (body["file_total_ore"], body["booked_total_ore"]) == (210_000, 200_000)
    (conflict,) = body["conflicts"]
    assert (conflict["line_no"], conflict["amount_ore"]) == (2, 10_000)
    assert conflict["entry_id"] is not None
    assert conflict["note"] == "krock: belopp 100,00\xa0kr, bokfört 1\xa0000,00\xa0kr"
    assert body["problems"] and "skillnad 100,00" in body["problems"][0]
    again = client.get(f"{URL}/{body['id']}", headers=tokens["leadership"]).get_json()
    assert {k: again[k] for k in ("ok", "conflicts", "problems", "groups")} == {
        k: body[k] for k in ("ok", "conflicts", "problems", "groups")
    }


def test_kassan_webhooks_work_once_imports_the_uploaded_files_that_wait(client, cli, tokens):
    assert _upload(client, tokens["finance"], BGMAX.read_bytes(), BGMAX.name).status_code == 202
    result = cli.invoke(main, ["webhooks", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "bankfiler: 1 inlästa, 0 avvisade, 0 avbrutna" in result.output
    listed = client.get(URL, headers=tokens["leadership"]).get_json()["items"]
    assert [i["line_count"] for i in listed] == [4]
