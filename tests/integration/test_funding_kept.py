"""The funding gap's and the dashboard's figures from the gifts, mandates and commitments kept
per process (``reports.funding.kept``) against the same figures read afresh, on a real database
(both engines): equal before and after every kind of change, and a change shows at once because
migration 0031's triggers raise ``funding_change_mark`` with it."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from ledger import migrate
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.services import dimensions, expected, posting
from reports.dashboard import Dashboard, build
from reports.funding import funding_gap
from reports.funding.kept import version
from tests.support.dashboard import AS_OF, build_world, monthly_gift

WATCHED = (
    *importlib.import_module("migrations.versions.0031_funding_change_mark").TABLES,
    *importlib.import_module("migrations.versions.0032_funding_change_mark_more").TABLES,
)


def _version(engine: Engine) -> int:
    with engine.connect() as conn:
        return version(conn)


STOPPED = datetime(2026, 7, 1, 12, tzinfo=UTC)


def _both(engine: Engine, network: str | None = None) -> tuple[Dashboard, Dashboard]:
    """The dashboard with the kept figures, then read afresh, on one connection."""
    with engine.connect() as conn:
        kept = build(conn, 2026, network=network, as_of=AS_OF, keep=True)
        plain = build(conn, 2026, network=network, as_of=AS_OF)
    return kept, plain


def test_every_table_the_kept_figures_read_has_its_trigger(engine):
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            found = set(
                conn.scalars(
                    text(
                        "SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                        "WHERE g.tgname LIKE 'tr\\_%\\_funding\\_mark' AND g.tgdeferrable"
                    )
                )
            )
        else:
            found = set(
                conn.scalars(
                    text(
                        "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                        "AND name LIKE 'tr\\_%\\_funding\\_mark\\_%' ESCAPE '\\' "
                        "GROUP BY tbl_name HAVING COUNT(*) = 3"
                    )
                )
            )
    assert found == set(WATCHED)
    assert set(WATCHED) >= {
        "gifts",
        "expected_payments",
        "autogiro_mandates",
        "pledges",
        "networks",
    }


def test_a_gift_inserted_changed_or_deleted_raises_the_mark_at_its_commit(engine):
    before = _version(engine)
    with engine.begin() as conn:
        gift = monthly_gift(conn, 1, None, tag="kept")
    inserted = _version(engine)
    with engine.begin() as conn:
        conn.execute(t.gifts.update().where(t.gifts.c.id == gift).values(status="cancelled"))
    updated = _version(engine)
    with engine.begin() as conn:
        conn.execute(t.gifts.delete().where(t.gifts.c.id == gift))
    deleted = _version(engine)
    assert before < inserted < updated < deleted


def test_a_rolled_back_change_leaves_the_mark_and_a_transaction_raises_it(engine):
    before = _version(engine)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        monthly_gift(conn, 1, None, tag="kept")
        raise RuntimeError("rolled back")
    assert _version(engine) == before
    with engine.begin() as conn:
        for n in range(2, 7):
            monthly_gift(conn, n, None, tag="kept")
        conn.execute(t.gifts.update().values(status="cancelled"))
    after = _version(engine)
    if engine.dialect.name == "postgresql":
        assert after == before + 1  # once per transaction, at its commit
    else:
        assert after == before + 10  # once per row changed


def test_the_kept_dashboard_equals_the_plain_one_after_every_change(engine):
    with engine.begin() as conn:
        ids = build_world(conn)
    first, plain = _both(engine)
    assert first == plain
    assert _both(engine) == (plain, plain)  # from what was kept, the same again

    # a new monthly giver to fred: paying now, started this year
    with engine.begin() as conn:
        gift = monthly_gift(conn, 1, ids["fred"], tag="kept")
    kept, plain = _both(engine)
    assert kept == plain
    assert kept.gap.total.monthly_givers == first.gap.total.monthly_givers + 1
    assert kept.givers.started == first.givers.started + 1
    fred_kept, fred_plain = _both(engine, "fred")
    assert fred_kept == fred_plain

    # ... who stops
    with engine.begin() as conn:
        conn.execute(
            t.gifts.update()
            .where(t.gifts.c.id == gift)
            .values(status="cancelled", updated_at=STOPPED)
        )
    stopped_kept, stopped_plain = _both(engine)
    assert stopped_kept == stopped_plain
    assert stopped_kept.gap.total.monthly_givers == kept.gap.total.monthly_givers - 1
    assert stopped_kept.givers.stopped == kept.givers.stopped + 1
    assert stopped_kept.gap.churn.stopped == kept.gap.churn.stopped + 1

    # a pledge due this year: committed at once
    with engine.begin() as conn:
        expected.create(
            conn,
            kind="pledge",
            amount=Money(123_400),
            network_id=ids["klimat"],
            contributor_id=None,
            due_date=date(2026, 11, 30),
        )
    pledged_kept, pledged_plain = _both(engine)
    assert pledged_kept == pledged_plain
    assert pledged_kept.gap.total.committed_ore == stopped_kept.gap.total.committed_ore + 123_400

    # the gift deleted: the figures are those before it came
    with engine.begin() as conn:
        conn.execute(t.gifts.delete().where(t.gifts.c.id == gift))
    gone_kept, gone_plain = _both(engine)
    assert gone_kept == gone_plain
    assert gone_kept.givers == first.givers
    assert gone_kept.gap.churn == first.gap.churn


def test_a_kept_funding_gap_follows_a_new_gift_at_once(engine):
    with engine.begin() as conn:
        ids = build_world(conn)
    with engine.connect() as conn:
        before = funding_gap(conn, 2026, as_of=AS_OF, keep=True)
    with engine.begin() as conn:
        monthly_gift(conn, 1, ids["klimat"], tag="kept")
    with engine.connect() as conn:
        after = funding_gap(conn, 2026, as_of=AS_OF, keep=True)
        plain = funding_gap(conn, 2026, as_of=AS_OF)
    assert after == plain
    assert after.total.monthly_givers == before.total.monthly_givers + 1
    assert after.total.monthly_ore == before.total.monthly_ore + 20_000


def test_a_kept_funding_gap_follows_a_posting_a_budget_and_a_network_at_once(engine):
    with engine.begin() as conn:
        ids = build_world(conn)
    with engine.connect() as conn:
        before = funding_gap(conn, 2026, as_of=AS_OF, keep=True)
    assert _kept_again(engine) == before
    with engine.begin() as conn:  # a gift booked: the ledger head moves
        posting.post(
            conn,
            Draft(
                date=date(2026, 8, 1),
                text="Gåva",
                series="B",
                source_kind="test",
                source_key="kept-gift",
                lines=(LineDraft("1930", 7_700, 0), LineDraft("3993", 0, 7_700, network="fred")),
            ),
        )
    booked = _kept_again(engine)
    assert booked.total.received_ore == before.total.received_ore + 7_700
    with engine.begin() as conn:  # a budget raised: no posting, the change mark moves
        conn.execute(
            t.network_budgets.update()
            .where(t.network_budgets.c.network_id == ids["klimat"])
            .values(need_ore=t.network_budgets.c.need_ore + 100_000)
        )
    raised = _kept_again(engine)
    assert raised.total.need_ore == booked.total.need_ore + 100_000
    with engine.begin() as conn:
        conn.execute(
            t.networks.update().where(t.networks.c.id == ids["fred"]).values(name="Fred nu")
        )
    renamed = _kept_again(engine)
    assert "Fred nu" in {n.name for n in renamed.networks}


def _kept_again(engine: Engine):  # type: ignore[no-untyped-def]
    """The kept funding gap, checked against the one read afresh."""
    with engine.connect() as conn:
        kept = funding_gap(conn, 2026, as_of=AS_OF, keep=True)
        assert kept == funding_gap(conn, 2026, as_of=AS_OF)
    return kept


def test_two_databases_keep_their_own_figures_under_the_same_version(engine, fresh_ledger):
    with engine.begin() as conn:
        build_world(conn)
    with fresh_ledger.begin() as conn:  # the versions meet: only the engine tells them apart
        conn.execute(t.funding_change_mark.update().values(version=_version(engine)))
    assert _version(engine) == _version(fresh_ledger)
    with engine.connect() as conn:
        full = funding_gap(conn, 2026, as_of=AS_OF, keep=True)
    with fresh_ledger.connect() as conn:
        empty = funding_gap(conn, 2026, as_of=AS_OF, keep=True)
        plain = funding_gap(conn, 2026, as_of=AS_OF)
    assert full.total.monthly_givers > 0
    assert empty == plain
    assert empty.total.monthly_givers == 0


def test_the_migration_goes_down_and_up_again(fresh_ledger):
    cfg = migrate.alembic_config()
    with fresh_ledger.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0030")
    assert "funding_change_mark" not in inspect(fresh_ledger).get_table_names()
    with fresh_ledger.begin() as conn:
        monthly_gift(conn, 1, None, tag="kept")  # no trigger left to write to the table that went
    with fresh_ledger.begin() as conn:
        dimensions.create_network(conn, "utan-spar", "Utan spår")
    migrate.upgrade(fresh_ledger)
    assert _version(fresh_ledger) == 0
    with fresh_ledger.begin() as conn:
        monthly_gift(conn, 2, None, tag="kept")
    assert _version(fresh_ledger) == 1
