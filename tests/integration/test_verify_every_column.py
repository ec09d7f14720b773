"""Property (issue 17, item 3): the hash chain covers every column of an entry and its lines.

For each column of ``journal_entries`` and ``journal_lines``, read from the ``Table`` objects,
hypothesis changes that one column of one stored row behind the app's back (to a value of the
column's type, or another row the foreign key may point at: money moved to another network,
another contributor, another account, another year, another reversal), and ``kassan ledger
verify`` must exit 1 naming that entry. Changed back, the books verify clean again, so the
failure came from the change.

A column added later is picked up here on its own: it is changed like the others, and fails
this test until the chain covers it or it is listed in ``NOT_CONTENT`` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from flask.cli import ScriptInfo
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    create_engine,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from kassan.cli.main import main as kassan
from ledger.db import tables as t
from ledger.db.schema.metadata import Sha256
from ledger.entries import Draft, LineDraft
from ledger.services import posting
from ledger.services.verify import verify
from tests.conftest import BACKEND
from tests.support.ledger import add_contributor, add_network, gift

TABLES = (t.journal_entries, t.journal_lines)

# Columns the chain leaves out on purpose, with the reason. Nothing that carries money,
# an account, a dimension, a date, a text, a source or a link may be here.
NOT_CONTENT = {
    "journal_entries.created_at": (
        "when the row was written, by the database's clock: a fact about the writing, not the "
        "voucher (its accounting date is `date`, in the chain); the chain's own order "
        "(ids, prev_hash) is the tamper-proof order of registration"
    ),
    "journal_entries.created_by": (
        "the staff user who was signed in when it was booked (None for imports and webhooks): "
        "the audit trail of who did it, not what was booked"
    ),
}

CHECKED = [
    f"{table.name}.{column.name}"
    for table in TABLES
    for column in table.columns
    if f"{table.name}.{column.name}" not in NOT_CONTENT
]

_TEXT = st.characters(codec="utf-8", exclude_characters="\x00")


def test_every_column_left_out_of_the_chain_exists_and_says_why():
    names = {f"{table.name}.{column.name}" for table in TABLES for column in table.columns}
    assert set(NOT_CONTENT) <= names
    assert all(len(reason) > 40 for reason in NOT_CONTENT.values())


@pytest.fixture
def books(engine: Engine, database_url: str) -> Iterator[Engine]:
    """Entries in two series and two years, on two networks, with contributors, a split and a
    reversal; and a way in that goes around the guards, as the database's owner has."""
    with engine.begin() as conn:
        for slug in ("palestina", "colombia"):
            add_network(conn, slug)
        anna = add_contributor(conn, "Anna Andersson")
        club = add_contributor(conn, "Metallklubben", kind="organisation")
        posting.post(conn, gift(1000, network="palestina"))
        posting.post(conn, gift(2500, network="colombia", series="M", on=date(2025, 11, 3)))
        third = posting.post(conn, gift(700, network="palestina", text_="Insamling på jobbet"))
        posting.reverse(conn, third.id, on=date(2026, 3, 2))
        split = Draft(
            date=date(2026, 4, 1),
            text="Klubbens gåva, delad",
            series="B",
            source_kind="test",
            lines=(
                LineDraft("1930", 6000, 0),
                LineDraft("3993", 0, 4000, network="palestina", contributor_id=club),
                LineDraft("3993", 0, 2000, network="colombia", contributor_id=anna),
            ),
        )
        posting.post(conn, split)
    owner = create_engine(database_url, poolclass=NullPool)  # no foreign_keys pragma: off
    if BACKEND == "sqlite":
        with owner.begin() as conn:
            for table in TABLES:
                triggers = conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                    {"t": table.name},
                ).scalars()
                for name in list(triggers):
                    conn.execute(text(f'DROP TRIGGER "{name}"'))
    yield owner
    owner.dispose()


def _behind_the_apps_back(owner: Engine, table: Table, key: dict, column: str, value) -> None:
    """Set one column of one row. A key others point at (an entry's id) takes them along, as
    ON UPDATE CASCADE would: the entry is renumbered with its lines, not torn from them."""
    with owner.begin() as conn:
        if BACKEND == "postgresql":
            # the owner switches off every trigger, the foreign keys' and the guards' alike
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        changed = conn.execute(
            table.update()
            .where(*(table.c[name] == v for name, v in key.items()))
            .values({column: value})
        ).rowcount
        assert changed == 1
        if column in key:
            for other in TABLES:
                for referring in other.columns:
                    if any(fk.column is table.c[column] for fk in referring.foreign_keys):
                        conn.execute(
                            other.update()
                            .where(referring == key[column])
                            .values({referring.name: value})
                        )


