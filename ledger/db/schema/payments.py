"""Money promised and paid: gifts from the donate page, Stripe's event inbox and the charge each
card refund or dispute belongs to, the reference counters, expected payments with their receipts,
and Swish payments and refunds."""

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

from ledger.db.schema.metadata import BigId, metadata

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


# the card charge a refund, dispute or won dispute belongs to, written when it is booked (0011)
stripe_charge_links = Table(
    "stripe_charge_links",
    metadata,
    Column("entry_id", BigInteger, ForeignKey("journal_entries.id"), primary_key=True),
    Column("charge_entry_id", BigInteger, ForeignKey("journal_entries.id"), nullable=False),
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
