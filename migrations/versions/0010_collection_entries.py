"""Card money given on a collection's page, linked to the entries that booked it: each charge
(kind ``gift``) and each refund or dispute of it (kind ``refund``), written in the same
transaction as the entry, so the collection's progress is read from the ledger, not from the
gift's status. One row per entry at most (UNIQUE), so a repeated event links nothing twice.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"), nullable=False),
        sa.Column(
            "entry_id",
            sa.BigInteger,
            sa.ForeignKey("journal_entries.id"),
            nullable=False,
            unique=True,
        ),
        # a refund's row names the gift entry it reduces, so a gift wholly refunded is not shown
        sa.Column("of_entry_id", sa.BigInteger, sa.ForeignKey("journal_entries.id")),
        sa.Column("gift_id", sa.Integer, sa.ForeignKey("gifts.id")),  # for the shown first name
        sa.Column("kind", sa.String(6), nullable=False),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("booked_on", sa.Date, nullable=False),
        sa.CheckConstraint("kind IN ('gift','refund')", name="ck_collection_entries_kind"),
        sa.CheckConstraint("amount_ore > 0", name="ck_collection_entries_amount"),
        sa.CheckConstraint(
            "kind = 'gift' OR of_entry_id IS NOT NULL", name="ck_collection_entries_refund_of"
        ),
    )
    op.create_index("ix_collection_entries", "collection_entries", ["collection_id"])


def downgrade() -> None:
    op.drop_index("ix_collection_entries", "collection_entries")
    op.drop_table("collection_entries")
