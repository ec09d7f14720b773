"""Gifts from the donor pages, the Stripe webhook inbox and the e-mail outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
NOW = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "gifts",
        sa.Column("id", sa.Integer, primary_key=True),
        # in URLs, Stripe metadata and idempotency keys; never the sequential id
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id")),
        sa.Column("contributor_id", sa.Integer, sa.ForeignKey("contributors.id")),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("frequency", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("donor_kind", sa.String(12), nullable=False),
        sa.Column("donor_name", sa.String(200), nullable=False),
        sa.Column("donor_email", sa.String(254), nullable=False),
        sa.Column("organisation_number", sa.String(20)),
        sa.Column("personnummer_enc", sa.Text),  # Fernet token, never the clear number
        sa.Column("consent_contact", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("locale", sa.String(5), nullable=False, server_default="sv"),
        sa.Column("stripe_checkout_session_id", sa.String(255), unique=True),
        sa.Column("stripe_payment_intent_id", sa.String(255), unique=True),
        sa.Column("stripe_customer_id", sa.String(255)),
        sa.Column("stripe_subscription_id", sa.String(255), unique=True),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("amount_ore > 0", name="ck_gifts_amount"),
        sa.CheckConstraint("frequency IN ('once','monthly')", name="ck_gifts_frequency"),
        sa.CheckConstraint(
            "channel IN ('card','swish','bankgiro','invoice')", name="ck_gifts_channel"
        ),
        sa.CheckConstraint(
            "status IN ('pending','paid','active','failed','cancelled','refunded','disputed')",
            name="ck_gifts_status",
        ),
        sa.CheckConstraint("donor_kind IN ('person','organisation')", name="ck_gifts_kind"),
    )
    op.create_index("ix_gifts_email", "gifts", ["donor_email"])
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(255), primary_key=True),  # Stripe's evt_... id
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("livemode", sa.Boolean, nullable=False),
        sa.Column("created", sa.BigInteger, nullable=False),  # Stripe's own timestamp
        sa.Column("payload", sa.Text, nullable=False),  # the verified raw body
        sa.Column("received_at", TS, nullable=False, server_default=NOW),
        sa.Column("processed_at", TS),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_stripe_events_pending", "stripe_events", ["processed_at", "received_at"])
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("to_addr", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("next_attempt_at", TS, nullable=False, server_default=NOW),
        sa.Column("sent_at", TS),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_outbox_due", "email_outbox", ["sent_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("email_outbox")
    op.drop_table("stripe_events")
    op.drop_table("gifts")
