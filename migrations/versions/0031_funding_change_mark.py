"""A change mark for the funding gap's reads that are not journal lines (issue 14, the warm
dashboard): ``funding_change_mark`` (one row, id 1) holds a version that goes up with every
committed change of the tables the funding gap's monthly gifts and commitments read (gifts,
expected payments, Autogiro mandates and their events, pledges, their instalments, invoices),
so ``reports.funding.kept`` can keep those figures per process and know at once, by one read of
this row, when they no longer hold.

SQLite: a trigger per table and kind of change adds one (writers are one at a time there).
PostgreSQL: a deferred constraint trigger adds one at commit, once per transaction (a
transaction-local setting remembers it): the row's lock is the last one a writing transaction
takes, just before its commit, so it can close no circle of waits with the ledger head's lock
or any other, and holds it only through the commit.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

TABLES = (
    "gifts",
    "expected_payments",
    "autogiro_mandates",
    "autogiro_mandate_events",
    "pledges",
    "pledge_instalments",
    "invoices",
)
CHANGES = ("INSERT", "UPDATE", "DELETE")
BUMP = "UPDATE funding_change_mark SET version = version + 1 WHERE id = 1"

PG_FUNCTION = f"""
CREATE FUNCTION funding_change_mark_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('kassan.funding_change_marked', true) IS DISTINCT FROM
            txid_current()::text THEN
        {BUMP};
        PERFORM set_config('kassan.funding_change_marked', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "funding_change_mark",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO funding_change_mark (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
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
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER tr_{table}_funding_mark ON {table}")
        op.execute("DROP FUNCTION funding_change_mark_bump()")
    else:
        for table in TABLES:
            for change in CHANGES:
                op.execute(f"DROP TRIGGER tr_{table}_funding_mark_{change.lower()}")
    op.drop_table("funding_change_mark")