def _unique_sets(table: Table, column: Column) -> list[tuple[Column, ...]]:
    sets = [
        tuple(c.columns)
        for c in table.constraints
        if isinstance(c, PrimaryKeyConstraint | UniqueConstraint)
    ]
    sets += [tuple(ix.columns) for ix in table.indexes if ix.unique]
    return [cols for cols in sets if column in cols]


def _collides(conn: Connection, table: Table, row, column: Column, value) -> bool:
    """Whether a unique constraint would refuse ``value`` in ``row``'s ``column``."""
    for cols in _unique_sets(table, column):
        wanted = [value if c is column else getattr(row, c.name) for c in cols]
        if None in wanted:
            continue  # NULLs never collide
        if conn.scalar(
            select(func.count()).select_from(table).where(tuple_(*cols) == tuple_(*wanted))
        ):
            return True
    return False


def _new_value(data: st.DataObject, conn: Connection, table: Table, row, column: Column):
    current = getattr(row, column.name)
    nothing = [None] if column.nullable and current is not None else []
    if column.foreign_keys:
        # another row it may point at: another network, contributor, account, year, entry
        (fk,) = column.foreign_keys
        others = conn.execute(select(fk.column).order_by(fk.column)).scalars()
        options = [v for v in others if v != current and not _collides(conn, table, row, column, v)]
        assume(options or nothing)
        return data.draw(st.sampled_from(options + nothing), label=column.name)
    kind = column.type
    if isinstance(kind, sqltypes.Integer):
        # ids, numbers and amounts are positive: the database's CHECKs refuse the rest
        top = 2**63 - 1 if isinstance(kind, sqltypes.BigInteger) else 2**31 - 1
        base: st.SearchStrategy = st.integers(1, top)
    elif isinstance(kind, Sha256):
        # another SHA-256 digest (hex in Python; 32 bytes on PostgreSQL, hex text on SQLite)
        base = st.binary(min_size=32, max_size=32).map(bytes.hex)
    elif isinstance(kind, sqltypes.String):
        base = st.text(_TEXT, max_size=kind.length or 500)
        if kind.length:  # half of them as long as the column, what a hash or currency must be
            base = base | st.text(_TEXT, min_size=kind.length, max_size=kind.length)
    elif isinstance(kind, sqltypes.Date) and not isinstance(kind, sqltypes.DateTime):
        base = st.dates(date(1900, 1, 1), date(2199, 12, 31))
    else:
        pytest.fail(
            f"{table.name}.{column.name} ({kind}): no way to change it here yet; cover it with "
            "the hash chain and add its type, or list it in NOT_CONTENT with the reason"
        )
    value = data.draw(
        (st.one_of(st.none(), base) if nothing else base).filter(lambda v: v != current),
        label=column.name,
    )
    assume(not _collides(conn, table, row, column, value))
    return value


def _run_verify(app):
    return app.test_cli_runner().invoke(
        kassan, ["ledger", "verify"], obj=ScriptInfo(create_app=lambda: app)
    )


@pytest.mark.parametrize("name", CHECKED)
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,  # the same changes on every run: a failure is reproducible
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_verify_names_the_entry_whose_column_was_changed_behind_the_apps_back(
    app, books, name, data
):
    table_name, column_name = name.split(".")
    table = next(tb for tb in TABLES if tb.name == table_name)
    column = table.c[column_name]
    pk = [c.name for c in table.primary_key.columns]
    with books.connect() as conn:
        rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
        row = data.draw(st.sampled_from(rows), label="row")
        value = _new_value(data, conn, table, row, column)
    key = {c: getattr(row, c) for c in pk}
    try:
        _behind_the_apps_back(books, table, key, column_name, value)
    except IntegrityError:
        reject()  # a CHECK refused it (an amount on the other side, reverses_id >= id): no
        # one can store it, so there is nothing for verify to find
    try:
        result = _run_verify(app)
    finally:
        changed_key = {c: (value if c == column_name else v) for c, v in key.items()}
        _behind_the_apps_back(books, table, changed_key, column_name, getattr(row, column_name))

    if table is t.journal_entries:
        named = value if column_name == "id" else row.id
    elif column_name == "entry_id":
        named = min(row.entry_id, value)  # the line left one entry for another: both changed,
        # and verify reports the first in the chain
    else:
        named = row.entry_id
    assert result.exit_code == 1, result.output
    assert any(line.startswith(f"FEL entry {named} (") for line in result.output.splitlines()), (
        result.output
    )
    with books.connect() as conn:
        assert verify(conn).ok  # changed back, the books prove clean: the change was caught
