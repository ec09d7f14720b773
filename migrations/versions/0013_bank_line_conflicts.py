"""A bank line whose key is booked already with other content is a conflict, not a
confirmation (issue 11, rule 1): the line is stored with ``match_kind = 'conflict'``, booked
nowhere, and names the entry it collides with in ``conflict_entry_id`` so the finance desk can
show both; each import counts its conflicts in ``conflict_count``.

ADD COLUMN keeps the tables as they are (on SQLite a batch copy would drop their triggers);
SQLite takes a REFERENCES clause in ADD COLUMN, which Alembic's SQLite dialect will not write.
The match-kind CHECK takes one more value. SQLite cannot alter a CHECK, and rebuilding
bank_lines would trip the foreign keys of the allocations that point at it, so the table's
stored definition is edited the way SQLite documents for a CHECK that only widens
(https://www.sqlite.org/lang_altertable.html, "writable_schema"): every stored row stays valid.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


OLD_KINDS = "match_kind IN ('ocr','text','amount_name','confirmed','unmatched')"
NEW_KINDS = "match_kind IN ('ocr','text','amount_name','confirmed','unmatched','conflict')"


def _match_kinds(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.execute("ALTER TABLE bank_lines DROP CONSTRAINT ck_bank_lines_match_kind")
        op.execute(f"ALTER TABLE bank_lines ADD CONSTRAINT ck_bank_lines_match_kind CHECK ({new})")
        return
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' "
        "AND name = 'bank_lines'",
        (old, new),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    stored = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'bank_lines'"
    ).scalar_one()
    if new not in stored:
        raise RuntimeError("bank_lines: the match-kind CHECK was not found to widen")


def upgrade() -> None:
    _match_kinds(OLD_KINDS, NEW_KINDS)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE bank_lines ADD COLUMN conflict_entry_id INTEGER "
            "REFERENCES journal_entries(id)"
        )
    else:
        op.add_column(
            "bank_lines",
            sa.Column("conflict_entry_id", sa.BigInteger, sa.ForeignKey("journal_entries.id")),
        )
    op.add_column(
        "bank_imports",
        sa.Column("conflict_count", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM bank_lines WHERE match_kind = 'conflict'")
    _match_kinds(NEW_KINDS, OLD_KINDS)
    with op.batch_alter_table("bank_imports") as batch:
        batch.drop_column("conflict_count")
    with op.batch_alter_table("bank_lines") as batch:
        batch.drop_column("conflict_entry_id")
