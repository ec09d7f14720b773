"""Recurring Swish: the consents donors approve in the Swish app, and the monthly payments
Kassan makes against them (Swish's Recurring payments API v1).

A consent belongs to one monthly gift (one row per attempt, as for payment requests); a
recurring payment belongs to one consent, one month and one attempt (1, or 2 for the one retry
after a declined or failed charge), so ``UNIQUE (consent_id, month, attempt)`` makes a second
run of the month's charge make nothing new.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.func.current_timestamp()

CONSENT_STATUSES = "('NEW','PENDING','ACTIVE','DECLINED','CANCELLED','ERROR')"
CHARGE_STATUSES = "('NEW','CREATED','PAID','DECLINED','ERROR')"


def upgrade() -> None:
    op.create_table(
        "swish_consents",
        sa.Column("consent_id", sa.String(32), primary_key=True),  # ours, 32 upper-case hex
        sa.Column("gift_id", sa.Integer, sa.ForeignKey("gifts.id"), nullable=False),
        sa.Column(
            "expected_payment_id", sa.Integer, sa.ForeignKey("expected_payments.id"), nullable=False
        ),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("payee_payment_reference", sa.String(35), nullable=False),
        sa.Column("payer_alias", sa.String(15)),  # NULL: m-commerce (QR or the app on this phone)
        sa.Column("status", sa.String(10), nullable=False, server_default="NEW"),
        sa.Column("token", sa.String(100)),  # m-commerce PaymentRequestToken
        sa.Column("error_code", sa.String(20)),
        sa.Column("error_message", sa.String(500)),
        sa.Column("activated_at", TS),
        sa.Column("ended_at", TS),
        sa.Column("ended_by", sa.String(10)),  # payer (in the app), merchant (the stop link)
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("gift_id", "attempt", name="uq_swish_consents_gift_attempt"),
        sa.CheckConstraint(f"status IN {CONSENT_STATUSES}", name="ck_swish_consents_status"),
        sa.CheckConstraint(
            "ended_by IS NULL OR ended_by IN ('payer','merchant')", name="ck_swish_consents_ended"
        ),
    )
    op.create_index("ix_swish_consents_status", "swish_consents", ["status"])
    op.create_table(
        "swish_recurring_payments",
        sa.Column("payment_id", sa.String(32), primary_key=True),  # ours, from consent+month+try
        sa.Column(
            "consent_id",
            sa.String(32),
            sa.ForeignKey("swish_consents.consent_id"),
            nullable=False,
        ),
        sa.Column("month", sa.String(7), nullable=False),  # YYYY-MM
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("payee_payment_reference", sa.String(35), nullable=False),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("message", sa.String(50), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="NEW"),
        # Swish's paymentReference once PAID: what the once-only booking key is made of
        sa.Column("payment_reference", sa.String(36), unique=True),
        sa.Column("error_code", sa.String(20)),
        sa.Column("error_message", sa.String(500)),
        sa.Column("date_paid", TS),
        sa.Column("entry_id", BigId, sa.ForeignKey("journal_entries.id")),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint(
            "consent_id", "month", "attempt", name="uq_swish_recurring_consent_month_attempt"
        ),
        sa.CheckConstraint("amount_ore > 0", name="ck_swish_recurring_amount"),
        sa.CheckConstraint("attempt IN (1, 2)", name="ck_swish_recurring_attempt"),
        sa.CheckConstraint(f"status IN {CHARGE_STATUSES}", name="ck_swish_recurring_status"),
    )
    op.create_index("ix_swish_recurring_status", "swish_recurring_payments", ["status"])


def downgrade() -> None:
    op.drop_table("swish_recurring_payments")
    op.drop_table("swish_consents")
