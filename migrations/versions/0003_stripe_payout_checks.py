"""Stripe payout reconciliation: one row per payout, with any difference for finance to see.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stripe_payout_checks",
        sa.Column("payout_id", sa.String(255), primary_key=True),  # Stripe's po_... id
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payout_ore", sa.BigInteger, nullable=False),
        # sum of the net of the payout's balance transactions (the payout's own excluded)
        sa.Column("transactions_ore", sa.BigInteger, nullable=False),
        sa.Column("difference_ore", sa.BigInteger, nullable=False),
        sa.Column("transaction_count", sa.Integer, nullable=False),
        sa.Column(
            "checked_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.current_timestamp(),
        ),
    )
    op.create_index(
        "ix_stripe_payout_checks_difference", "stripe_payout_checks", ["difference_ore"]
    )


def downgrade() -> None:
    op.drop_table("stripe_payout_checks")
