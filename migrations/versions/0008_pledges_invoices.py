"""Pledges and invoices: a contributor's promise to give per period and its instalments; invoices
and credit notes in one unbroken number series, their lines and reminders; and attachments for
the e-mail outbox (an invoice goes out as a PDF).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.func.current_timestamp()

PERIODS = "('month','quarter','year')"
WAYS = "('invoice','bankgiro','card')"
KEPT = ("invoices", "invoice_lines", "invoice_reminders", "pledges", "pledge_instalments")


def upgrade() -> None:
    # Invoice numbers come from this row, taken under lock in the transaction that books the
    # invoice: a failed issue rolls the number back with it, so the series has no gaps.
    op.execute("INSERT INTO reference_counters (name, last_value) VALUES ('invoice', 0)")
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contributor_id", sa.Integer, sa.ForeignKey("contributors.id"), nullable=False),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id")),  # NULL: unrestricted
        sa.Column("amount_ore", sa.BigInteger, nullable=False),  # per period
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date),
        sa.Column("instalment_count", sa.Integer, nullable=False),
        sa.Column("payment_way", sa.String(8), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("amount_ore > 0", name="ck_pledges_amount"),
        sa.CheckConstraint(f"period IN {PERIODS}", name="ck_pledges_period"),
        sa.CheckConstraint(f"payment_way IN {WAYS}", name="ck_pledges_way"),
        sa.CheckConstraint(
            "instalment_count BETWEEN 1 AND 600", name="ck_pledges_instalment_count"
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name="ck_pledges_dates"
        ),
    )
    op.create_index("ix_pledges_contributor", "pledges", ["contributor_id"])
    op.create_table(
        "pledge_instalments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pledge_id", sa.Integer, sa.ForeignKey("pledges.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        # bankgiro instalments: their own OCR reference from the start
        sa.Column(
            "expected_payment_id",
            sa.Integer,
            sa.ForeignKey("expected_payments.id"),
            unique=True,
        ),
        sa.CheckConstraint("amount_ore > 0", name="ck_pledge_instalments_amount"),
        sa.CheckConstraint("seq >= 1", name="ck_pledge_instalments_seq"),
        sa.UniqueConstraint("pledge_id", "seq", name="uq_pledge_instalments_seq"),
    )
    op.create_index("ix_pledge_instalments_due", "pledge_instalments", ["due_date"])
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.Integer, nullable=False, unique=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("credits_invoice_id", sa.Integer, sa.ForeignKey("invoices.id")),
        # one invoice per instalment, whoever issues it and however often the run is started
        sa.Column(
            "pledge_instalment_id",
            sa.Integer,
            sa.ForeignKey("pledge_instalments.id"),
            unique=True,
        ),
        sa.Column("contributor_id", sa.Integer, sa.ForeignKey("contributors.id"), nullable=False),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id")),
        sa.Column("issue_date", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("total_ore", sa.BigInteger, nullable=False),
        sa.Column(
            "expected_payment_id",
            sa.Integer,
            sa.ForeignKey("expected_payments.id"),
            unique=True,
        ),
        sa.Column(
            "entry_id", BigId, sa.ForeignKey("journal_entries.id"), nullable=False, unique=True
        ),
        # the recipient as it stood when the invoice was issued: the document never changes
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("recipient_org_number", sa.String(11)),
        sa.Column("recipient_contact", sa.String(200)),
        sa.Column("recipient_address", sa.String(600)),  # lines joined by newlines
        sa.Column("recipient_email", sa.String(254)),
        sa.Column("sent_at", TS),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("number > 0", name="ck_invoices_number"),
        sa.CheckConstraint("total_ore > 0", name="ck_invoices_total"),
        sa.CheckConstraint("kind IN ('invoice','credit_note')", name="ck_invoices_kind"),
        sa.CheckConstraint(
            "(kind = 'credit_note') = (credits_invoice_id IS NOT NULL)",
            name="ck_invoices_credit_link",
        ),
        sa.CheckConstraint(
            "kind = 'credit_note' OR (expected_payment_id IS NOT NULL AND due_date IS NOT NULL)",
            name="ck_invoices_payable",
        ),
    )
    op.create_index("ix_invoices_credits", "invoices", ["credits_invoice_id"])
    op.create_index("ix_invoices_contributor", "invoices", ["contributor_id"])
    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoices.id"), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.CheckConstraint("amount_ore > 0", name="ck_invoice_lines_amount"),
    )
    op.create_table(
        "invoice_reminders",
        # reminder n of an invoice is made once, however often `invoices remind` runs
        sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoices.id"), primary_key=True),
        sa.Column("reminder_no", sa.Integer, primary_key=True),
        sa.Column("reminded_on", sa.Date, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("reminder_no >= 1", name="ck_invoice_reminders_no"),
    )
    op.create_table(
        "email_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "outbox_id", sa.Integer, sa.ForeignKey("email_outbox.id"), nullable=False, index=True
        ),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    # invoices are accounting documents (Bokföringslagen): kept, never removed
    if op.get_bind().dialect.name == "postgresql":
        for table in KEPT:
            op.execute(
                f"""
                CREATE TRIGGER {table}_no_delete BEFORE DELETE OR TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION expected_refuse_delete()
                """
            )
    else:
        for table in KEPT:
            op.execute(
                f"""
                CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
                BEGIN SELECT RAISE(ABORT, 'ledger: {table} rows are never removed'); END
                """
            )


def downgrade() -> None:
    op.drop_table("email_attachments")
    op.drop_table("invoice_reminders")
    op.drop_table("invoice_lines")
    op.drop_table("invoices")
    op.drop_table("pledge_instalments")
    op.drop_table("pledges")
    op.execute("DELETE FROM reference_counters WHERE name = 'invoice'")
