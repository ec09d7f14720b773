"""The staff pages over HTTP: ``/`` and ``/ledger`` (journal and trial balance), in Swedish,
without JavaScript, with the security headers."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import journal, posting, users

NBSP = "\u00a0"
PASSWORD = "korrekt-häst-batteri"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def kr(text: str) -> str:
    """``"1 234,50 kr"`` as Babel writes it, with no-break spaces."""
    return text.replace(" ", NBSP)


@pytest.fixture
def signed_in(client, engine):
    with engine.begin() as conn:
        users.create_user(conn, "ledning@kassan.test", PASSWORD, "leadership")
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "ledning@kassan.test", "password": PASSWORD},
    )
    assert response.status_code == 302
    return client


def book(engine, ore, *, day=date(2026, 3, 1), text="Gåva", network=None):
    with engine.begin() as conn:
        return posting.post(
            conn,
            Draft(
                day,
                text,
                (LineDraft("1930", ore, 0), LineDraft("3993", 0, ore, network=network)),
            ),
        )


def test_the_ledger_needs_a_signed_in_staff_member(client):
    response = client.get("/ledger")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_the_ledger_shows_a_posted_amount_in_swedish_format(signed_in, engine):
    with engine.begin() as conn:
        conn.execute(t.networks.insert().values(slug="palestina", name="Palestina"))
    book(engine, 123450, text="Insamling verkstadsklubben", network="palestina")
    html = signed_in.get("/ledger").get_data(as_text=True)
    entry_row = re.compile(
        r'class="voucher">M1</th>\s*<td[^>]*>2026-03-01</td>\s*<td[^>]*>\s*'
        r"Insamling verkstadsklubben.*?</details>\s*</td>\s*"
        r'<td[^>]*data-label="Belopp">\s*<span class="amount">'
        + kr("1 234,50 kr")
        + r"</span>\s*</td>\s*<td[^>]*>Palestina</td>",
        re.S,
    )
    assert entry_row.search(html), html


def test_the_ledger_shows_the_trial_balance_with_totals(signed_in, engine):
    book(engine, 123450)
    book(engine, 5000, day=date(2025, 12, 31))
    html = signed_in.get("/ledger").get_data(as_text=True)
    trial = html[html.index('id="tb-heading"') :]
    assert "Råbalans" in trial
    assert "Företagskonto/checkkonto/affärskonto" in trial
    assert "Erhållna gåvor och bidrag" in trial
    assert kr("-1 284,50 kr") in trial  # 3993's balance: a credit
    totals = trial[trial.index("<tfoot>") :]
    assert totals.count(kr("1 284,50 kr")) == 2
    year = signed_in.get("/ledger?year=2025").get_data(as_text=True)
    trial_2025 = year[year.index('id="tb-heading"') :]
    assert "Råbalans 2025" in trial_2025
    assert kr("50,00 kr") in trial_2025
    assert kr("1 284,50 kr") not in trial_2025
    assert '<option value="2025" selected>' in year


def test_the_ledger_pages_through_the_entries_newest_first(signed_in, engine):
    for i in range(27):
        book(engine, 100 + i, text=f"Gåva nummer {i + 1}")

    def shown(html):
        return [int(n) for n in re.findall(r"Gåva nummer (\d+)\s", html)]

    first = signed_in.get("/ledger").get_data(as_text=True)
    assert shown(first) == list(range(27, 2, -1))
    assert "Sida 1 av 2 (27 verifikationer)" in first
    assert 'href="/ledger?page=2" rel="next"' in first
    second = signed_in.get("/ledger?page=2").get_data(as_text=True)
    assert shown(second) == [2, 1]
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_a_reversed_entry_is_marked_on_the_ledger(signed_in, engine):
    entry = book(engine, 2500)
    with engine.begin() as conn:
        posting.reverse(conn, entry.id, on=date(2026, 3, 2))
    html = signed_in.get("/ledger").get_data(as_text=True)
    assert '<span class="tag tag--warn">rättad</span>' in html
    assert '<span class="tag">rättelse</span>' in html
    assert "Rättelse av M1" in html


@pytest.mark.parametrize("query", ["page=0", "page=x", "year=nittonhundra"])
def test_a_bad_page_or_year_answers_a_swedish_400(signed_in, query):
    response = signed_in.get(f"/ledger?{query}")
    assert response.status_code == 400
    assert "Felaktig begäran" in response.get_data(as_text=True)


def test_an_empty_ledger_says_so(signed_in):
    html = signed_in.get("/ledger").get_data(as_text=True)
    assert "Inga verifikationer här ännu." in html
    assert "Inga saldon för perioden." in html


def test_the_ledger_page_is_swedish_accessible_and_works_without_javascript(signed_in, engine):
    book(engine, 100)
    html = signed_in.get("/ledger").get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<script" not in html
    assert ' style="' not in html  # the CSP allows no inline styles
    assert 'href="#main"' in html and 'id="main"' in html
    assert '<label for="year">Räkenskapsår</label>' in html
    assert re.search(
        r'<form class="signout" method="post" action="/logout">\s*'
        r'<input type="hidden" name="csrf_token"',
        html,
    )
    assert "<details" in html  # the lines open without a script


def test_pages_carry_the_security_headers(signed_in):
    response = signed_in.get("/ledger")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_stylesheet_is_local_and_adapts_to_narrow_screens(client):
    response = client.get("/static/kassan.css")
    assert response.status_code == 200
    css = response.get_data(as_text=True)
    response.close()
    assert "@media (max-width:" in css
    assert "http" not in css and "@import" not in css and "@font-face" not in css


def test_an_unexpected_error_on_a_page_answers_a_swedish_500_page(app, signed_in, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(journal, "list_entries", broken)
    response = signed_in.get("/ledger")
    assert response.status_code == 500
    assert "Något gick fel" in response.get_data(as_text=True)
    assert "the disk is full" not in response.get_data(as_text=True)


def test_an_unknown_page_answers_a_swedish_404_page(client):
    response = client.get("/finns-inte")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Sidan finns inte" in response.get_data(as_text=True)


def test_the_favicon_is_served_at_the_address_browsers_ask_for(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO header, not an error page
    with client.get("/static/favicon.svg") as response:
        assert response.status_code == 200
        assert response.data.startswith(b"<svg")
