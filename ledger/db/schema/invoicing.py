"""Pledges with their instalments, and the invoices (with lines and reminders) sent for them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from ledger.db.schema.metadata import BigId, metadata

pledges = Table(
    "pledges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contributor_id", Integer, ForeignKey("contributors.id"), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id")),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("period", String(8), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("instalment_count", Integer, nullable=False),
    Column("payment_way", String(8), nullable=False),
    Column("note", String(500)),
    Column("created_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


pledge_instalments = Table(
    "pledge_instalments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pledge_id", Integer, ForeignKey("pledges.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id"), unique=True),
    UniqueConstraint("pledge_id", "seq"),
)


invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("kind", String(12), nullable=False),
    Column("credits_invoice_id", Integer, ForeignKey("invoices.id")),
    Column("pledge_instalment_id", Integer, ForeignKey("pledge_instalments.id"), unique=True),
    Column("contributor_id", Integer, ForeignKey("contributors.id"), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id")),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date),
    Column("currency", String(3), nullable=False),
    Column("total_ore", BigInteger, nullable=False),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id"), unique=True),
    Column("entry_id", BigId, ForeignKey("journal_entries.id"), nullable=False, unique=True),
    Column("recipient_name", String(200), nullable=False),
    Column("recipient_org_number", String(11)),
    Column("recipient_contact", String(200)),
    Column("recipient_address", String(600)),
    Column("recipient_email", String(254)),
    Column("sent_at", DateTime(timezone=True)),
    Column("created_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("invoice_id", Integer, ForeignKey("invoices.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("description", String(200), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
)


invoice_reminders = Table(
    "invoice_reminders",
    metadata,
    Column("invoice_id", Integer, ForeignKey("invoices.id"), primary_key=True),
    Column("reminder_no", Integer, primary_key=True),
    Column("reminded_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
