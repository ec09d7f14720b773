"""Our bank accounts (issue 11, rule 4): only a statement or notification for an account listed
here is imported, and each account names the ledger account its money books to (1930, 1940,
...). ``number`` is the account as stored after normalising: an IBAN in its compact form
(``SE4550000000058398257466``) or a Swedish account as clearing number, a hyphen and the
account number (``8327-9123456789``).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(34), nullable=False, unique=True),
        sa.Column("ledger_account", sa.String(4), sa.ForeignKey("accounts.code"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.current_timestamp(),
        ),
    )


def downgrade() -> None:
    op.drop_table("bank_accounts")
