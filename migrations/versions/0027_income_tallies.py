"""Kept tallies of gift income for the dashboard (issue 14): ``income_mix`` (3993 by year,
network, channel, kind of giver and gift size), ``organisation_income`` (organisations' gifts by
year and network) and ``income_tally_mark`` (the last entry folded into them), filled here from
the lines already booked, so that the dashboard's first load reads these small tables and the
lines booked since instead of a year of journal lines (``reports.tally``).

The conditions and the gift-size bands are those of ``reports.tally`` (``BANDS``) as of this
revision; changing them there needs a migration that fills the tables again.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# reports.tally.BANDS' lower bounds (öre), highest first, with their index
BAND = (
    "CASE WHEN l.credit_ore >= 5000000 THEN 5 WHEN l.credit_ore >= 1000000 THEN 4 "
    "WHEN l.credit_ore >= 200000 THEN 3 WHEN l.credit_ore >= 50000 THEN 2 "
    "WHEN l.credit_ore >= 10000 THEN 1 ELSE 0 END"
)
UPTO = "l.entry_id <= (SELECT last_entry_id FROM income_tally_mark WHERE id = 1)"


def upgrade() -> None:
    op.create_table(
        "income_mix",
        sa.Column("fiscal_year", sa.Integer, primary_key=True),
        sa.Column("network_id", sa.Integer, primary_key=True),
        sa.Column("series", sa.String(4), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("band", sa.Integer, primary_key=True),
        sa.Column("net_ore", sa.BigInteger, nullable=False),
        sa.Column("gifts", sa.BigInteger, nullable=False),
        sa.Column("credit_ore", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "organisation_income",
        sa.Column("fiscal_year", sa.Integer, primary_key=True),
        sa.Column("network_id", sa.Integer, primary_key=True),
        sa.Column("contributor_id", sa.Integer, primary_key=True),
        sa.Column("credit_ore", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "income_tally_mark",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_entry_id", sa.BigInteger, nullable=False),
    )
    op.execute(
        "INSERT INTO income_tally_mark (id, last_entry_id) "
        "SELECT 1, COALESCE((SELECT last_entry_id FROM ledger_head WHERE id = 1), 0)"
    )
    op.execute(
        "INSERT INTO income_mix "
        "(fiscal_year, network_id, series, kind, band, net_ore, gifts, credit_ore) "
        f"SELECT e.fiscal_year, COALESCE(l.network_id, 0), e.series, COALESCE(c.kind, ''), {BAND}, "
        "SUM(l.credit_ore - l.debit_ore), SUM(CASE WHEN l.credit_ore > 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN l.credit_ore > 0 THEN l.credit_ore ELSE 0 END) "
        "FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id "
        "LEFT JOIN contributors c ON c.id = l.contributor_id "
        "WHERE l.account = '3993' AND l.currency = 'SEK' AND e.source_kind <> 'allocation' "
        f"AND {UPTO} "
        f"GROUP BY e.fiscal_year, COALESCE(l.network_id, 0), e.series, COALESCE(c.kind, ''), {BAND}"
    )
    op.execute(
        "INSERT INTO organisation_income (fiscal_year, network_id, contributor_id, credit_ore) "
        "SELECT e.fiscal_year, COALESCE(l.network_id, 0), l.contributor_id, SUM(l.credit_ore) "
        "FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id "
        "JOIN contributors c ON c.id = l.contributor_id "
        "WHERE c.kind = 'organisation' AND l.account = '3993' AND l.credit_ore > 0 "
        f"AND e.source_kind <> 'allocation' AND {UPTO} "
        "GROUP BY e.fiscal_year, COALESCE(l.network_id, 0), l.contributor_id"
    )


def downgrade() -> None:
    op.drop_table("income_tally_mark")
    op.drop_table("organisation_income")
    op.drop_table("income_mix")
