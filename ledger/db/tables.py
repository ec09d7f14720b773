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
    LargeBinary,
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
    Column("collection_id", Integer, ForeignKey("collections.id")),  # migration 0009
    Column("shown_name", String(60)),  # first name shown on the collection page (0009)
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

reference_counters = Table(
    "reference_counters",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("last_value", BigInteger, nullable=False),
)

expected_payments = Table(
    "expected_payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(25), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("gift_id", Integer, ForeignKey("gifts.id")),
    Column("network_id", Integer, ForeignKey("networks.id")),
    Column("contributor_id", Integer, ForeignKey("contributors.id")),
    Column("amount_ore", BigInteger),
    Column("currency", String(3), nullable=False),
    Column("due_date", Date),
    Column("repeating", Boolean, nullable=False),
    Column("status", String(12), nullable=False),
    Column("paid_ore", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

expected_payment_receipts = Table(
    "expected_payment_receipts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id"), nullable=False),
    Column("entry_id", BigId, ForeignKey("journal_entries.id"), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("surplus_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("source_key", String(200), nullable=False, unique=True),
    Column("received_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # set when the payment's booking was undone (migration 0006); the row itself stays
    Column("reversal_entry_id", BigId, ForeignKey("journal_entries.id")),
)

swish_payments = Table(
    "swish_payments",
    metadata,
    Column("instruction_id", String(32), primary_key=True),
    Column("gift_id", Integer, ForeignKey("gifts.id"), nullable=False),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("payee_payment_reference", String(35), nullable=False),
    Column("payer_alias", String(15)),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("message", String(50), nullable=False),
    Column("status", String(10), nullable=False),
    Column("token", String(100)),
    Column("payment_reference", String(36), unique=True),
    Column("error_code", String(20)),
    Column("error_message", String(500)),
    Column("date_paid", DateTime(timezone=True)),
    Column("entry_id", BigId, ForeignKey("journal_entries.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("gift_id", "attempt"),
)

swish_refunds = Table(
    "swish_refunds",
    metadata,
    Column("instruction_id", String(32), primary_key=True),
    Column(
        "payment_instruction_id",
        String(32),
        ForeignKey("swish_payments.instruction_id"),
        nullable=False,
    ),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(10), nullable=False),
    Column("payment_reference", String(36), unique=True),
    Column("error_code", String(20)),
    Column("error_message", String(500)),
    Column("date_paid", DateTime(timezone=True)),
    Column("entry_id", BigId, ForeignKey("journal_entries.id")),
    Column("created_by", String(254)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

bank_imports = Table(
    "bank_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("filename", String(255), nullable=False),
    Column("format", String(20), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("imported_by", Integer, ForeignKey("users.id")),
    Column("line_count", Integer, nullable=False),
    Column("credit_count", Integer, nullable=False),
    Column("credit_ore", BigInteger, nullable=False),
    Column("debit_count", Integer, nullable=False),
    Column("debit_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("booked_count", Integer, nullable=False),
    Column("confirmed_count", Integer, nullable=False),
    Column("matched_count", Integer, nullable=False),
    Column("unmatched_count", Integer, nullable=False),
    Column("summary", Text, nullable=False),
)

bank_import_chunks = Table(
    "bank_import_chunks",
    metadata,
    Column("import_id", Integer, ForeignKey("bank_imports.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

bank_lines = Table(
    "bank_lines",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("import_id", Integer, ForeignKey("bank_imports.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("key", String(200), nullable=False, index=True),
    Column("booking_date", Date, nullable=False),
    Column("value_date", Date),
    Column("direction", String(3), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(35)),
    Column("message", String(500)),
    Column("payer_name", String(140)),
    Column("payer_account", String(50)),
    Column("account", String(50)),
    Column("channel", String(20)),
    Column("match_kind", String(12), nullable=False),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id")),
    Column("entry_id", BigId, ForeignKey("journal_entries.id")),
    Column("open_ore", BigInteger, nullable=False),
    Column("note", String(500)),
    UniqueConstraint("import_id", "line_no"),
)

bank_line_allocations = Table(
    "bank_line_allocations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", BigId, ForeignKey("bank_lines.id"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id")),
    Column("network_id", Integer, ForeignKey("networks.id")),
    Column("contributor_id", Integer, ForeignKey("contributors.id")),
    Column("amount_ore", BigInteger, nullable=False),
    Column("entry_id", BigId, ForeignKey("journal_entries.id")),
    Column("note", String(500)),
    Column("created_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reversal_entry_id", BigId, ForeignKey("journal_entries.id")),
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

email_attachments = Table(
    "email_attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outbox_id", Integer, ForeignKey("email_outbox.id"), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

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
