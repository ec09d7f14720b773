"""The tables, as SQLAlchemy Core metadata for queries. Migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

accounts = Table(
    "accounts",
    metadata,
    Column("code", String(4), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("normal_side", String(6), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

networks = Table(
    "networks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(60), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
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
)

fiscal_years = Table(
    "fiscal_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("locked_through", Date),
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_entry_id", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
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
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
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

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

gifts = Table(
    "gifts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("network_id", Integer, ForeignKey("networks.id")),
    Column("contributor_id", Integer, ForeignKey("contributors.id")),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("frequency", String(8), nullable=False),
    Column("channel", String(12), nullable=False),
    Column("status", String(12), nullable=False),
    Column("donor_kind", String(12), nullable=False),
    Column("donor_name", String(200), nullable=False),
    Column("donor_email", String(254), nullable=False),
    Column("organisation_number", String(20)),
    Column("personnummer_enc", Text),
    Column("consent_contact", Boolean, nullable=False),
    Column("locale", String(5), nullable=False),
    Column("stripe_checkout_session_id", String(255), unique=True),
    Column("stripe_payment_intent_id", String(255), unique=True),
    Column("stripe_customer_id", String(255)),
    Column("stripe_subscription_id", String(255), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

stripe_events = Table(
    "stripe_events",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("created", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
)

email_outbox = Table(
    "email_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("to_addr", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
)
