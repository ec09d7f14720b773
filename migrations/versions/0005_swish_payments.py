"""Swish Handel: the payment requests Kassan made through the Swish API, and their refunds.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.func.current_timestamp()

PAYMENT_STATUSES = "('NEW','CREATED','PAID','DECLINED','ERROR','CANCELLED')"
REFUND_STATUSES = "('NEW','CREATED','DEBITED','PAID','ERROR')"


def upgrade() -> None:
    op.create_table(
        "swish_payments",
        # our instructionUUID: 32 upper-case hex digits, made from the gift and the attempt
        sa.Column("instruction_id", sa.String(32), primary_key=True),
        sa.Column("gift_id", sa.Integer, sa.ForeignKey("gifts.id"), nullable=False),
        sa.Column(
            "expected_payment_id",
            sa.Integer,
            sa.ForeignKey("expected_payments.id"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer, nullable=False),
        # the expected payment's reference; the bank's Swish report shows it as the order id
        sa.Column("payee_payment_reference", sa.String(35), nullable=False),
        sa.Column("payer_alias", sa.String(15)),  # NULL: m-commerce (the app on this phone)
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("message", sa.String(50), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="NEW"),
        sa.Column("token", sa.String(100)),  # m-commerce PaymentRequestToken
        # Swish's paymentReference once PAID: what the once-only booking key is made of
        sa.Column("payment_reference", sa.String(36), unique=True),
        sa.Column("error_code", sa.String(20)),
        sa.Column("error_message", sa.String(500)),
        sa.Column("date_paid", TS),
        sa.Column("entry_id", BigId, sa.ForeignKey("journal_entries.id")),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("gift_id", "attempt", name="uq_swish_payments_gift_attempt"),
        sa.CheckConstraint("amount_ore > 0", name="ck_swish_payments_amount"),
        sa.CheckConstraint(f"status IN {PAYMENT_STATUSES}", name="ck_swish_payments_status"),
    )
    op.create_index(
        "ix_swish_payments_payee_reference", "swish_payments", ["payee_payment_reference"]
    )
    op.create_table(
        "swish_refunds",
        sa.Column("instruction_id", sa.String(32), primary_key=True),
        sa.Column(
            "payment_instruction_id",
            sa.String(32),
            sa.ForeignKey("swish_payments.instruction_id"),
            nullable=False,
        ),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("status", sa.String(10), nullable=False, server_default="NEW"),
        sa.Column("payment_reference", sa.String(36), unique=True),
        sa.Column("error_code", sa.String(20)),
        sa.Column("error_message", sa.String(500)),
        sa.Column("date_paid", TS),
        sa.Column("entry_id", BigId, sa.ForeignKey("journal_entries.id")),
        sa.Column("created_by", sa.String(254)),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("amount_ore > 0", name="ck_swish_refunds_amount"),
        sa.CheckConstraint(f"status IN {REFUND_STATUSES}", name="ck_swish_refunds_status"),
    )
    op.create_index("ix_swish_refunds_payment", "swish_refunds", ["payment_instruction_id"])


def downgrade() -> None:
    op.drop_table("swish_refunds")
    op.drop_table("swish_payments")
