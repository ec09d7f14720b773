"""The finance desk over HTTP: who may see it, the queue, one-click accept, split, return and
undo through plain forms (CSRF and a per-form token), Swedish refusals that book nothing, and
bank-file upload with its totals or its errors."""

from __future__ import annotations

import html
import io
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from kassan.web.database import get_engine
from ledger.db import tables as t
from ledger.money import Money
from ledger.services import expected, users
from reports.display import format_money
from tests.support.bank_accounts import (
    import_ours,
    ours_in_app_fixture,  # noqa: F401 (fixtures)
)
from tests.support.camt_files import Entry, Statement, Tx, camt_bytes
from tests.support.ledger import add_contributor, add_network
from webhooks.bankfiles.worker import work_once

pytestmark = pytest.mark.usefixtures("ours_in_app")

NBSP = "\u00a0"
PASSWORD = "korrekt-häst-batteri"
SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
DAY = date(2026, 12, 1)
_LOGIN_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def kr(s: str) -> str:
    return s.replace(" ", NBSP)


def _sign_in(client, engine, role: str = "finance"):
    with engine.begin() as conn:
        users.create_user(conn, f"{role}@kassan.test", PASSWORD, role)
    token = _LOGIN_CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": f"{role}@kassan.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def finance(client, engine):
    return _sign_in(client, engine)


def _forms(page: str, action: str) -> list[dict[str, str]]:
    """The hidden fields of each POST form on the page with this action."""
    return [
        {name: html.unescape(value) for name, value in _HIDDEN.findall(body)}
        for act, body in _FORM.findall(page)
        if act == action
    ]


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _open(engine, key: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(t.bank_lines.c.open_ore).where(t.bank_lines.c.key == key))


def _line_id(engine, key: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(t.bank_lines.c.id).where(t.bank_lines.c.key == key))


@pytest.fixture
def queued(engine):
    """Two payments that matched nothing, and the invoice one of them pays (registered later)."""
    entries = [
        Entry((Tx(120_000, "K12", message="Insamling", name="Kommunal avd 12"),), DAY, "N1"),
        Entry((Tx(30_000, "X1", message="Stödet", name="Okänd"),), DAY, "N2"),
    ]
    import_ours(engine, camt_bytes(entries), "dag.054.xml")
    with engine.begin() as conn:
        network = add_network(conn, "fred", "Fred och demokrati")
        who = add_contributor(conn, "Kommunal avdelning 12", "organisation")
        plan = expected.create(
            conn, kind="invoice", amount=Money(120_000), network_id=network, contributor_id=who
        )
    return plan


def test_the_desk_is_for_finance_and_admin_only(client, engine):
    assert client.get("/finance").status_code == 302
    _sign_in(client, engine, "leadership")
    assert client.get("/finance").status_code == 403


def test_the_queue_shows_the_suggestion_and_one_click_accept_books_it_once(finance, engine, queued):
    page = finance.get("/finance").get_data(as_text=True)
    assert "Kommunal avd 12" in page
    assert "samma belopp och namn liknar &#39;Kommunal avdelning 12&#39;" in page
    assert kr("1 500,00 kr") in page  # in the queue and in 2890
    line_id = _line_id(engine, "bank:K12")
    (form,) = _forms(page, f"/finance/lines/{line_id}/allocate")
    assert form["target"] == f"expected:{queued.id}" and form["amount"] == "1200,00"
    entries = _count(engine, "journal_entries")
    response = finance.post(f"/finance/lines/{line_id}/allocate", data=form)
    assert response.status_code == 302
    again = finance.post(f"/finance/lines/{line_id}/allocate", data=form)
    assert again.status_code == 302
    assert _count(engine, "journal_entries") == entries + 1
    assert _open(engine, "bank:K12") == 0
    after = finance.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Kopplat {kr('1 200,00 kr')} i 1 verifikation(er)." in after
    assert kr("300,00 kr") in finance.get("/finance").get_data(as_text=True)


