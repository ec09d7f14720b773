"""The ledger itself: the chart's accounts, fiscal years and the closings of the books, the
hash-chain head, journal entries and their lines, and the per-period account balances kept
beside them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
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

from ledger.db.schema.metadata import BigId, Sha256, metadata

accounts = Table(
    "accounts",
    metadata,
    Column("code", String(4), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("normal_side", String(6), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)


fiscal_years = Table(
    "fiscal_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("locked_through", Date),
)


# Every ``kassan ledger close --through``, kept for good: the latest ``through`` is the date on
# or before which nothing can be booked (the database refuses), and ``closed_at`` lets
# ``verify`` find an entry dated in a closed period that was written after the close.
period_closings = Table(
    "period_closings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("through", Date, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=False),
)


ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_entry_id", BigInteger, nullable=False),
    Column("last_hash", Sha256(), nullable=False),
)


journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=False),
    Column("series", String(4), nullable=False),
    Column("number", Integer, nullable=False),
    Column("fiscal_year", Integer, ForeignKey("fiscal_years.year"), nullable=False),
    Column("date", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("source_kind", String(40), nullable=False),
    Column("source_key", String(200), nullable=False, unique=True),
    Column("reverses_id", BigId, ForeignKey("journal_entries.id"), unique=True),
    Column("prev_hash", Sha256(), nullable=False),
    Column("hash", Sha256(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Integer),
    UniqueConstraint("series", "fiscal_year", "number"),
)


journal_lines = Table(
    "journal_lines",
    metadata,
    Column("entry_id", BigInteger, ForeignKey("journal_entries.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("account", String(4), ForeignKey("accounts.code"), nullable=False),
    Column("debit_ore", BigInteger, nullable=False),
    Column("credit_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id")),
    Column("contributor_id", Integer, ForeignKey("contributors.id")),
)


account_balances = Table(
    "account_balances",
    metadata,
    Column("account", String(4), primary_key=True),
    Column("network_id", Integer, primary_key=True),  # 0: no network
    Column("fiscal_year", Integer, primary_key=True),
    Column("period", Integer, primary_key=True),  # month 1-12
    Column("currency", String(3), primary_key=True),
    Column("debit_ore", BigInteger, nullable=False),
    Column("credit_ore", BigInteger, nullable=False),
)
