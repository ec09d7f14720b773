"""A small ledger for the dashboard tests, with every figure worked out by hand in its docstring.

2025: the organisation Byggnads avd 1 gives 5 000 kr to fred (bank, B) and Handels gives
2 000 kr to fred (bank, B). 2026: a person gives 50 kr by card (K) to fred, 20 kr of it refunded;
the same person gives 250 kr by Swish (S) to klimat; an unknown giver 800 kr unrestricted (M);
IF Metall avd 3 is invoiced 15 000 kr for fred (F); Handels gives 3 000 kr to fred (B);
leadership allocates 500 kr of unrestricted money to fred (A, not a gift). Budgets: fred needs
12 000 kr, klimat 6 000 kr. Monthly gifts: one paying to fred started 2026-03-01, one paying to
klimat started 2025-01-01, one to fred stopped 2026-04-10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import posting
from tests.support.invoicing import add_network, add_org

AS_OF = date(2026, 9, 15)


def _post(conn: Connection, key: str, day: date, series: str, kind: str, *lines: LineDraft) -> None:
    posting.post(
        conn,
        Draft(
            date=day,
            text=f"Test {key}",
            series=series,
            source_kind=kind,
            source_key=key,
            lines=lines,
        ),
    )


def _gift(
    conn: Connection, key: str, day: date, series: str, ore: int, debit: str, **dims: object
) -> None:
    _post(
        conn,
        key,
        day,
        series,
        "test",
        LineDraft(debit, ore, 0),
        LineDraft("3993", 0, ore, **dims),  # type: ignore[arg-type]
    )


MONTHLY_STARTED = date(2026, 6, 1)  # in 2026 and in the 12 months to AS_OF


def monthly_gift(
    conn: Connection,
    n: int,
    network_id: int | None,
    status: str = "active",
    created: date = MONTHLY_STARTED,
    updated: date | None = None,
    *,
    tag: str = "dash",
) -> int:
    """A monthly card gift of 200 kr, the ``n``th of ``tag`` (four letters: ``n`` and ``tag``
    make its public id, e-mail and subscription unique), to ``network_id`` (None: where the
    need is greatest), created and last changed (default: when created) at noon UTC."""
    updated = updated or created
    return conn.execute(
        t.gifts.insert()
        .values(
            public_id=f"{tag}{n:028d}",
            network_id=network_id,
            amount_ore=20_000,
            currency="SEK",
            frequency="monthly",
            channel="card",
            status=status,
            donor_kind="person",
            donor_name=f"Månadsgivare {n}",
            donor_email=f"{tag}{n}@example.org",
            consent_contact=False,
            locale="sv",
            stripe_subscription_id=f"sub_{tag}{n}",
            created_at=datetime(created.year, created.month, created.day, 12, tzinfo=UTC),
            updated_at=datetime(updated.year, updated.month, updated.day, 12, tzinfo=UTC),
        )
        .returning(t.gifts.c.id)
    ).scalar_one()


def build_world(conn: Connection) -> dict[str, int]:
    fred = add_network(conn, "fred", "Fred och demokrati")
    klimat = add_network(conn, "klimat", "Rättvis klimatomställning")
    conn.execute(
        t.network_budgets.insert(),
        [
            {"network_id": fred, "year": 2026, "need_ore": 1_200_000, "sida_ore": 0},
            {"network_id": klimat, "year": 2026, "need_ore": 600_000, "sida_ore": 0},
        ],
    )
    metall = add_org(conn, "IF Metall avd 3")
    byggnads = add_org(conn, "Byggnads avd 1", org_number="802003-0000", email="kassor@bygg1.se")
    handels = add_org(conn, "Handels avd 2", org_number="802004-0000", email=None)
    person = conn.execute(
        t.contributors.insert()
        .values(kind="person", name="Alva Andersson")
        .returning(t.contributors.c.id)
    ).scalar_one()
    _gift(
        conn,
        "bygg-25",
        date(2025, 5, 10),
        "B",
        500_000,
        "1930",
        network="fred",
        contributor_id=byggnads,
    )
    _gift(
        conn,
        "handels-25",
        date(2025, 6, 1),
        "B",
        200_000,
        "1930",
        network="fred",
        contributor_id=handels,
    )
    _gift(
        conn, "card", date(2026, 1, 15), "K", 5_000, "1580", network="fred", contributor_id=person
    )
    _gift(
        conn,
        "swish",
        date(2026, 2, 10),
        "S",
        25_000,
        "1930",
        network="klimat",
        contributor_id=person,
    )
    _gift(conn, "unknown", date(2026, 2, 1), "M", 80_000, "1930")
    _gift(
        conn,
        "invoice",
        date(2026, 3, 5),
        "F",
        1_500_000,
        "1510",
        network="fred",
        contributor_id=metall,
    )
    _gift(
        conn,
        "handels-26",
        date(2026, 3, 20),
        "B",
        300_000,
        "1930",
        network="fred",
        contributor_id=handels,
    )
    _post(
        conn,
        "refund",
        date(2026, 4, 1),
        "K",
        "test",
        LineDraft("3993", 2_000, 0, network="fred", contributor_id=person),
        LineDraft("1580", 0, 2_000),
    )
    _post(
        conn,
        "alloc",
        date(2026, 5, 1),
        "A",
        "allocation",
        LineDraft("3993", 50_000, 0),
        LineDraft("3993", 0, 50_000, network="fred"),
    )
    monthly_gift(conn, 1, fred, "active", date(2026, 3, 1), date(2026, 3, 1))
    monthly_gift(conn, 2, klimat, "active", date(2025, 1, 1), date(2025, 1, 1))
    monthly_gift(conn, 3, fred, "cancelled", date(2025, 6, 1), date(2026, 4, 10))
    return {
        "fred": fred,
        "klimat": klimat,
        "metall": metall,
        "byggnads": byggnads,
        "handels": handels,
        "person": person,
    }
