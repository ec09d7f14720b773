"""Small builders for ledger tests: drafts, networks and raw SQL that goes around the app."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, bindparam, text

from ledger.db.schema.metadata import Sha256
from ledger.entries import Draft, LineDraft


def gift(
    amount_ore: int = 10_000,
    *,
    on: date = date(2026, 3, 1),
    key: str | None = None,
    network: str | None = None,
    series: str = "B",
    text_: str = "Gåva via bankgiro",
) -> Draft:
    return Draft(
        date=on,
        text=text_,
        series=series,
        source_kind="test",
        source_key=key,
        lines=(
            LineDraft("1930", amount_ore, 0),
            LineDraft("3993", 0, amount_ore, network=network),
        ),
    )


def entry_body(
    ore: int = 123_450, *, day: str = "2026-03-01", text_: str = "Insamling på arbetsplatsen"
) -> dict[str, object]:
    """``POST /api/v1/entries``'s JSON for a manual gift in series M: 1930 debit, 3993 credit."""
    return {
        "date": day,
        "text": text_,
        "series": "M",
        "lines": [
            {"account": "1930", "debit_ore": ore, "credit_ore": 0},
            {"account": "3993", "debit_ore": 0, "credit_ore": ore},
        ],
    }


def add_network(conn: Connection, slug: str, name: str | None = None) -> int:
    return conn.execute(
        text("INSERT INTO networks (slug, name) VALUES (:s, :n) RETURNING id"),
        {"s": slug, "n": name or slug.title()},
    ).scalar_one()


def add_contributor(conn: Connection, name: str, kind: str = "person") -> int:
    return conn.execute(
        text("INSERT INTO contributors (kind, name) VALUES (:k, :n) RETURNING id"),
        {"k": kind, "n": name},
    ).scalar_one()


def raw_entry(
    conn: Connection,
    *,
    id: int,
    number: int,
    prev_hash: str,
    lines: list[tuple[str, int, int]],
    on: date = date(2026, 3, 1),
    series: str = "M",
    key: str | None = None,
    hash_: str = "f" * 64,
) -> None:
    """Write lines and an entry with plain SQL, the way someone going around the app would."""
    conn.execute(
        text(
            "INSERT INTO fiscal_years (year, start_date, end_date) VALUES (:y, :s, :e) "
            "ON CONFLICT (year) DO NOTHING"
        ),
        {"y": on.year, "s": f"{on.year}-01-01", "e": f"{on.year}-12-31"},
    )
    for no, (account, debit, credit) in enumerate(lines, start=1):
        conn.execute(
            text(
                "INSERT INTO journal_lines (entry_id, line_no, account, debit_ore, credit_ore, "
                "currency) VALUES (:e, :n, :a, :d, :c, 'SEK')"
            ),
            {"e": id, "n": no, "a": account, "d": debit, "c": credit},
        )
    conn.execute(
        text(
            "INSERT INTO journal_entries (id, series, number, fiscal_year, date, text, "
            "source_kind, source_key, prev_hash, hash) "
            "VALUES (:id, :series, :number, :year, :date, 'raw', 'raw', :key, :prev, :hash)"
        ).bindparams(bindparam("prev", type_=Sha256()), bindparam("hash", type_=Sha256())),
        {
            "id": id,
            "series": series,
            "number": number,
            "year": on.year,
            "date": on.isoformat(),
            "key": key or f"raw:{id}",
            "prev": prev_hash,
            "hash": hash_,
        },
    )
