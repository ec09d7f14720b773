"""Recurring Swish: a donor's consent, approved once in the Swish app, and the monthly payments
made against it (migration 0020)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from ledger.db.schema.metadata import BigId, metadata

swish_consents = Table(
    "swish_consents",
    metadata,
    Column("consent_id", String(32), primary_key=True),
    Column("gift_id", Integer, ForeignKey("gifts.id"), nullable=False),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("payee_payment_reference", String(35), nullable=False),
    Column("payer_alias", String(15)),
    Column("status", String(10), nullable=False),
    Column("token", String(100)),
    Column("error_code", String(20)),
    Column("error_message", String(500)),
    Column("activated_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("ended_by", String(10)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("gift_id", "attempt"),
)

swish_recurring_payments = Table(
    "swish_recurring_payments",
    metadata,
    Column("payment_id", String(32), primary_key=True),
    Column("consent_id", String(32), ForeignKey("swish_consents.consent_id"), nullable=False),
    Column("month", String(7), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("payee_payment_reference", String(35), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("message", String(50), nullable=False),
    Column("status", String(10), nullable=False),
    Column("payment_reference", String(36), unique=True),
    Column("error_code", String(20)),
    Column("error_message", String(500)),
    Column("date_paid", DateTime(timezone=True)),
    Column("entry_id", BigId, ForeignKey("journal_entries.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("consent_id", "month", "attempt"),
)
