"""Workplace collections: a club's own collection for a network, waiting for approval, with its
page, its one repeating expected payment (so every Swish or bankgiro payment with its reference
finds it), the history of its edits and the cash its organisers report; gifts made on its page
name it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
STATUSES = "('pending','changes','refused','active','closed')"


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(60), nullable=False, unique=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id")),  # NULL: most needed
        sa.Column("contributor_id", sa.Integer, sa.ForeignKey("contributors.id")),  # on approval
        sa.Column("org_name", sa.String(200), nullable=False),
        sa.Column("organisation_number", sa.String(11), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("goal_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("image", sa.LargeBinary),
        sa.Column("image_type", sa.String(20)),
        # one per collection, made on approval: a repeating 'collection' expected payment
        sa.Column(
            "expected_payment_id",
            sa.Integer,
            sa.ForeignKey("expected_payments.id"),
            unique=True,
        ),
        sa.Column("token_version", sa.Integer, nullable=False),  # +1 revokes every link sent
        sa.Column("review_note", sa.String(1000)),
        sa.Column("thanks_text", sa.Text),
        sa.Column("ip_hash", sa.String(64), nullable=False),  # for the start form's rate limit
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("approved_at", TS),
        sa.Column("closed_at", TS),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_collections_status"),
        sa.CheckConstraint("goal_ore > 0", name="ck_collections_goal"),
        sa.CheckConstraint(
            "status IN ('pending','changes','refused') OR expected_payment_id IS NOT NULL",
            name="ck_collections_reference",
        ),
    )
    op.create_index("ix_collections_ip_created", "collections", ["ip_hash", "created_at"])
    op.create_table(
        "collection_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"), nullable=False),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("old_value", sa.Text, nullable=False),
        sa.Column("new_value", sa.Text, nullable=False),
        sa.Column("changed_by", sa.String(20), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
    )
    op.create_index("ix_collection_changes", "collection_changes", ["collection_id"])
    op.create_table(
        "collection_cash",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"), nullable=False),
        sa.Column("amount_ore", sa.BigInteger, nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("collected_on", sa.Date, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("amount_ore > 0", name="ck_collection_cash_amount"),
    )
    op.create_index("ix_collection_cash", "collection_cash", ["collection_id"])
    # ADD COLUMN keeps the table (and, on SQLite, its triggers); NULL: not given to a collection.
    # SQLite takes a REFERENCES clause in ADD COLUMN, but Alembic's SQLite dialect will not
    # write one, so it is said here directly.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE gifts ADD COLUMN collection_id INTEGER REFERENCES collections(id)")
    else:
        op.add_column(
            "gifts", sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"))
        )
    # the first name a donor chose to show on the collection's page; NULL: "anonym"
    op.add_column("gifts", sa.Column("shown_name", sa.String(60)))
    op.create_index("ix_gifts_collection", "gifts", ["collection_id"])


def downgrade() -> None:
    op.drop_index("ix_gifts_collection", "gifts")
    with op.batch_alter_table("gifts") as batch:
        batch.drop_column("shown_name")
        batch.drop_column("collection_id")
    op.drop_table("collection_cash")
    op.drop_table("collection_changes")
    op.drop_table("collections")
