"""The funding gap's other tables besides the journal under migration 0031's change mark
(issue 14, the warm dashboard): networks, network budgets, Autogiro debits and recurring Swish
payments. With these, every table the funding gap reads either raises ``funding_change_mark``
when it changes or changes only with a posting (the kept balances and the journal, which move
with the ledger head), so ``reports.funding`` can keep a whole funding gap per process under the
ledger head and the mark. The same triggers as 0031: a row trigger per kind of change on
SQLite, the deferred once-per-transaction ``funding_change_mark_bump`` on PostgreSQL.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

TABLES = ("networks", "network_budgets", "autogiro_debits", "swish_recurring_payments")
CHANGES = ("INSERT", "UPDATE", "DELETE")
BUMP = "UPDATE funding_change_mark SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER tr_{table}_funding_mark "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION funding_change_mark_bump()"
            )
        return
    for table in TABLES:
        for change in CHANGES:
            op.execute(
                f"CREATE TRIGGER tr_{table}_funding_mark_{change.lower()} "
                f"AFTER {change} ON {table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    for table in TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER tr_{table}_funding_mark ON {table}")
        else:
            for change in CHANGES:
                op.execute(f"DROP TRIGGER tr_{table}_funding_mark_{change.lower()}")
