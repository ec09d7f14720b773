"""Collections on the leadership dashboard (``reports.collections_report``), worked out by hand.

The world (``build_collections``), for the year 2026:

* Verkstadsklubben's "Fika för freden" for fred, approved 2025-03-01, closed 2025-11-30: 300 kr
  by bankgiro on 2025-04-10, and 125,50 kr of cash paid in late, on 2026-02-10. It ran in 2025
  only, but counts in 2026 too because money reached it then.
* Handelsklubben's "Klimatlunch" for klimat, approved 2026-01-15, open: a card gift of 500 kr on
  2026-05-05, 100 kr of it refunded on 2026-06-01 (net 400 kr), and a 50 kr card gift whose
  entry was reversed (counts nothing).
* Målarklubben's "Där det behövs mest" (no network), approved 2026-06-01, open, nothing raised.
* A pending collection, never public: counts nowhere.

2026: fred 1 collection, 0 open, 125,50 kr (2025: 1, 300 kr); klimat 1, 1 open, 400 kr;
"Ej öronmärkt" 1, 1 open, 0 kr; total 3, 2 open, 525,50 kr (2025: 1 collection, 300 kr).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import collections, posting
from reports.collections_report import UNRESTRICTED, collections_report
from reports.dashboard import build
from reports.funding import funding_gap
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Tx, camt_bytes
from tests.support.invoicing import add_network

AS_OF = date(2026, 11, 28)


def _start(conn: Any, network_id: int | None, org: str, number: str, title: str, **extra: str):
    values = {
        "org_name": org,
        "organisation_number": number,
        "contact_name": extra.get("contact", "Karin Berg"),
        "contact_email": extra.get("email", f"{number}@example.se"),
        "title": title,
        "body": "Vi samlar på jobbet.",
        "goal": "5000",
        "end_date": (date.today() + timedelta(days=30)).isoformat(),
    }
    return collections.start(
        conn, values, network_id=network_id, image_data=None, address_hash=org, today=date.today()
    )


def _set(conn: Any, collection_id: int, **values: Any) -> None:
    """Test setup: move a collection's dates into the years the test is about."""
    conn.execute(update(t.collections).where(t.collections.c.id == collection_id).values(**values))


def _card(conn: Any, key: str, day: date, ore: int, network: str) -> Any:
    gift, refund = ore > 0, ore < 0
    return posting.post(
        conn,
        Draft(
            date=day,
            text=f"Kort {key}",
            series="K",
            source_kind="test",
            source_key=key,
            lines=(
                LineDraft("1580", ore if gift else 0, 0 if gift else -ore),
                LineDraft("3993", -ore if refund else 0, ore if gift else 0, network=network),
            ),
        ),
    )


def _link(conn: Any, collection_id: int, entry: Any, ore: int, of: Any = None) -> None:
    """What the Stripe handler's ``link_card_gift``/``link_card_follow_ups`` record."""
    conn.execute(
        t.collection_entries.insert().values(
            collection_id=collection_id,
            entry_id=entry.id,
            of_entry_id=None if of is None else of.id,
            kind="gift" if of is None else "refund",
            amount_ore=ore,
            currency="SEK",
            booked_on=entry.date,
        )
    )


def _bank_gift(engine: Engine, reference: str, ore: int, day: date, ref: str) -> None:
    camt = camt_bytes([Entry((Tx(ore, f"C{ref}", ocr=reference, name="Per"),), day, ref)])
    import_ours(engine, camt, f"{ref}.054.xml")


def build_collections(engine: Engine) -> dict[str, Any]:
    with engine.begin() as conn:
        fred = add_network(conn, "fred", "Fred och demokrati")
        klimat = add_network(conn, "klimat", "Rättvis klimatomställning")
        verkstad = collections.approve(
            conn, _start(conn, fred, "Verkstadsklubben", "802481-1658", "Fika för freden").id
        )
        handels = collections.approve(
            conn,
            _start(
                conn,
                klimat,
                "Handelsklubben",
                "802400-0005",
                "Klimatlunch",
                contact="Eva <b>Ek</b>",
                email="eva@handels.example",
            ).id,
        )
        malare = collections.approve(
            conn, _start(conn, None, "Målarklubben", "802411-1117", "Där det behövs mest").id
        )
        _start(conn, fred, "Väntande klubben", "802422-2229", "Väntar på godkännande")
    _bank_gift(engine, verkstad.reference, 30_000, date(2025, 4, 10), "E1")
    _bank_gift(engine, verkstad.reference, 12_550, date(2026, 2, 10), "E2")
    with engine.begin() as conn:
        charge = _card(conn, "ch1", date(2026, 5, 5), 50_000, "klimat")
        _link(conn, handels.id, charge, 50_000)
        _link(
            conn,
            handels.id,
            _card(conn, "re1", date(2026, 6, 1), -10_000, "klimat"),
            10_000,
            charge,
        )
        undone = _card(conn, "ch2", date(2026, 7, 1), 5_000, "klimat")
        _link(conn, handels.id, undone, 5_000)
        posting.reverse(conn, undone.id, on=date(2026, 7, 2), text_="Fel gåva")
        _set(
            conn,
            verkstad.id,
            status="closed",
            approved_at=datetime(2025, 3, 1, 9, tzinfo=UTC),
            closed_at=datetime(2025, 11, 30, 9, tzinfo=UTC),
            end_date=date(2025, 12, 31),
        )
        _set(conn, handels.id, approved_at=datetime(2026, 1, 15, 9, tzinfo=UTC))
        _set(conn, malare.id, approved_at=datetime(2026, 6, 1, 9, tzinfo=UTC))
    return {
        "fred": fred,
        "klimat": klimat,
        "verkstad": verkstad,
        "handels": handels,
        "malare": malare,
    }


