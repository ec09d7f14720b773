"""A bank line in suspense can be taken over by a Stripe payout (allocation kind ``payout``):
the statement showed the payout before Stripe's ``payout.paid`` came, and the payout's entry
then moves the line's money 2890 / 1580 instead of booking 1930 a second time.

The allocation-kind CHECK takes one more value. As in 0013: SQLite cannot alter a CHECK, and
rebuilding bank_line_allocations would drop nothing but is not needed for a CHECK that only
widens, so the stored definition is edited the way SQLite documents ("writable_schema"); every
stored row stays valid.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('expected','network','returned','not_ours')"
NEW_KINDS = "kind IN ('expected','network','returned','not_ours','payout')"
_NAME = "ck_bank_line_allocations_kind"


def _kinds(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.execute(f"ALTER TABLE bank_line_allocations DROP CONSTRAINT {_NAME}")
        op.execute(f"ALTER TABLE bank_line_allocations ADD CONSTRAINT {_NAME} CHECK ({new})")
        return
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' "
        "AND name = 'bank_line_allocations'",
        (old, new),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    stored = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'bank_line_allocations'"
    ).scalar_one()
    if new not in stored:
        raise RuntimeError("bank_line_allocations: the kind CHECK was not found to widen")


def upgrade() -> None:
    _kinds(OLD_KINDS, NEW_KINDS)


def downgrade() -> None:
    taken = op.get_bind().exec_driver_sql(
        "SELECT count(*) FROM bank_line_allocations WHERE kind = 'payout'"
    )
    if taken.scalar_one():
        raise RuntimeError(
            "bank lines are taken over by Stripe payouts; a downgrade would leave their money "
            "unexplained: reverse those entries first"
        )
    _kinds(NEW_KINDS, OLD_KINDS)
