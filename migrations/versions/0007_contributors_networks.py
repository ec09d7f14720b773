"""Contributors and networks in full: a person's encrypted personnummer, an organisation's
number, kind, contact and invoice address; merges; a network's countries, theme, partners and
status; which organisations take part in which network and what they give besides money.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.func.current_timestamp()

ORG_KINDS = "('club','branch','federation','other')"
NETWORK_STATUSES = "('active','paused','closed')"
COMMITMENT_KINDS = "('expert_role','study_circle','campaign','other')"
ACTIVE = "merged_into IS NULL"

# Plain ALTER TABLE ... ADD COLUMN with inline constraints: both SQLite and PostgreSQL take
# CHECK and REFERENCES there, and SQLite cannot add them to an existing table any other way
# short of copying the table (which journal_lines' foreign keys forbid).
CONTRIBUTOR_COLUMNS = (
    "personnummer_enc TEXT CONSTRAINT ck_contributors_pnr_person"
    " CHECK (personnummer_enc IS NULL OR kind = 'person')",
    # "19811218-****": what pages and the API show, so lists never decrypt
    "personnummer_masked VARCHAR(13)",
    "organisation_number VARCHAR(11) CONSTRAINT ck_contributors_orgnr_org"
    " CHECK (organisation_number IS NULL OR kind = 'organisation')",
    f"org_kind VARCHAR(12) CONSTRAINT ck_contributors_org_kind CHECK (org_kind IN {ORG_KINDS})",
    "contact_person VARCHAR(200)",
    "address_line1 VARCHAR(200)",
    "address_line2 VARCHAR(200)",
    "postcode VARCHAR(10)",
    "city VARCHAR(100)",
    "invoice_email VARCHAR(254)",
    "merged_into INTEGER REFERENCES contributors (id) CONSTRAINT ck_contributors_not_self"
    " CHECK (merged_into IS NULL OR merged_into <> id)",
)
NETWORK_COLUMNS = (
    "theme VARCHAR(200)",
    "description TEXT",
    f"status VARCHAR(8) DEFAULT 'active' NOT NULL"
    f" CONSTRAINT ck_networks_status CHECK (status IN {NETWORK_STATUSES})",
)


def upgrade() -> None:
    for column in CONTRIBUTOR_COLUMNS:
        op.execute(f"ALTER TABLE contributors ADD COLUMN {column}")
    for column in NETWORK_COLUMNS:
        op.execute(f"ALTER TABLE networks ADD COLUMN {column}")
    # A duplicate is refused by the database, also from two requests at once; a merged
    # contributor keeps its number and address but no longer holds them.
    for name, column in (("orgnr", "organisation_number"), ("email", "email")):
        where = sa.text(f"{ACTIVE} AND {column} IS NOT NULL")
        op.create_index(
            f"uq_contributors_{name}",
            "contributors",
            [column],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )
    op.create_table(
        "contributor_merges",
        # a contributor is merged at most once; the key is the guarantee
        sa.Column("from_id", sa.Integer, sa.ForeignKey("contributors.id"), primary_key=True),
        sa.Column("into_id", sa.Integer, sa.ForeignKey("contributors.id"), nullable=False),
        sa.Column("entry_id", BigId, sa.ForeignKey("journal_entries.id")),  # NULL: nothing moved
        sa.Column("moved", sa.Text, nullable=False, server_default="{}"),  # JSON: rows re-pointed
        sa.Column("merged_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("merged_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("from_id <> into_id", name="ck_contributor_merges_distinct"),
    )
    op.create_table(
        "network_countries",
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id"), primary_key=True),
        sa.Column("country", sa.String(2), primary_key=True),  # ISO 3166-1 alpha-2
    )
    op.create_table(
        "network_partners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.UniqueConstraint("network_id", "name", name="uq_network_partners_name"),
    )
    op.create_table(
        "network_memberships",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id"), nullable=False),
        sa.Column("contributor_id", sa.Integer, sa.ForeignKey("contributors.id"), nullable=False),
        sa.Column("joined_on", sa.Date, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("network_id", "contributor_id", name="uq_network_memberships"),
    )
    op.create_index("ix_network_memberships_contributor", "network_memberships", ["contributor_id"])
    op.create_table(
        "membership_commitments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "membership_id",
            sa.Integer,
            sa.ForeignKey("network_memberships.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("hours", sa.Integer),
        sa.Column("count", sa.Integer),
        sa.Column("note", sa.String(500)),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint(f"kind IN {COMMITMENT_KINDS}", name="ck_commitments_kind"),
        sa.CheckConstraint(
            "(hours IS NULL OR hours >= 0) AND (count IS NULL OR count >= 0)",
            name="ck_commitments_nonneg",
        ),
    )


def downgrade() -> None:
    op.drop_table("membership_commitments")
    op.drop_table("network_memberships")
    op.drop_table("network_partners")
    op.drop_table("network_countries")
    op.drop_table("contributor_merges")
    op.drop_index("uq_contributors_email", "contributors")
    op.drop_index("uq_contributors_orgnr", "contributors")
    with op.batch_alter_table("networks") as batch:
        for column in ("status", "description", "theme"):
            batch.drop_column(column)
    with op.batch_alter_table("contributors") as batch:
        for column in reversed(CONTRIBUTOR_COLUMNS):
            batch.drop_column(column.split()[0])