def _figures(n: Any) -> tuple[Any, ...]:
    return (n.name, n.count, n.active, n.raised_ore, n.last_year_count, n.last_year_ore)


def test_collections_per_network_count_what_ran_what_is_open_and_what_was_raised(engine):
    build_collections(engine)
    with engine.connect() as conn:
        report = collections_report(conn, 2026)
    assert [_figures(n) for n in report.networks] == [
        ("Fred och demokrati", 1, 0, 12_550, 1, 30_000),
        ("Rättvis klimatomställning", 1, 1, 40_000, 0, 0),
        (UNRESTRICTED, 1, 1, 0, 0, 0),
    ]
    assert _figures(report.total) == ("Totalt", 3, 2, 52_550, 1, 30_000)
    titles = [c.title for n in report.networks for c in n.collections]
    assert "Väntar på godkännande" not in titles


def test_the_clubs_list_has_each_clubs_money_per_year_and_its_contact(engine):
    world = build_collections(engine)
    with engine.connect() as conn:
        clubs = collections_report(conn, 2026).clubs
    assert [(c.name, c.raised_ore, c.last_year_ore) for c in clubs] == [
        ("Handelsklubben", 40_000, 0),
        ("Verkstadsklubben", 12_550, 30_000),
        ("Målarklubben", 0, 0),
    ]
    handels = clubs[0]
    assert handels.contributor_id == world["handels"].contributor_id
    assert (handels.contact_name, handels.contact_email) == ("Eva <b>Ek</b>", "eva@handels.example")
    assert handels.organisation_number == "802400-0005"
    assert [c.slug for c in handels.collections] == [world["handels"].slug]


def test_one_network_and_an_earlier_year(engine):
    world = build_collections(engine)
    with engine.connect() as conn:
        fred_only = collections_report(conn, 2026, network_id=world["fred"])
        year_2025 = collections_report(conn, 2025)
        year_2024 = collections_report(conn, 2024)
    assert [_figures(n) for n in fred_only.networks] == [
        ("Fred och demokrati", 1, 0, 12_550, 1, 30_000)
    ]
    assert [c.name for c in fred_only.clubs] == ["Verkstadsklubben"]
    assert [_figures(n) for n in year_2025.networks] == [("Fred och demokrati", 1, 0, 30_000, 0, 0)]
    assert year_2024.networks == () and year_2024.clubs == ()


def test_the_report_and_each_collections_page_agree_on_what_was_raised(engine):
    world = build_collections(engine)
    with engine.connect() as conn:
        report = collections_report(conn, 2026)
        by_slug = {c.slug: c for n in report.networks for c in n.collections}
        for name in ("verkstad", "handels", "malare"):
            one = collections.by_slug(conn, world[name].slug)
            line = by_slug[one.slug]
            page = collections.progress(conn, one).raised.ore
            assert line.raised_ore + line.last_year_ore == page


def test_a_collections_bank_gift_raises_the_networks_received_by_the_same_amount(engine):
    world = build_collections(engine)
    with engine.connect() as conn:
        before = funding_gap(conn, 2026, network="fred", as_of=AS_OF).total.received_ore
        raised_before = collections_report(conn, 2026).total.raised_ore
    _bank_gift(engine, world["verkstad"].reference, 98_000, date(2026, 9, 1), "E3")
    with engine.connect() as conn:
        after = funding_gap(conn, 2026, network="fred", as_of=AS_OF).total.received_ore
        raised_after = collections_report(conn, 2026).total.raised_ore
    assert after - before == raised_after - raised_before == 98_000


def test_the_dashboard_carries_the_collections_of_its_network(engine):
    build_collections(engine)
    with engine.connect() as conn:
        dash = build(conn, 2026, network="klimat", as_of=AS_OF)
    assert [_figures(n) for n in dash.collections.networks] == [
        ("Rättvis klimatomställning", 1, 1, 40_000, 0, 0)
    ]


def test_two_clubs_with_the_same_contact_e_mail_are_both_approved(engine):
    """The contact's e-mail is a person's: the second club is created without it."""
    with engine.begin() as conn:
        first = _start(conn, None, "Lokalklubben", "556036-0793", "Fika", email="Eva@Example.se")
        second = _start(conn, None, "Grannklubben", "802002-4280", "Lunch", email="eva@example.se")
        a = collections.approve(conn, first.id)
        b = collections.approve(conn, second.id)
        emails = dict(
            conn.execute(
                select(t.contributors.c.id, t.contributors.c.email).where(
                    t.contributors.c.id.in_([a.contributor_id, b.contributor_id])
                )
            ).all()
        )
    assert a.contributor_id != b.contributor_id
    assert emails == {a.contributor_id: "eva@example.se", b.contributor_id: None}
