"""``kassan ledger verify`` proves the books unchanged, and names the entry when they are not.

To change a row behind the app's back the tests first switch off the guard trigger, as
someone with the database owner's rights could."""

import json
import threading
from datetime import date

import pytest
from sqlalchemy import text

from kassan.cli.main import main as kassan
from ledger.services import posting
from ledger.services.verify import verify
from tests.conftest import BACKEND
from tests.support.ledger import add_network, gift


def behind_the_apps_back(engine, table: str, sql: str) -> None:
    if BACKEND == "postgresql":
        # three transactions: the deferred foreign key fires at the tampering one's commit
        for step in (
            f"ALTER TABLE {table} DISABLE TRIGGER {table}_immutable",
            sql,
            f"ALTER TABLE {table} ENABLE TRIGGER {table}_immutable",
        ):
            with engine.begin() as conn:
                conn.execute(text(step))
        return
    with engine.begin() as conn:
        for op in ("update", "delete"):
            conn.execute(text(f"DROP TRIGGER {table}_no_{op}"))
        conn.execute(text(sql))


@pytest.fixture
def three(engine):
    with engine.begin() as conn:
        add_network(conn, "palestina")
        return [posting.post(conn, gift(1000 * (i + 1), network="palestina")) for i in range(3)]


def run_verify(app):
    return app.test_cli_runner().invoke(kassan, ["ledger", "verify"], obj=_script_info(app))


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_verify_passes_on_untouched_books(app, three):
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert "3 verifikationer, 6 rader, hashkedjan obruten" in result.output


def test_verify_names_an_entry_whose_text_was_changed(app, engine, three):
    behind_the_apps_back(
        engine, "journal_entries", "UPDATE journal_entries SET text = 'Något annat' WHERE id = 2"
    )
    result = run_verify(app)
    assert result.exit_code == 1
    assert "entry 2 (B2)" in result.output
    assert "hash" in result.output


def test_verify_names_an_entry_whose_amounts_were_changed_in_balance(app, engine, three):
    behind_the_apps_back(
        engine,
        "journal_lines",
        "UPDATE journal_lines SET "
        "debit_ore = CASE WHEN debit_ore > 0 THEN debit_ore + 50000 ELSE 0 END, credit_ore = "
        "CASE WHEN credit_ore > 0 THEN credit_ore + 50000 ELSE 0 END WHERE entry_id = 3",
    )
    with engine.connect() as conn:
        report = verify(conn)
    messages = [str(p) for p in report.problems]
    assert messages[0].startswith("entry 3 (B3)")
    assert any("kept balance" in m for m in messages)


def test_verify_finds_a_deleted_entry_by_the_broken_chain(app, engine, three):
    behind_the_apps_back(engine, "journal_lines", "DELETE FROM journal_lines WHERE entry_id = 2")
    behind_the_apps_back(engine, "journal_entries", "DELETE FROM journal_entries WHERE id = 2")
    with engine.connect() as conn:
        report = verify(conn)
    assert not report.ok
    assert str(report.problems[0]).startswith("entry 3 (B3)")


def test_trial_balance_json_has_the_agreed_shape(app, three):
    result = app.test_cli_runner().invoke(
        kassan, ["ledger", "trial-balance", "--year", "2026", "--json"], obj=_script_info(app)
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["accounts"] == [
        {
            "account": "1930",
            "name": "Företagskonto/checkkonto/affärskonto",
            "debit_ore": 6000,
            "credit_ore": 0,
            "balance_ore": 6000,
        },
        {
            "account": "3993",
            "name": "Erhållna gåvor och bidrag",
            "debit_ore": 0,
            "credit_ore": 6000,
            "balance_ore": -6000,
        },
    ]
    assert report["totals"] == {"debit_ore": 6000, "credit_ore": 6000}


def test_trial_balance_without_year_covers_all_years(app, engine):
    with engine.begin() as conn:
        posting.post(conn, gift(100, on=date(2025, 6, 1)))
        posting.post(conn, gift(200, on=date(2026, 6, 1)))
    runner = app.test_cli_runner()
    every = json.loads(
        runner.invoke(kassan, ["ledger", "trial-balance", "--json"], obj=_script_info(app)).output
    )
    only = json.loads(
        runner.invoke(
            kassan, ["ledger", "trial-balance", "--year", "2025", "--json"], obj=_script_info(app)
        ).output
    )
    assert every["totals"]["debit_ore"] == 300
    assert only["totals"]["debit_ore"] == 100


def test_concurrent_posting_leaves_no_gap_and_no_duplicate_number(engine):
    threads, per_thread = 6, 15
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with engine.begin() as conn:
                    posting.post(conn, gift(100 + i, key=f"t{n}:{i}"))
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    with engine.connect() as conn:
        numbers = [
            r[0] for r in conn.execute(text("SELECT number FROM journal_entries ORDER BY number"))
        ]
        report = verify(conn)
    assert numbers == list(range(1, threads * per_thread + 1))
    assert report.ok, report.problems


def test_the_same_fact_posted_twenty_times_at_once_is_booked_once(engine):
    barrier = threading.Barrier(20)
    ids: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            with engine.begin() as conn:
                ids.append(posting.post(conn, gift(777, key="swish:ABC123")).id)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=worker) for _ in range(20)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert len(set(ids)) == 1 and len(ids) == 20
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM journal_entries")).scalar() == 1


def test_verify_reports_a_missing_head_row_instead_of_crashing(app, engine, three):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_head"))
    result = run_verify(app)
    assert result.exit_code == 1
    assert "FEL ledger: the ledger's head row is missing" in result.output
    assert "Traceback" not in result.output


def test_verify_reports_a_head_row_that_was_moved_back(app, engine, three):
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_head SET last_entry_id = 2"))
    result = run_verify(app)
    assert result.exit_code == 1
    assert "FEL ledger: the head row does not point at the last entry" in result.output
