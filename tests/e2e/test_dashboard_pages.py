"""The leadership dashboard over HTTP: roles, filters and sorting by links, drill-down to the
entries in ``/ledger``, the board report PDF (from the page and from the CLI)."""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest

from kassan.cli.main import main
from ledger.money import Money
from ledger.services import users
from reports.display import format_money
from tests.integration.test_collections_report import build_collections
from tests.support.dashboard import build_world
from tests.support.invoicing import pdf_text

PASSWORD = "korrekt-häst-batteri"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def sign_in(client, engine, role):
    with engine.begin() as conn:
        users.create_user(conn, f"{role}@kassan.test", PASSWORD, role)
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": f"{role}@kassan.test", "password": PASSWORD},
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def ids(engine):
    with engine.begin() as conn:
        return build_world(conn)


def kr(ore: int) -> str:
    return format_money(Money(ore))


def page(client, query=""):
    response = client.get(f"/dashboard?year=2026{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["leadership", "finance", "admin"])
def test_every_staff_role_sees_the_dashboard_and_its_menu_link(client, engine, ids, role):
    sign_in(client, engine, role)
    html = page(client)
    assert 'href="/dashboard"' in html and "Översikt" in html
    assert "<h1>Översikt 2026</h1>" in html
    assert kr(1_800_000) in html  # the total need
    assert "<script" not in html
    assert '<title id="chart-income-title">Ackumulerade intäkter 2026' in html


def test_the_dashboard_needs_a_signed_in_user(client, ids):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_filtering_a_network_shows_its_figures_only(client, engine, ids):
    sign_in(client, engine, "leadership")
    html = page(client, "&network=klimat")
    assert "<h1>Översikt 2026: Rättvis klimatomställning</h1>" in html
    assert kr(600_000) in html
    assert "Fred och demokrati</a></th>" not in html
    assert client.get("/dashboard?network=finns-inte").status_code == 404
    assert client.get("/dashboard?year=tjugo").status_code == 400
    assert client.get("/dashboard?sort=hemligt").status_code == 400


def test_the_network_table_sorts_by_links(client, engine, ids):
    sign_in(client, engine, "leadership")
    by_name = page(client)
    by_gap = page(client, "&sort=gap")
    rows = re.compile(r'<th scope="row"><a href="/dashboard\?year=2026&amp;network=(\w+)">')
    assert rows.findall(by_name) == ["fred", "klimat"]
    assert rows.findall(by_gap) == ["klimat", "fred"]  # klimat has a gap, fred none
    assert 'href="/dashboard?year=2026&amp;sort=gap"' in by_name
    assert 'aria-sort="descending"' in by_gap


def test_a_channel_drills_down_to_its_entries(client, engine, ids):
    sign_in(client, engine, "leadership")
    html = page(client)
    link = "/ledger?account=3993&amp;year=2026&amp;series=K"
    assert f'<a href="{link}">Kort</a>' in html
    ledger = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Test card" in ledger and "Test refund" in ledger
    assert "Test swish" not in ledger and "Test invoice" not in ledger


def test_organisations_drill_down_to_their_gifts_and_the_follow_up_list_has_contacts(
    client, engine, ids
):
    sign_in(client, engine, "finance")
    html = page(client)
    assert "Byggnads avd 1" in html and "kassor@bygg1.se" in html
    assert f'href="/admin/contributors/{ids["byggnads"]}"' in html
    ledger = client.get("/ledger?account=3993&year=2026&kind=organisation").get_data(as_text=True)
    assert "Test invoice" in ledger and "Test handels-26" in ledger
    assert "Test card" not in ledger and "Test handels-25" not in ledger
    network = client.get("/ledger?network=klimat").get_data(as_text=True)
    assert "Test swish" in network and "Test card" not in network
    assert client.get("/ledger?network=finns-inte").status_code == 404


def test_leadership_sees_the_follow_up_list_without_links_to_the_admin_pages(client, engine, ids):
    sign_in(client, engine, "leadership")
    html = page(client)
    assert "Byggnads avd 1" in html and "/admin/contributors/" not in html


def test_the_board_report_pdf_is_dated_and_has_the_same_figures(client, engine, ids):
    sign_in(client, engine, "leadership")
    html = page(client)
    assert 'href="/dashboard/rapport.pdf?year=2026"' in html
    response = client.get("/dashboard/rapport.pdf?year=2026")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="styrelserapport-2026-' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Styrelserapport: finansieringsläget 2026" in text
    assert "Period: 2026-01-01 – " in text and "Upprättad " in text
    for figure in ("Faktura 1 15 000,00 kr", "Privatpersoner 2 280,00 kr", "Byggnads avd 1"):
        assert figure in text


def test_the_cli_writes_the_board_report_as_pdf(cli, ids, tmp_path):
    target = tmp_path / "styrelse.pdf"
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
            "pdf",
            "--network",
            "klimat",
            "-o",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(target.read_bytes())
    assert "Period: 2026-01-01 – 2026-09-15" in text
    assert "Nätverk: Rättvis klimatomställning" in text
    assert "Gap 5 182,73 kr" in text


def test_the_collections_section_shows_networks_clubs_and_links_with_strangers_text_escaped(
    client, engine
):
    world = build_collections(engine)
    sign_in(client, engine, "finance")
    html = page(client)
    section = html[html.index('<h2 id="collections-heading">Insamlingar</h2>') :]
    assert f'<a href="/i/{world["handels"].slug}">Klimatlunch</a>' in section
    assert '<a href="/finance/insamlingar">1</a>' in section
    assert kr(40_000) in section and kr(52_550) in section and kr(30_000) in section
    assert "Eva &lt;b&gt;Ek&lt;/b&gt;" in section and "<b>Ek</b>" not in section
    assert 'href="mailto:eva@handels.example"' in section
    assert "Handelsklubben" in section and "Målarklubben" in section
    text = pdf_text(client.get("/dashboard/rapport.pdf?year=2026").data)
    assert "Insamlingar" in text and "Handelsklubben Eva <b>Ek</b>" in text


def test_the_dashboard_allows_exactly_its_charts_stylesheets_and_nothing_inline(
    client, engine, ids
):
    """pygal puts a <style> in each chart; the policy names each one's hash, never
    'unsafe-inline' (the browser test proves Chromium then draws the charts)."""
    sign_in(client, engine, "leadership")
    response = client.get("/dashboard?year=2026")
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    body = response.get_data(as_text=True)
    styles = re.findall(r"<style[^>]*>(.*?)</style>", body, re.DOTALL)
    assert len(styles) == body.count("<svg") == 5  # gap, income, channels, kinds, bands
    for css in styles:
        digest = base64.b64encode(hashlib.sha256(html.unescape(css).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "style-src" not in client.get("/ledger").headers["Content-Security-Policy"]
