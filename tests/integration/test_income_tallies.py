"""The dashboard's kept income tallies (``reports.tally``, migration 0027) against a plain
count of the journal lines, worked out here in Python from every 3993 line: after single
posts, reversals, bulk posts, in a closed year, when filled by the migration, and when read
without anybody having caught up."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, func, select

from ledger import migrate
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import periods, posting
from reports import tally
from tests.conftest import BACKEND
from tests.support.dashboard import build_world
from tests.support.invoicing import add_network, add_org

Mix = dict[tuple[int, int, str, str, int], list[int]]
Orgs = dict[tuple[int, int, int], int]


def _band(credit: int) -> int:
    return max(i for i, (lower, _) in enumerate(tally.BANDS) if credit >= lower)


def _counted(conn: Connection) -> tuple[Mix, Orgs]:
    """Both tallies straight from the lines, grouped in Python."""
    e, ln, c = t.journal_entries.c, t.journal_lines.c, t.contributors.c
    rows = conn.execute(
        select(
            e.fiscal_year,
            ln.network_id,
            e.series,
            c.kind,
            ln.debit_ore,
            ln.credit_ore,
            ln.currency,
            e.source_kind,
            ln.contributor_id,
        )
        .select_from(
            t.journal_lines.join(t.journal_entries, e.id == ln.entry_id).outerjoin(
                t.contributors, c.id == ln.contributor_id
            )
        )
        .where(ln.account == "3993")
    )
    mix: Mix = defaultdict(lambda: [0, 0, 0])
    orgs: Orgs = defaultdict(int)
    for year, network, series, kind, debit, credit, currency, source_kind, who in rows:
        if source_kind == "allocation":
            continue
        if currency == "SEK":
            got = mix[(year, network or 0, series, kind or "", _band(credit))]
            got[0] += credit - debit
            got[1] += 1 if credit > 0 else 0
            got[2] += credit
        if kind == "organisation" and credit > 0:
            orgs[(year, network or 0, who)] += credit
    return dict(mix), dict(orgs)


def _kept(conn: Connection) -> tuple[Mix, Orgs]:
    mix = {
        (r.fiscal_year, r.network_id, r.series, r.kind, r.band): [r.net_ore, r.gifts, r.credit_ore]
        for r in conn.execute(select(t.income_mix))
    }
    orgs = {
        (r.fiscal_year, r.network_id, r.contributor_id): r.credit_ore
        for r in conn.execute(select(t.organisation_income))
    }
    return mix, orgs


def _mark(conn: Connection) -> int:
    return int(conn.scalar(select(t.income_tally_mark.c.last_entry_id)))


def _head(conn: Connection) -> int:
    return int(conn.scalar(select(t.ledger_head.c.last_entry_id)))


def _caught_up_equals_counted(engine: Engine) -> None:
    with engine.begin() as conn:
        tally.catch_up(conn)
    with engine.connect() as conn:
        assert _mark(conn) == _head(conn)
        assert _kept(conn) == _counted(conn)


def _read_equals_counted(conn: Connection, year: int, network_id: int | None) -> None:
    """What the dashboard reads (kept sums plus lines since the mark) is the plain count."""
    mix, orgs = _counted(conn)
    want: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (fy, net, series, kind, band), sums in mix.items():
        if fy == year and network_id in (None, net):
            for i, v in enumerate(sums):
                want[(series, kind, band)][i] += v
    assert tally.giving_sums(conn, year, network_id) == dict(want)
    years = (year - 1, year)
    want_orgs: dict[tuple[int, int], int] = defaultdict(int)
    for (fy, net, who), credit in orgs.items():
        if fy in years and network_id in (None, net):
            want_orgs[(who, fy)] += credit
    assert tally.organisation_sums(conn, years, network_id) == dict(want_orgs)


def _gift(key: str, day: date, ore: int, *, series: str = "B", **dims: object) -> Draft:
    return Draft(
        date=day,
        text=f"Gåva {key}",
        series=series,
        source_kind="test",
        source_key=key,
        lines=(
            LineDraft("1930", ore, 0),
            LineDraft("3993", 0, ore, **dims),  # type: ignore[arg-type]
        ),
    )


def test_single_posts_are_folded_in_by_a_catch_up_and_read_before_it(engine):
    with engine.begin() as conn:
        ids = build_world(conn)
    with engine.connect() as conn:
        assert _mark(conn) == 0  # the template's ledger was empty when 0027 filled it
        _read_equals_counted(conn, 2026, None)
        _read_equals_counted(conn, 2026, ids["fred"])
    with engine.begin() as conn:
        assert tally.catch_up(conn) == _head(conn)
        assert tally.catch_up(conn) == 0  # up to date: nothing twice
    _caught_up_equals_counted(engine)
    with engine.begin() as conn:
        posting.post(
            conn,
            _gift(
                "more", date(2026, 6, 1), 60_000, network="klimat", contributor_id=ids["byggnads"]
            ),
        )
    with engine.connect() as conn:
        # one entry after the mark: read on the fly, the same as counted
        assert _mark(conn) == _head(conn) - 1
        _read_equals_counted(conn, 2026, None)
        _read_equals_counted(conn, 2026, ids["klimat"])
    _caught_up_equals_counted(engine)


def test_a_reversal_is_folded_in_as_the_refund_it_is(engine):
    with engine.begin() as conn:
        ids = build_world(conn)
        tally.catch_up(conn)
        gift = posting.post(
            conn,
            _gift("rev", date(2026, 7, 1), 1_200_000, network="fred", contributor_id=ids["metall"]),
        )
    _caught_up_equals_counted(engine)
    with engine.begin() as conn:
        posting.reverse(conn, gift.id, on=date(2026, 7, 2))
    with engine.connect() as conn:
        _read_equals_counted(conn, 2026, ids["fred"])
    _caught_up_equals_counted(engine)
    with engine.connect() as conn:
        sums = tally.giving_sums(conn, 2026, ids["fred"])
    # the 12 000 kr gift stays a gift in its band; its reversal (a 3993 debit, band 0) takes the
    # money back, so Handels' 3 000 kr is all the organisations' bank money left for fred
    assert sums[("B", "organisation", 4)] == [1_200_000, 1, 1_200_000]
    assert sum(v[0] for k, v in sums.items() if k[:2] == ("B", "organisation")) == 300_000


def test_bulk_posts_over_several_years_and_networks_are_folded_in(engine):
    with engine.begin() as conn:
        ids = build_world(conn)
        extra = add_network(conn, "jamstalldhet", "Jämställdhet")
        person = conn.execute(
            t.contributors.insert()
            .values(kind="person", name="Bo Berg")
            .returning(t.contributors.c.id)
        ).scalar_one()
        who = (ids["metall"], ids["handels"], person, None)
        where = ("fred", "klimat", "jamstalldhet", None)
        drafts = (
            _gift(
                f"bulk-{n}",
                date(2025 + n % 2, 1 + n % 12, 1 + n % 28),
                (n * 7_919) % 6_000_000 + 1,
                series="BKSF"[n % 4],
                network=where[n % 4],
                contributor_id=who[n % 3 if n % 5 else 3],
            )
            for n in range(600)
        )
        assert posting.post_many(conn, drafts, batch_size=150).posted == 600
    with engine.connect() as conn:
        _read_equals_counted(conn, 2026, None)
        _read_equals_counted(conn, 2026, extra)
        _read_equals_counted(conn, 2025, ids["klimat"])
    _caught_up_equals_counted(engine)


def test_a_closed_year_keeps_its_tallies_while_the_next_year_grows(engine):
    with engine.begin() as conn:
        ids = build_world(conn)
        tally.catch_up(conn)
        periods.close_through(conn, date(2025, 12, 31))
        before = tally.giving_sums(conn, 2025, None), tally.organisation_sums(conn, (2025,), None)
        posting.post(conn, _gift("next", date(2026, 8, 1), 70_000, contributor_id=ids["handels"]))
    _caught_up_equals_counted(engine)
    with engine.connect() as conn:
        assert (
            tally.giving_sums(conn, 2025, None),
            tally.organisation_sums(conn, (2025,), None),
        ) == before
        _read_equals_counted(conn, 2026, None)


def test_two_catch_ups_one_after_the_other_fold_each_entry_once(engine):
    with engine.begin() as conn:
        build_world(conn)
    with engine.begin() as one:
        folded = tally.catch_up(one)
    with engine.begin() as other:
        assert tally.catch_up(other) == 0
    assert folded > 0
    _caught_up_equals_counted(engine)


def test_the_migration_fills_the_tallies_from_the_lines_booked_before_it(fresh_ledger):
    engine = fresh_ledger
    year = date.today().year
    with engine.begin() as conn:
        fred = add_network(conn, "fred", "Fred och demokrati")
        org = add_org(conn, "IF Metall avd 3")
        for n in range(40):
            posting.post(
                conn,
                _gift(
                    f"old-{n}",
                    date(year, 1 + n % 12, 1),
                    (n * 130_007) % 7_000_000 + 1,
                    series="BK"[n % 2],
                    network="fred" if n % 3 else None,
                    contributor_id=org if n % 4 else None,
                ),
            )
    # back to the revision before the tallies (their tables go) and up again: 0027 fills them
    _downgrade(engine, "0026")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert _mark(conn) == _head(conn) > 0
        assert _kept(conn) == _counted(conn)
        assert conn.scalar(select(func.count()).select_from(t.organisation_income)) > 0
        _read_equals_counted(conn, year, fred)


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="on SQLite the reader's transaction holds the write lock: no catch-up comes between",
)
def test_a_catch_up_between_reading_the_mark_and_the_sums_makes_the_read_start_again(
    engine, monkeypatch
):
    with engine.begin() as conn:
        build_world(conn)
    with engine.connect() as conn:
        want = tally.giving_sums(conn, 2026, None)
    marks: list[int] = []
    real = tally._giving_query

    def racing(year: int, network_id: int | None, mark: int):  # type: ignore[no-untyped-def]
        if not marks:  # the first read's mark is stale once another process has caught up
            with engine.begin() as other:
                assert tally.catch_up(other) > 0
        marks.append(mark)
        return real(year, network_id, mark)

    monkeypatch.setattr(tally, "_giving_query", racing)
    with engine.connect() as conn:
        got = tally.giving_sums(conn, 2026, None)
        head = _head(conn)
    assert marks == [0, head]  # read again with the mark the catch-up left
    assert got == want
