"""Account 2068, "Vinst eller förlust från föregående år": the results of earlier years that
the SIE export carries to equity, and that the SIE import books when a file's opening balances
come from books not yet closed for the year before. Until now both used 2069 (årets resultat),
which BAS keeps for the year's own result. A ledger that imported a SIE file may already hold
2068 (the import adds the accounts a file names), so it is added only where it is missing.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ACCOUNT = {
    "code": "2068",
    "name": "Vinst eller förlust från föregående år",
    "type": "equity",
    "side": "credit",
}


def upgrade() -> None:
    conn = op.get_bind()
    found = conn.execute(
        sa.text("SELECT 1 FROM accounts WHERE code = :code"), {"code": _ACCOUNT["code"]}
    ).first()
    if found is None:
        conn.execute(
            sa.text(
                "INSERT INTO accounts (code, name, type, normal_side, active) "
                "VALUES (:code, :name, :type, :side, :active)"
            ),
            {**_ACCOUNT, "active": True},
        )


def downgrade() -> None:
    # Only while nothing is booked on it: posted lines are never deleted.
    op.get_bind().execute(
        sa.text(
            "DELETE FROM accounts WHERE code = :code "
            "AND NOT EXISTS (SELECT 1 FROM journal_lines WHERE account = :code)"
        ),
        {"code": _ACCOUNT["code"]},
    )
