"""Autogiro (issue 15): mandates keyed by their payer number, each mandate's history, the files
to and from Bankgirot (kept whole, with their hash), and one debit order per mandate and month
(unique, so ``kassan autogiro payments-out`` run twice for a month orders nothing twice).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "autogiro_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("month", sa.String(7)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "autogiro_mandates",
        sa.Column("payer_number", sa.Integer, primary_key=True),
        sa.Column(
            "contributor_id", sa.Integer, sa.ForeignKey("contributors.id"), nullable=False
        ),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id")),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("identity_enc", sa.Text, nullable=False),
        sa.Column("identity_masked", sa.String(13), nullable=False),
        sa.Column("clearing", sa.String(5), nullable=False),
        sa.Column("account_enc", sa.Text, nullable=False),
        sa.Column("account_masked", sa.String(20), nullable=False),
        sa.Column("consent_text", sa.Text, nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("tk03_pending", sa.Boolean, nullable=False),
        sa.Column("sent_file_id", sa.Integer, sa.ForeignKey("autogiro_files.id")),
        sa.Column("cancel_file_id", sa.Integer, sa.ForeignKey("autogiro_files.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_ore > 0", name="ck_autogiro_mandates_amount"),
    )
    op.create_table(
        "autogiro_mandate_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "payer_number",
            sa.Integer,
            sa.ForeignKey("autogiro_mandates.payer_number"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index(
        "ix_autogiro_mandate_events_payer", "autogiro_mandate_events", ["payer_number"]
    )
    op.create_table(
        "autogiro_debits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "payer_number",
            sa.Integer,
            sa.ForeignKey("autogiro_mandates.payer_number"),
            nullable=False,
        ),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("file_id", sa.Integer, sa.ForeignKey("autogiro_files.id"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("entry_id", BigId, sa.ForeignKey("journal_entries.id")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("payer_number", "month", name="uq_autogiro_debits_month"),
    )


def downgrade() -> None:
    op.drop_table("autogiro_debits")
    op.drop_index("ix_autogiro_mandate_events_payer", "autogiro_mandate_events")
    op.drop_table("autogiro_mandate_events")
    op.drop_table("autogiro_mandates")
    op.drop_table("autogiro_files")