def test_a_split_through_the_form_and_a_refusal_that_names_the_amount(finance, engine, queued):
    line_id = _line_id(engine, "bank:K12")
    page = finance.get(f"/finance/lines/{line_id}").get_data(as_text=True)
    (form,) = _forms(page, f"/finance/lines/{line_id}/split")
    too_much = {
        **form,
        "target_1": f"expected:{queued.id}",
        "amount_1": "1 000",
        "target_2": "network:0",
        "amount_2": "300",
    }
    entries = _count(engine, "journal_entries")
    refused = finance.post(f"/finance/lines/{line_id}/split", data=too_much)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Inget bokfördes." in body
    assert (
        f"Beloppet {kr('1 300,00 kr')} är större än det som återstår ({kr('1 200,00 kr')})." in body
    )
    assert _count(engine, "journal_entries") == entries
    ok = {**too_much, "amount_1": "900", "amount_2": "250,50"}
    assert finance.post(f"/finance/lines/{line_id}/split", data=ok).status_code == 302
    assert _count(engine, "journal_entries") == entries + 2
    assert _open(engine, "bank:K12") == 120_000 - 90_000 - 25_050


def test_sending_back_needs_a_note_and_undo_gives_the_money_back(finance, engine, queued):
    line_id = _line_id(engine, "bank:X1")
    page = finance.get(f"/finance/lines/{line_id}").get_data(as_text=True)
    (form,) = _forms(page, f"/finance/lines/{line_id}/return")
    fields = {**form, "amount": "300", "on": "2026-12-02", "note": ""}
    refused = finance.post(f"/finance/lines/{line_id}/return", data=fields)
    assert refused.status_code == 422
    assert "Skriv en anteckning om varför pengarna skickas tillbaka." in refused.get_data(
        as_text=True
    )
    done = finance.post(
        f"/finance/lines/{line_id}/return", data={**fields, "note": "Fel mottagare"}
    )
    assert done.status_code == 302 and _open(engine, "bank:X1") == 0
    page = finance.get(f"/finance/lines/{line_id}").get_data(as_text=True)
    assert "Fel mottagare" in page
    (allocation_id,) = re.findall(r'action="/finance/allocations/(\d+)/undo"', page)
    undo_form = _forms(page, f"/finance/allocations/{allocation_id}/undo")[0]
    undone = finance.post(f"/finance/allocations/{allocation_id}/undo", data=undo_form)
    assert undone.status_code == 302 and _open(engine, "bank:X1") == 30_000
    assert "återförd" in finance.get(f"/finance/lines/{line_id}").get_data(as_text=True)


def test_a_form_without_the_csrf_token_is_refused(finance, engine, queued):
    line_id = _line_id(engine, "bank:X1")
    response = finance.post(
        f"/finance/lines/{line_id}/allocate",
        data={"token": "a" * 32, "target": "network:0", "amount": "300"},
    )
    assert response.status_code == 400
    assert _open(engine, "bank:X1") == 30_000


def test_several_lines_marked_in_the_queue_go_to_one_reference(finance, engine):
    entries = [
        Entry((Tx(40_000, "P1", message="del 1", name="Seko"),), DAY, "N1"),
        Entry((Tx(60_000, "P2", message="del 2", name="Seko"),), DAY, "N2"),
    ]
    import_ours(engine, camt_bytes(entries), "dag.054.xml")
    with engine.begin() as conn:
        plan = expected.create(
            conn, kind="gift", amount=Money(100_000), network_id=None, contributor_id=None
        )
    page = finance.get("/finance").get_data(as_text=True)
    (form,) = _forms(page, "/finance/lines/allocate")
    ids = [str(_line_id(engine, "bank:P1")), str(_line_id(engine, "bank:P2"))]
    data = {**form, "line_id": ids, "reference": plan.reference, "target": ""}
    assert finance.post("/finance/lines/allocate", data=data).status_code == 302
    with engine.connect() as conn:
        assert expected.by_id(conn, plan.id).status == "paid"
    assert _open(engine, "bank:P1") == 0 and _open(engine, "bank:P2") == 0


