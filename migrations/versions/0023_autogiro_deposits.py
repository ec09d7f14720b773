"""Autogiro deposits (issue 15, money once): each TK15 section of a payment specification (the
day's approved debits, which Bankgirot puts into our bank account as one credit), the bank line
that is that credit (UNIQUE: a bank line is one deposit), and the section's entries (UNIQUE: an
entry belongs to one deposit). Whichever comes first, the specification or the bank file, the
other confirms it, so the money is on 1930 once.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "autogiro_deposits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_id", sa.Integer, sa.ForeignKey("autogiro_files.id"), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("bank_line_id", BigId, sa.ForeignKey("bank_lines.id")),
        sa.Column("bank_first", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("file_id", "line", name="uq_autogiro_deposits_section"),
        sa.UniqueConstraint("bank_line_id", name="uq_autogiro_deposits_bank_line"),
        sa.CheckConstraint("amount_ore > 0", name="ck_autogiro_deposits_amount"),
    )
    op.create_table(
        "autogiro_deposit_entries",
        sa.Column("deposit_id", sa.Integer, sa.ForeignKey("autogiro_deposits.id"), nullable=False),
        sa.Column("entry_id", BigId, sa.ForeignKey("journal_entries.id"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("autogiro_deposit_entries")
    op.drop_table("autogiro_deposits")
