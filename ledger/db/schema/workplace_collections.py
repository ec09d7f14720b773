"""Workplace collections (migration 0009): the collection, its change log, cash counted by hand
and the card money booked on its page."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from ledger.db.schema.metadata import metadata

# workplace collections (migration 0009)
collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(60), nullable=False, unique=True),
    Column("status", String(10), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id")),
    Column("contributor_id", Integer, ForeignKey("contributors.id")),
    Column("org_name", String(200), nullable=False),
    Column("organisation_number", String(11), nullable=False),
    Column("contact_name", String(200), nullable=False),
    Column("contact_email", String(254), nullable=False),
    Column("title", String(120), nullable=False),
    Column("body", Text, nullable=False),
    Column("goal_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("end_date", Date, nullable=False),
    Column("image", LargeBinary),
    Column("image_type", String(20)),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id"), unique=True),
    Column("token_version", Integer, nullable=False),
    Column("review_note", String(1000)),
    Column("thanks_text", Text),
    Column("ip_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("approved_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
)


collection_changes = Table(
    "collection_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("collection_id", Integer, ForeignKey("collections.id"), nullable=False),
    Column("field", String(20), nullable=False),
    Column("old_value", Text, nullable=False),
    Column("new_value", Text, nullable=False),
    Column("changed_by", String(20), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)


collection_cash = Table(
    "collection_cash",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("collection_id", Integer, ForeignKey("collections.id"), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("note", String(200), nullable=False),
    Column("collected_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# card money given on a collection's page, linked to the entries that booked it (0010)
collection_entries = Table(
    "collection_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("collection_id", Integer, ForeignKey("collections.id"), nullable=False),
    Column("entry_id", BigInteger, ForeignKey("journal_entries.id"), nullable=False, unique=True),
    Column("of_entry_id", BigInteger, ForeignKey("journal_entries.id")),
    Column("gift_id", Integer, ForeignKey("gifts.id")),
    Column("kind", String(6), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("booked_on", Date, nullable=False),
)
