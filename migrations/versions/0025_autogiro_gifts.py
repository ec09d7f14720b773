"""Autogiro from the gift form (issue 15): a gift's channel may be ``autogiro`` (the CHECK
widens), and a mandate names the monthly gift it was given for (``gift_id``, UNIQUE: one
mandate per gift, so a double submit of the form makes no second mandate).

As in 0013: SQLite cannot alter a CHECK and rebuilding ``gifts`` would trip the foreign keys
that point at it, so its stored definition is widened in place (every stored row stays valid);
ADD COLUMN with REFERENCES keeps ``autogiro_mandates`` as it is.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

OLD = "channel IN ('card','swish','bankgiro','invoice')"
NEW = "channel IN ('card','swish','bankgiro','invoice','autogiro')"


def _channels(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.execute("ALTER TABLE gifts DROP CONSTRAINT ck_gifts_channel")
        op.execute(f"ALTER TABLE gifts ADD CONSTRAINT ck_gifts_channel CHECK ({new})")
        return
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'gifts'",
        (old, new),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    stored = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'gifts'"
    ).scalar_one()
    if new not in stored:
        raise RuntimeError("gifts: the channel CHECK was not found to widen")


def upgrade() -> None:
    _channels(OLD, NEW)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE autogiro_mandates ADD COLUMN gift_id INTEGER REFERENCES gifts(id)")
    else:
        op.add_column(
            "autogiro_mandates", sa.Column("gift_id", sa.Integer, sa.ForeignKey("gifts.id"))
        )
    op.create_index("uq_autogiro_mandates_gift", "autogiro_mandates", ["gift_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_autogiro_mandates_gift", "autogiro_mandates")
    with op.batch_alter_table("autogiro_mandates") as batch:
        batch.drop_column("gift_id")
    op.execute("DELETE FROM gifts WHERE channel = 'autogiro'")
    _channels(NEW, OLD)
