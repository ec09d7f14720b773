"""Autogiro money out, once (issue 15): a payment specification's TK16/TK17 section (payouts and
refunds to payers) leaves our bank account as one debit, which the bank's camt reports too. It
is kept in ``autogiro_deposits`` as a deposit of negative amount (signed as a bank line: money
out below zero), so the bank's debit line confirms it as a credit line confirms a TK15 section.
The CHECK widens from ``amount_ore > 0`` to ``amount_ore <> 0``.

As in 0025: SQLite cannot alter a CHECK and rebuilding the table would trip the foreign key
that points at it, so its stored definition is widened in place (every stored row stays valid).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

OLD = "amount_ore > 0"
NEW = "amount_ore <> 0"


def _check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.execute("ALTER TABLE autogiro_deposits DROP CONSTRAINT ck_autogiro_deposits_amount")
        op.execute(
            f"ALTER TABLE autogiro_deposits ADD CONSTRAINT ck_autogiro_deposits_amount CHECK ({new})"
        )
        return
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
        "WHERE type = 'table' AND name = 'autogiro_deposits'",
        (old, new),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    stored = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'autogiro_deposits'"
    ).scalar_one()
    if new not in stored:
        raise RuntimeError("autogiro_deposits: the amount CHECK was not found to widen")


def upgrade() -> None:
    _check(OLD, NEW)


def downgrade() -> None:
    op.execute(
        "DELETE FROM autogiro_deposit_entries WHERE deposit_id IN "
        "(SELECT id FROM autogiro_deposits WHERE amount_ore < 0)"
    )
    op.execute("DELETE FROM autogiro_deposits WHERE amount_ore < 0")
    _check(NEW, OLD)
