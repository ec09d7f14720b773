"""A large bank import holds neither the web nor the ledger (issue 12, item 6): the upload is
answered at once and the app process's own worker imports it, and an API entry posted while an
import waits between two of its batches is booked at once, not after the import."""

from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from kassan.web import appliers
from ledger.db import tables as t
from ledger.services import users
from tests.support.bank_accounts import import_ours, ours_in_app_fixture  # noqa: F401 (fixtures)
from tests.support.camt_files import camt_bytes, generated_entries
from tests.support.ledger import entry_body

pytestmark = pytest.mark.usefixtures("ours_in_app")

LINES = 1_200  # three batches
WAIT = 60  # seconds: only how long a broken build may hang before the test fails


@pytest.fixture
def finance(engine):
    with engine.begin() as conn:
        users.create_user(conn, "finance@kassan.test", "long-enough-password", "finance")
        token = users.create_token(conn, "finance@kassan.test", "t")
    return {"Authorization": f"Bearer {token}"}


CASH = entry_body(500_00, day="2026-12-01", text_="Kontantinsamling")


def _entries(engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.journal_entries)))


def test_an_upload_is_answered_at_once_and_the_app_processs_worker_imports_it(
    app, client, engine, finance
):
    app.config["STRIPE_APPLIER_AUTOSTART"] = True  # as in a server: the worker runs in-process
    data = camt_bytes(generated_entries(LINES))
    boundary, body = encode_multipart(MultiDict({"file": FileStorage(io.BytesIO(data), "d.xml")}))
    try:
        response = client.post(
            "/api/v1/bank-imports",
            data=body,
            headers=finance,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert response.status_code == 202
        location = response.headers["Location"]
        done = threading.Event()
        for _ in range(WAIT * 10):
            job = client.get(location, headers=finance).get_json()
            if job["status"] not in ("waiting", "running"):
                break
            done.wait(0.1)
    finally:
        appliers.stop(app)
    assert job["status"] == "done", job
    assert job["result"]["line_count"] == job["lines_done"] == LINES
    assert job["result"]["ok"] is True
    assert job["result"]["file_total_ore"] == job["result"]["booked_total_ore"]
    assert _entries(engine) == LINES


def test_an_api_entry_is_booked_while_an_import_waits_between_two_batches(client, engine, finance):
    data = camt_bytes(generated_entries(LINES))
    paused, release, posted = threading.Event(), threading.Event(), threading.Event()
    imported: list[object] = []

    def progress(done: int, total: int) -> None:
        # Past the check, some lines booked: the import stops here until the test lets it go.
        if done > total // 2 and not paused.is_set():
            paused.set()
            release.wait(WAIT)

    def run_import() -> None:
        imported.append(import_ours(engine, data, "stor.xml", progress=progress))

    answers = []

    def post_entry() -> None:
        try:
            answers.append(
                client.post(
                    "/api/v1/entries",
                    json=CASH,
                    headers=finance,
                )
            )
        finally:
            posted.set()

    importing = threading.Thread(target=run_import)
    poster = threading.Thread(target=post_entry)
    importing.start()
    try:
        assert paused.wait(WAIT)
        assert 0 < _entries(engine) < LINES  # some batches are booked, the rest not yet
        poster.start()
        posted.wait(WAIT)
        # The entry went through while the import still waits: no lock was held across batches.
        assert not release.is_set() and importing.is_alive()
        assert [a.status_code for a in answers] == [201]
        # An import still being booked is not listed as an import (its totals are not written).
        assert client.get("/api/v1/bank-imports", headers=finance).get_json()["items"] == []
    finally:
        release.set()
        importing.join()
        if poster.is_alive():
            poster.join()
    (result,) = imported
    assert result.counts.line_count == result.counts.booked_count == LINES  # type: ignore[attr-defined]
    assert result.ok  # type: ignore[attr-defined]
    assert _entries(engine) == LINES + 1
