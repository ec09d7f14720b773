"""Smaller ledger indexes (issue 14, database size per million lines).

``ix_lines_account`` and ``ix_lines_network`` were on ``(account, entry_id)`` and
``(network_id, entry_id)``: every key unique, so a full index tuple per journal line (30 MiB
each per million lines on PostgreSQL). Their readers (the entry list's account and network
filters, an ``EXISTS`` per entry; PostgreSQL's guards against removing an account or network
that lines use; the dashboard's and the pledges' reads of gift income) ask by account or
network alone, and the table's primary key already orders lines by entry. On one column PostgreSQL (13 and later)
stores each account or network once with the list of its lines (B-tree deduplication), about a
fifth of the size. On SQLite ``journal_lines`` is a WITHOUT ROWID table, so its indexes carry
the primary key ``(entry_id, line_no)`` either way: the same index, rebuilt.

``uq_entries_reverses`` held a key for every entry although only reversals have one; on
PostgreSQL it becomes a partial unique index over the reversals. SQLite cannot drop a UNIQUE
constraint of a table without rebuilding it, and journal_entries is referenced by a dozen
tables, so it keeps its constraint (same rule, somewhat larger).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def _line_indexes(*, lean: bool) -> None:
    for name, column in (("ix_lines_account", "account"), ("ix_lines_network", "network_id")):
        op.drop_index(name, table_name="journal_lines")
        op.create_index(name, "journal_lines", [column] if lean else [column, "entry_id"])


def upgrade() -> None:
    _line_indexes(lean=True)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("uq_entries_reverses", "journal_entries", type_="unique")
        op.create_index(
            "uq_entries_reverses",
            "journal_entries",
            ["reverses_id"],
            unique=True,
            postgresql_where=sa.text("reverses_id IS NOT NULL"),
        )


def downgrade() -> None:
    _line_indexes(lean=False)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("uq_entries_reverses", table_name="journal_entries")
        op.create_unique_constraint("uq_entries_reverses", "journal_entries", ["reverses_id"])
