"""How the ledger is stored (issue 14, database size): the hash chain's digests as 32 bytes on
PostgreSQL (migration 0029), the journal lines' one-column indexes (0028) and the full
pages of the indexes that only grow at their end (0030). Only the storage
changes: the same digests, the same chain, the same refusals, on a ledger booked before."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import bindparam, inspect, text
from sqlalchemy.exc import IntegrityError

from ledger import migrate
from ledger.db.schema.metadata import Sha256
from ledger.entries import GENESIS_HASH
from ledger.services import journal, posting
from ledger.services.verify import verify
from tests.conftest import BACKEND
from tests.support.ledger import add_network, gift


def _migrate_to(engine, revision: str) -> None:
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _stored(engine) -> list[tuple[int, object, object]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT id, prev_hash, hash FROM journal_entries ORDER BY id")
            )
        ]


def _stored_head(engine) -> object:
    with engine.connect() as conn:
        return conn.execute(text("SELECT last_hash FROM ledger_head")).scalar_one()


def test_a_ledger_booked_before_the_digests_became_bytes_keeps_its_chain_through_the_migration(
    engine,
):
    with engine.begin() as conn:
        add_network(conn, "palestina")
        posting.post(conn, gift(1000, network="palestina"))
        posting.post(conn, gift(2500, series="M", on=date(2025, 11, 3)))
        third = posting.post(conn, gift(700, key="bank:3"))
        posting.reverse(conn, third.id, on=date(2026, 3, 2))
    with engine.connect() as conn:
        before = [journal.get_entry(conn, i) for i in range(1, 5)]
    chain = [(e.id, e.prev_hash, e.hash) for e in before]
    assert chain[0][1] == GENESIS_HASH and all(len(h) == 64 for _, p, h in chain)

    _migrate_to(engine, "0028")
    # before 0029 every database held the 64 hex characters
    assert _stored(engine) == chain
    assert _stored_head(engine) == chain[-1][2]

    migrate.upgrade(engine)
    if BACKEND == "postgresql":
        assert _stored(engine) == [(i, bytes.fromhex(p), bytes.fromhex(h)) for i, p, h in chain]
        assert _stored_head(engine) == bytes.fromhex(chain[-1][2])
    else:
        assert _stored(engine) == chain
    with engine.connect() as conn:
        assert [journal.get_entry(conn, i) for i in range(1, 5)] == before
        report = verify(conn)
    assert report.ok and report.entries == 4, report.problems

    # the chain goes on from the migrated head, and the database still checks it
    with engine.begin() as conn:
        fifth = posting.post(conn, gift(300))
    assert fifth.prev_hash == chain[-1][2]
    with engine.connect() as conn:
        report = verify(conn)
    assert report.ok and report.entries == 5, report.problems


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite keeps the 64 hex characters")
def test_the_hex_text_written_into_a_bytes_column_is_refused_by_the_database(engine):
    """A writer going around the app with the old form (the 64 hex characters as bytes) is
    refused, in the entries and in the head alike."""
    with engine.begin() as conn:
        posting.post(conn, gift(1000))
        head = journal.get_entry(conn, 1)
    assert head is not None
    with pytest.raises(IntegrityError, match="ck_ledger_head_hash"), engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_head SET last_hash = convert_to(:h, 'UTF8')"), {"h": head.hash}
        )
    with pytest.raises(IntegrityError, match="ck_entries_hash"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO journal_lines (entry_id, line_no, account, debit_ore, credit_ore, "
                "currency) VALUES (2, 1, '1930', 5, 0, 'SEK'), (2, 2, '3993', 0, 5, 'SEK')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO journal_entries (id, series, number, fiscal_year, date, text, "
                "source_kind, source_key, prev_hash, hash) VALUES (2, 'B', 2, 2026, "
                "'2026-03-01', 'raw', 'raw', 'raw:2', convert_to(:p, 'UTF8'), :h)"
            ).bindparams(bindparam("h", type_=Sha256())),
            {"p": head.hash, "h": "ab" * 32},
        )


def test_the_journal_lines_are_indexed_by_account_and_by_network_alone(engine):
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("journal_lines")}
    assert indexes["ix_lines_account"]["column_names"] == ["account"]
    assert indexes["ix_lines_network"]["column_names"] == ["network_id"]
    if BACKEND == "postgresql":
        (reverses,) = [
            ix
            for ix in inspect(engine).get_indexes("journal_entries")
            if ix["name"] == "uq_entries_reverses"
        ]
        assert reverses["unique"] and reverses["column_names"] == ["reverses_id"]
        assert reverses["dialect_options"]["postgresql_where"] == "(reverses_id IS NOT NULL)"


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite has no fillfactor")
def test_the_journal_indexes_that_only_grow_at_their_right_end_leave_no_room_free(engine):
    with engine.begin() as conn:
        posting.post(conn, gift(1000))
        options = dict(
            conn.execute(
                text(
                    "SELECT relname, reloptions FROM pg_class WHERE relname IN "
                    "('journal_entries_pkey', 'journal_lines_pkey', 'uq_entries_number', "
                    "'uq_entries_source_key')"
                )
            ).all()
        )
    assert options == {
        "journal_entries_pkey": ["fillfactor=100"],
        "journal_lines_pkey": ["fillfactor=100"],
        "uq_entries_number": ["fillfactor=100"],
        # payment references arrive in no order: this one keeps the room for them
        "uq_entries_source_key": None,
    }


def test_whether_a_bank_line_claims_an_entry_is_answered_from_an_index(engine):
    """The matcher's question for every Swish payment and payout it could pair (``bank_lines
    .entry_id = <entry>``) reads the index, not every bank line ever imported (migration 0033).
    Sequential scans are turned off on PostgreSQL: an empty table would otherwise be scanned,
    and the question is whether the index serves the question at all."""
    question = "SELECT 1 FROM bank_lines WHERE entry_id = 42"
    with engine.begin() as conn:
        if BACKEND == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(conn.execute(text(f"EXPLAIN {question}")).scalars())
        else:
            plan = "\n".join(r[-1] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {question}")))
    assert "ix_bank_lines_entry_id" in plan, plan
