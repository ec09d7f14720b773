"""Autogiro: mandates (the payer number is the row's key, so it never changes), their history,
the files to and from Bankgirot, and each month's debit order per mandate.

Personal data is stored as in ``contributors``: the identity number and the bank account number
only as Fernet tokens (``*_enc``), with a masked text to show.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ledger.db.schema.metadata import BigId, metadata

autogiro_files = Table(
    "autogiro_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("direction", String(3), nullable=False),  # "out" to Bankgirot, "in" from it
    Column("kind", String(40), nullable=False),  # "mandates", "payments" or a FileKind
    Column("filename", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("records", Integer, nullable=False),
    Column("month", String(7)),  # payment orders: the month they debit
    Column("created_at", DateTime(timezone=True), nullable=False),
    # a file from Bankgirot is imported once (migration 0022)
    Index("uq_autogiro_files_sha256", "direction", "sha256", unique=True),
)

autogiro_mandates = Table(
    "autogiro_mandates",
    metadata,
    Column("payer_number", Integer, primary_key=True),
    Column("contributor_id", Integer, ForeignKey("contributors.id"), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id")),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("identity_enc", Text, nullable=False),
    Column("identity_masked", String(13), nullable=False),
    Column("clearing", String(5), nullable=False),
    Column("account_enc", Text, nullable=False),
    Column("account_masked", String(20), nullable=False),
    Column("consent_text", Text, nullable=False),
    Column(
        "source", String(12), nullable=False
    ),  # "form" or "e-mandate" (signed in the internet bank)
    Column("status", String(12), nullable=False),
    Column("tk03_pending", Boolean, nullable=False),
    Column("sent_file_id", Integer, ForeignKey("autogiro_files.id")),
    Column("cancel_file_id", Integer, ForeignKey("autogiro_files.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # the monthly gift from the gift form it was given for (migration 0025); none from the
    # internet bank
    Column("gift_id", Integer, ForeignKey("gifts.id")),
    CheckConstraint("amount_ore > 0", name="ck_autogiro_mandates_amount"),
    Index("uq_autogiro_mandates_gift", "gift_id", unique=True),
)

autogiro_mandate_events = Table(
    "autogiro_mandate_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("payer_number", Integer, ForeignKey("autogiro_mandates.payer_number"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),
    Column("source", String(200), nullable=False),  # the form, a command, a file and its line
    Column("note", Text),
)

autogiro_debits = Table(
    "autogiro_debits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("payer_number", Integer, ForeignKey("autogiro_mandates.payer_number"), nullable=False),
    Column("month", String(7), nullable=False),
    Column("due", Date, nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("reference", String(16), nullable=False),
    Column("file_id", Integer, ForeignKey("autogiro_files.id"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("entry_id", BigId, ForeignKey("journal_entries.id")),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("payer_number", "month", name="uq_autogiro_debits_month"),
)

# A deposit: one TK15 section of a payment specification, the day's approved debits that
# Bankgirot puts into our bank account as one credit. ``bank_line_id`` is that credit in a bank
# file once Kassan has seen it (UNIQUE: one bank line is one deposit); the entries are the
# section's Autogiro entries (UNIQUE: an entry belongs to one deposit), so the krona is on 1930
# once whichever report comes first (docs/autogiro.md, "Money once"). A TK16/TK17 section (payouts
# and refunds: one debit on our account) is kept the same way with a negative amount (0026).
autogiro_deposits = Table(
    "autogiro_deposits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file_id", Integer, ForeignKey("autogiro_files.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("bank_line_id", BigId, ForeignKey("bank_lines.id")),
    Column("bank_first", Boolean, nullable=False),  # the bank line came before the specification
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("file_id", "line", name="uq_autogiro_deposits_section"),
    UniqueConstraint("bank_line_id", name="uq_autogiro_deposits_bank_line"),
    CheckConstraint("amount_ore <> 0", name="ck_autogiro_deposits_amount"),
)

autogiro_deposit_entries = Table(
    "autogiro_deposit_entries",
    metadata,
    Column("deposit_id", Integer, ForeignKey("autogiro_deposits.id"), nullable=False),
    Column("entry_id", BigId, ForeignKey("journal_entries.id"), primary_key=True),
)
