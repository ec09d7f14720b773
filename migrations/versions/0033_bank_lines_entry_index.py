"""An index on ``bank_lines.entry_id`` (issue 14, bank imports on a ledger with years of lines).

The matcher asks, for every Swish payment and Stripe payout it could pair with a bank line,
whether a bank line already claims that entry (``bank_lines.entry_id = <entry>``). Without an
index each such question read every bank line ever imported, so an import slowed with the age of
the ledger: with 200,000 bank lines on file, the question cost a full scan for each candidate.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_bank_lines_entry_id", "bank_lines", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_bank_lines_entry_id", table_name="bank_lines")
