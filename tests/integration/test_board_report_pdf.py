"""The board report as a board member reads it: rendered by WeasyPrint, read back page by page
(pypdf) and as pictures (pypdfium2). December is the month the old report read "Takt per
månad –" and "…med månadsgivare.. Hela månader kvar: 0."."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2
import pytest
from pypdf import PdfReader

from ledger.entries import Draft, LineDraft
from ledger.services import posting
from reports import board_pdf
from reports.dashboard import build
from reports.funding import funding_gap
from reports.funding.render import to_csv
from tests.support.dashboard import build_world
from tests.support.invoicing import add_network, add_org

DECEMBER = date(2026, 12, 3)
LAPSED = 40  # organisations that gave in 2025 and not yet in 2026: two pages of rows


@pytest.fixture
def december_pdf(engine) -> bytes:
    with engine.begin() as conn:
        build_world(conn)
        # a need the year will not meet: a gap is left in December
        conn.exec_driver_sql("UPDATE network_budgets SET need_ore = 10000000 WHERE year = 2026")
        for n in range(LAPSED):
            org = add_org(
                conn,
                f"Klubb {n:02d} Verkstadsklubben vid den stora fabriken",
                org_number=None,
                email=f"kassor{n:02d}@klubb.example.org",
            )
            ore = (1_000 + n) * 100  # "1 0nn,00 kr": each row's amount is its own
            posting.post(
                conn,
                Draft(
                    date=date(2025, 4, 1),
                    text=f"Gåva klubb {n}",
                    series="B",
                    source_kind="test",
                    source_key=f"lapsed-{n}",
                    lines=(
                        LineDraft("1930", ore, 0),
                        LineDraft("3993", 0, ore, network="fred", contributor_id=org),
                    ),
                ),
            )
    with engine.connect() as conn:
        dash = build(conn, 2026, as_of=DECEMBER)
    return board_pdf.render(dash, organisation="Solidaritetsorganisationen", made_on=DECEMBER)


def _pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_no_organisation_row_is_split_across_two_pages(december_pdf):
    pages = _pages(december_pdf)
    assert len(pages) >= 3
    for n in range(LAPSED):
        name = f"Klubb {n:02d}"
        amount = f"1 0{n:02d},00 kr".replace(" ", " ")
        holding = [i for i, text in enumerate(pages) if name in text]
        assert len(holding) == 1, f"{name} is on pages {holding}"
        assert amount in pages[holding[0]].replace("\xa0", " "), f"{name} lost its amount"


def test_in_december_the_report_says_how_the_year_closes_and_what_next_year_needs(december_pdf):
    text = " ".join(_pages(december_pdf)).replace("\xa0", " ")
    assert "Årets sista månad: om inget mer kommer in före årsskiftet stängs året" in text
    assert "Nästa år: Behovet för 2027 är inte budgeterat ännu" in text
    assert "Dagar kvar av året 28" in text
    assert "Takt per månad" not in text
    assert ".." not in text
    assert "kr50 000" not in text  # the size bands' labels no longer run together


def test_every_page_of_the_report_is_drawn(december_pdf):
    """Each page as a picture: ink on a white page, and the charts' first colour on page 1."""
    document = pypdfium2.PdfDocument(december_pdf)
    try:
        for index in range(len(document)):
            image = document[index].render(scale=0.5).to_pil().convert("RGB")
            colours = image.getcolors(maxcolors=1 << 16) or []
            assert len(colours) > 10, f"page {index + 1} is blank"
            if index == 0:
                # Okabe–Ito blue at pygal's 0.7 fill opacity on white
                assert any(
                    abs(r - 77) < 20 and abs(g - 156) < 20 and abs(b - 201) < 20
                    for _, (r, g, b) in colours
                ), "the funding-gap chart has no bars on page 1"
    finally:
        document.close()


def test_networks_are_sorted_the_swedish_way_in_figures_and_csv(engine):
    with engine.begin() as conn:
        for slug, name in (
            ("ostafrika", "Östafrika"),
            ("palestina", "Palestina"),
            ("angola", "Ängby Angola"),
            ("zambia", "Zambia"),
            ("aland", "Åland"),
        ):
            add_network(conn, slug, name)
            conn.exec_driver_sql(
                "INSERT INTO network_budgets (network_id, year, need_ore, sida_ore) "
                f"SELECT id, 2026, 100000, 0 FROM networks WHERE slug = '{slug}'"
            )
    with engine.connect() as conn:
        report = funding_gap(conn, 2026, as_of=date(2026, 6, 1))
    names = [n.name for n in report.networks]
    assert names == ["Palestina", "Zambia", "Åland", "Ängby Angola", "Östafrika"]
    rows = to_csv(report).decode("utf-8-sig").splitlines()
    assert [row.split(";")[0] for row in rows[1:6]] == names