def _upload(client, data: bytes, name: str):
    page = client.get("/finance").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/finance/imports",
        data={"csrf_token": csrf, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _worked(app, client, response) -> str:
    """The upload's progress page while the file waits, then (the worker done) where it leads."""
    assert response.status_code == 302
    job_page = response.headers["Location"]
    assert re.fullmatch(r"/finance/imports/jobs/\d+", job_page)
    waiting = client.get(job_page)
    assert waiting.status_code == 200
    text = waiting.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in text
    assert "väntar på att läsas in" in text
    listing = client.get("/finance/imports").get_data(as_text=True)
    assert f'href="{job_page}"' in listing  # the imports page lists it while it waits
    work_once(get_engine(app), app.config)
    return job_page


def test_the_import_progress_page_reads_in_english_with_lang_en(finance):
    path = SAMPLES / "bgmax" / "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt"
    response = _upload(finance, path.read_bytes(), path.name)
    assert response.status_code == 302
    job_page = response.headers["Location"]

    english = finance.get(f"{job_page}?lang=en").get_data(as_text=True)

    assert f"<h1>Import of {html.escape(path.name)}</h1>" in english
    assert "The file is saved and waiting to be imported." in english
    assert "Log out" in english and "Reconciliation" in english
    assert "väntar på att läsas in" not in english and "Logga ut" not in english
    swedish = finance.get(f"{job_page}?lang=sv").get_data(as_text=True)
    assert "Filen är sparad och väntar på att läsas in." in swedish


def test_uploading_a_sample_bgmax_file_shows_its_totals_and_twice_is_refused(app, finance, engine):
    path = SAMPLES / "bgmax" / "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt"
    data = path.read_bytes()
    job_page = _worked(app, finance, _upload(finance, data, path.name))
    done = finance.get(job_page)
    assert done.status_code == 302 and re.fullmatch(
        r"/finance/imports/\d+", done.headers["Location"]
    )
    page = finance.get(done.headers["Location"]).get_data(as_text=True)
    with engine.connect() as conn:
        row = conn.execute(select(t.bank_imports)).one()
    assert f"Filen {path.name} är inläst." in page
    assert html.escape(path.name) in page
    assert row.credit_count > 0
    totals = page[page.index("Inbetalningar enligt filen") : page.index("Bokförda vid inläsningen")]
    # the file's own sum and the sum of the lines read from it, side by side, and they agree
    assert totals.count(format_money(Money(row.credit_ore))) == 2
    assert '<span class="ok">ja</span>' in totals
    again = _upload(finance, data, path.name)
    assert again.status_code == 422
    assert "filen är redan inläst" in again.get_data(as_text=True)
    assert _count(engine, "bank_imports") == 1


def test_a_bad_file_shows_file_line_and_reason_and_stores_nothing(app, finance, engine):
    bad = camt_bytes([Entry((Tx(1_000, "B1", name="A"),), DAY, "N1", amount_ore=2_000)])
    job_page = _worked(app, finance, _upload(finance, bad, "trasig.054.xml"))
    response = finance.get(job_page)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "http-equiv" not in body  # ended: the page stops asking
    assert "Filen lästes inte in; inget bokfördes." in body
    assert re.search(r"trasig\.054\.xml, rad \d+", body)
    assert _count(engine, "bank_imports") == 0 and _count(engine, "journal_entries") == 0


def test_the_import_page_compares_the_closing_balance_with_the_bank_account(finance, engine):
    entries = [Entry((Tx(25_000, "S1", message="Gåva", name="Anna"),), DAY, "N1")]
    data = camt_bytes([], kind="053", version="08", statement=Statement(entries, opening_ore=0))
    result = import_ours(engine, data, "konto.053.xml")
    page = finance.get(f"/finance/imports/{result.id}").get_data(as_text=True)
    balances = page[page.index('id="balance-heading"') :]
    assert balances.count(kr("250,00 kr")) == 2
    assert f'<span class="ok">{kr("0,00 kr")}</span>' in balances
    listing = finance.get("/finance/imports").get_data(as_text=True)
    assert "konto.053.xml" in listing


def test_a_line_in_conflict_waits_at_the_desk_beside_the_entry_it_collides_with(finance, engine):
    import_ours(engine, camt_bytes([Entry((Tx(1_000_00, "T1"),), DAY, "E1")]), "a.xml")
    result = import_ours(engine, camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")]), "b.xml")
    assert not result.ok
    desk = html.unescape(finance.get("/finance").get_data(as_text=True))
    assert 'id="desk-conflicts"' in desk
    assert "bank:T1" in desk and kr("100,00 kr") in desk
    assert "krock: belopp " + kr("100,00 kr") + ", bokfört " + kr("1 000,00 kr") in desk
    assert "B 1, 2026-12-01: Oidentifierad inbetalning" in desk
    page = html.unescape(finance.get(f"/finance/imports/{result.id}").get_data(as_text=True))
    assert "Stämmer inte." in page and 'id="import-conflicts">1<' in page
    assert "skillnad " + kr("100,00 kr") in page


def test_a_file_booked_whole_says_so_and_the_desk_has_no_conflicts(finance, engine):
    result = import_ours(engine, camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")]), "a.xml")
    assert result.ok
    assert 'id="desk-conflicts"' not in finance.get("/finance").get_data(as_text=True)
    page = finance.get(f"/finance/imports/{result.id}").get_data(as_text=True)
    assert "Stämmer." in page and "Stämmer inte." not in page
