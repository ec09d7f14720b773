"""Bank-file imports: each imported file (stored whole, in chunks), its payment lines with how
each was matched and booked, and the finance desk's allocations of what sits in suspense.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.func.current_timestamp()

MATCH_KINDS = "('ocr','text','amount_name','confirmed','unmatched')"
ALLOCATION_KINDS = "('expected','network','returned','not_ours')"


def upgrade() -> None:
    op.create_table(
        "bank_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        # the same file imported twice is refused by this, also from two processes at once
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("imported_at", TS, nullable=False, server_default=NOW),
        sa.Column("imported_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("line_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("credit_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("credit_ore", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("debit_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("debit_ore", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("booked_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("confirmed_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("matched_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unmatched_count", sa.Integer, nullable=False, server_default="0"),
        # JSON: the file's own control totals; for camt.053 opening/closing balance per account
        sa.Column("summary", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_table(
        "bank_import_chunks",
        sa.Column("import_id", sa.Integer, sa.ForeignKey("bank_imports.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),  # at most 1 MiB each
    )
    op.create_table(
        "bank_lines",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("bank_imports.id"), nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        # the payment in the world; not unique: the same payment is in several files
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("booking_date", sa.Date, nullable=False),
        sa.Column("value_date", sa.Date),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("reference", sa.String(35)),
        sa.Column("message", sa.String(500)),
        sa.Column("payer_name", sa.String(140)),
        sa.Column("payer_account", sa.String(50)),
        sa.Column("account", sa.String(50)),
        sa.Column("channel", sa.String(20)),
        sa.Column("match_kind", sa.String(12), nullable=False),
        sa.Column("expected_payment_id", sa.Integer, sa.ForeignKey("expected_payments.id")),
        sa.Column("entry_id", BigId, sa.ForeignKey("journal_entries.id")),
        sa.Column("open_ore", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("note", sa.String(500)),
        sa.UniqueConstraint("import_id", "line_no", name="uq_bank_lines_import_line"),
        sa.CheckConstraint("direction IN ('in','out')", name="ck_bank_lines_direction"),
        sa.CheckConstraint("amount_ore > 0", name="ck_bank_lines_amount"),
        sa.CheckConstraint("open_ore >= 0", name="ck_bank_lines_open"),
        sa.CheckConstraint(f"match_kind IN {MATCH_KINDS}", name="ck_bank_lines_match_kind"),
    )
    op.create_index("ix_bank_lines_key", "bank_lines", ["key"])
    op.create_index("ix_bank_lines_open", "bank_lines", ["open_ore"])
    op.create_table(
        "bank_line_allocations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("line_id", BigId, sa.ForeignKey("bank_lines.id"), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("expected_payment_id", sa.Integer, sa.ForeignKey("expected_payments.id")),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id")),
        sa.Column("contributor_id", sa.Integer, sa.ForeignKey("contributors.id")),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("entry_id", BigId, sa.ForeignKey("journal_entries.id")),
        sa.Column("note", sa.String(500)),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("reversal_entry_id", BigId, sa.ForeignKey("journal_entries.id")),
        sa.CheckConstraint("amount_ore > 0", name="ck_bank_line_allocations_amount"),
        sa.CheckConstraint(f"kind IN {ALLOCATION_KINDS}", name="ck_bank_line_allocations_kind"),
    )
    op.create_index("ix_bank_line_allocations_line", "bank_line_allocations", ["line_id"])
    # one allocation per entry, and one undo per allocation: a race cannot share either
    op.create_index(
        "uq_bank_line_allocations_entry", "bank_line_allocations", ["entry_id"], unique=True
    )
    op.create_index(
        "uq_bank_line_allocations_reversal",
        "bank_line_allocations",
        ["reversal_entry_id"],
        unique=True,
    )
    # A receipt is never removed: an undone one names the entry that reversed it, and no longer
    # counts towards its expected payment (``expected.reverse_receipt``).
    # Not batch mode: on SQLite that copies the table and would drop its no-delete trigger.
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(
            "expected_payment_receipts",
            sa.Column("reversal_entry_id", sa.BigInteger, sa.ForeignKey("journal_entries.id")),
        )
    else:
        op.execute(
            "ALTER TABLE expected_payment_receipts "
            "ADD COLUMN reversal_entry_id INTEGER REFERENCES journal_entries (id)"
        )


def downgrade() -> None:
    op.execute("ALTER TABLE expected_payment_receipts DROP COLUMN reversal_entry_id")
    op.drop_table("bank_line_allocations")
    op.drop_table("bank_lines")
    op.drop_table("bank_import_chunks")
    op.drop_table("bank_imports")
