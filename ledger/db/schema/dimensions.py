"""The dimensions a journal line can carry: networks (with their countries, partners and
budgets), contributors (and their merges), and the organisations' network memberships."""

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
    Text,
    UniqueConstraint,
)

from ledger.db.schema.metadata import BigId, metadata

networks = Table(
    "networks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(60), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("theme", String(200)),
    Column("description", Text),
    Column("status", String(8), nullable=False, server_default="active"),
)


network_countries = Table(
    "network_countries",
    metadata,
    Column("network_id", Integer, ForeignKey("networks.id"), primary_key=True),
    Column("country", String(2), primary_key=True),
)


network_partners = Table(
    "network_partners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    UniqueConstraint("network_id", "name"),
)


network_budgets = Table(
    "network_budgets",
    metadata,
    Column("network_id", Integer, ForeignKey("networks.id"), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("need_ore", BigInteger, nullable=False),
    Column("sida_ore", BigInteger, nullable=False),
)


contributors = Table(
    "contributors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(254)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("personnummer_enc", Text),
    Column("personnummer_masked", String(13)),
    Column("organisation_number", String(11)),
    Column("org_kind", String(12)),
    Column("contact_person", String(200)),
    Column("address_line1", String(200)),
    Column("address_line2", String(200)),
    Column("postcode", String(10)),
    Column("city", String(100)),
    Column("invoice_email", String(254)),
    Column("merged_into", Integer, ForeignKey("contributors.id")),
    Column("erased_at", DateTime(timezone=True)),  # personal data erased (migration 0018)
)


contributor_merges = Table(
    "contributor_merges",
    metadata,
    Column("from_id", Integer, ForeignKey("contributors.id"), primary_key=True),
    Column("into_id", Integer, ForeignKey("contributors.id"), nullable=False),
    Column("entry_id", BigId, ForeignKey("journal_entries.id")),
    Column("moved", Text, nullable=False),
    Column("merged_by", Integer, ForeignKey("users.id")),
    Column("merged_at", DateTime(timezone=True), nullable=False),
)


network_memberships = Table(
    "network_memberships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("contributor_id", Integer, ForeignKey("contributors.id"), nullable=False),
    Column("joined_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("network_id", "contributor_id"),
)


membership_commitments = Table(
    "membership_commitments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("membership_id", Integer, ForeignKey("network_memberships.id"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("year", Integer, nullable=False),
    Column("hours", Integer),
    Column("count", Integer),
    Column("note", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
