"""Expected payments: one row per thing we expect money for, each with its own OCR reference,
the receipts matched to it, and the counter that hands out reference serials.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.func.current_timestamp()

# The first serial handed out is FIRST_SERIAL + 1: six digits, so every reference is at least
# eight digits long, never starts with a zero, and is not found by accident in free text.
FIRST_SERIAL = 100000

GIFT_KINDS = "kind IN ('gift','monthly_gift')"

STATUSES = "('open','partly_paid','paid','overdue','written_off','cancelled')"


def upgrade() -> None:
    op.create_table(
        "reference_counters",
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("last_value", sa.BigInteger, nullable=False),
    )
    op.execute(f"INSERT INTO reference_counters (name, last_value) VALUES ('ocr', {FIRST_SERIAL})")
    op.create_table(
        "expected_payments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(25), nullable=False, unique=True),
        # a string, not an enum: pledges (issue 5) and invoices/collections (issue 7) add kinds
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("gift_id", sa.Integer, sa.ForeignKey("gifts.id")),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id")),
        sa.Column("contributor_id", sa.Integer, sa.ForeignKey("contributors.id")),
        sa.Column("amount_ore", sa.BigInteger),  # NULL: any amount is welcome
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("due_date", sa.Date),
        sa.Column("repeating", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(12), nullable=False, server_default="open"),
        sa.Column("paid_ore", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint(
            "amount_ore IS NULL OR amount_ore > 0", name="ck_expected_payments_amount"
        ),
        sa.CheckConstraint("paid_ore >= 0", name="ck_expected_payments_paid"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_expected_payments_status"),
    )
    op.create_index("ix_expected_payments_status", "expected_payments", ["status", "amount_ore"])
    # a gift has one reference of its own: a double submit of the form cannot make a second
    op.create_index(
        "uq_expected_payments_gift",
        "expected_payments",
        ["gift_id"],
        unique=True,
        sqlite_where=sa.text(GIFT_KINDS),
        postgresql_where=sa.text(GIFT_KINDS),
    )
    op.create_index("ix_expected_payments_contributor", "expected_payments", ["contributor_id"])
    op.create_table(
        "expected_payment_receipts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "expected_payment_id",
            sa.Integer,
            sa.ForeignKey("expected_payments.id"),
            nullable=False,
        ),
        sa.Column("entry_id", BigId, sa.ForeignKey("journal_entries.id"), nullable=False),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        # the part of amount_ore beyond what was still due, which the caller put in suspense
        sa.Column("surplus_ore", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        # names the payment in the world (bank reference, Swish payment reference), so the same
        # krona reported by two channels counts once
        sa.Column("source_key", sa.String(200), nullable=False, unique=True),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("amount_ore > 0", name="ck_expected_payment_receipts_amount"),
        sa.CheckConstraint(
            "surplus_ore >= 0 AND surplus_ore <= amount_ore",
            name="ck_expected_payment_receipts_surplus",
        ),
    )
    op.create_index(
        "ix_expected_payment_receipts_expected",
        "expected_payment_receipts",
        ["expected_payment_id"],
    )
    # a reference is never reused, so its row is never removed
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION expected_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'ledger: % rows are never removed', TG_TABLE_NAME;
            END $$
            """
        )
        for table in ("expected_payments", "expected_payment_receipts"):
            op.execute(
                f"""
                CREATE TRIGGER {table}_no_delete BEFORE DELETE OR TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION expected_refuse_delete()
                """
            )
    else:
        for table in ("expected_payments", "expected_payment_receipts"):
            op.execute(
                f"""
                CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
                BEGIN SELECT RAISE(ABORT, 'ledger: {table} rows are never removed'); END
                """
            )


def downgrade() -> None:
    op.drop_table("expected_payment_receipts")
    op.drop_table("expected_payments")
    op.drop_table("reference_counters")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION expected_refuse_delete()")
