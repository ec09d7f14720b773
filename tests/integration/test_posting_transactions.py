"""A post inside the caller's transaction: a refused post undoes only itself, whether it was
the transaction's first statement (no savepoint on PostgreSQL's pipelined path: the
transaction is rolled back) or came after other work (a savepoint), and the caller can go on
booking in the same transaction without a gap in the numbers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from ledger.errors import PeriodClosed, UnknownAccount
from ledger.services import posting
from ledger.services.verify import verify
from tests.support.ledger import gift

REFUSED_TEXT = "refused by a trigger of the test"


@pytest.fixture
def refusing_engine(engine):
    """The database refuses any entry with ``REFUSED_TEXT`` as if its period were closed (the
    guard's own code, KA013), after Python let it through: the path a race with a closing
    takes."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN IF NEW.text = '" + REFUSED_TEXT + "' THEN RAISE EXCEPTION "
                    "'ledger: the period is closed' USING ERRCODE = 'KA013'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER test_refuse BEFORE INSERT ON journal_entries "
                    "FOR EACH ROW EXECUTE FUNCTION test_refuse()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER test_refuse BEFORE INSERT ON journal_entries "
                    f"WHEN NEW.text = '{REFUSED_TEXT}' BEGIN "
                    "SELECT RAISE(ABORT, 'KA013: ledger: the period is closed'); END"
                )
            )
    return engine


def _booked(engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        report = verify(conn)
        assert report.ok, report.problems
        rows = conn.execute(text("SELECT number, source_key FROM journal_entries ORDER BY id"))
        return [(r.number, r.source_key) for r in rows]


def test_a_refused_first_post_leaves_the_transaction_usable_and_no_gap(refusing_engine):
    with refusing_engine.begin() as conn:
        with pytest.raises(PeriodClosed):
            posting.post(conn, gift(100, key="k:refused", text_=REFUSED_TEXT))
        posting.post(conn, gift(200, key="k:after"))
    assert _booked(refusing_engine) == [(1, "k:after")]


def test_a_refused_post_after_other_work_undoes_only_itself(refusing_engine):
    with refusing_engine.begin() as conn:
        posting.post(conn, gift(100, key="k:before"))
        with pytest.raises(PeriodClosed):
            posting.post(conn, gift(150, key="k:refused", text_=REFUSED_TEXT))
        posting.post(conn, gift(200, key="k:after"))
    assert _booked(refusing_engine) == [(1, "k:before"), (2, "k:after")]


def test_a_post_refused_in_python_after_other_work_undoes_only_itself(engine):
    with engine.begin() as conn:
        posting.post(conn, gift(100, key="k:before"))
        with pytest.raises(UnknownAccount):
            posting.post(conn, _with_account(gift(300, key="k:bad"), "1999"))
        posting.post(conn, gift(200, key="k:after"))
    assert _booked(engine) == [(1, "k:before"), (2, "k:after")]


def test_a_key_booked_earlier_in_the_same_transaction_returns_that_entry(engine):
    with engine.begin() as conn:
        first = posting.post(conn, gift(100, key="k:once"))
        entry, booked = posting.post_once(conn, gift(100, key="k:once"))
        after = posting.post(conn, gift(200, key="k:after"))
    assert (entry.id, booked) == (first.id, False)
    assert after.number == 2
    assert _booked(engine) == [(1, "k:once"), (2, "k:after")]


def _with_account(draft, account: str):
    return replace(draft, lines=(replace(draft.lines[0], account=account), draft.lines[1]))


def test_a_post_in_a_connection_that_commits_as_it_goes_is_kept(engine):
    with engine.connect() as conn:
        posting.post(conn, gift(100, key="k:as-you-go"))
        conn.commit()
    assert _booked(engine) == [(1, "k:as-you-go")]
