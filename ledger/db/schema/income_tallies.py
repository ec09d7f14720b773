"""Kept tallies of gift income for the dashboard (migration 0027): the 3993 sums that
``reports.tally`` keeps per fiscal year and network, and the mark of the last journal entry
folded into them.

They are derived data, never a source of truth: every row is a sum over ``journal_lines`` that
``reports.tally`` can recompute, and the readers add the lines booked after the mark on the fly.
``network_id`` 0 stands for no network (as in ``account_balances``) and ``kind`` '' for a line
without a contributor, so that every key column is NOT NULL and an upsert can name the key.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table

from ledger.db.schema.metadata import metadata

# who gives and how: 3993 on the year's entries by channel (series), kind of giver and gift size
income_mix = Table(
    "income_mix",
    metadata,
    Column("fiscal_year", Integer, primary_key=True),
    Column("network_id", Integer, primary_key=True),  # 0: no network
    Column("series", String(4), primary_key=True),
    Column("kind", String(20), primary_key=True),  # '': no contributor on the line
    Column("band", Integer, primary_key=True),  # index into reports.tally.BANDS
    Column("net_ore", BigInteger, nullable=False),  # credits minus debits
    Column("gifts", BigInteger, nullable=False),  # credit lines
    Column("credit_ore", BigInteger, nullable=False),  # credits only
)

# organisations' gifts (3993 credits) per year and network, for the follow-up list
organisation_income = Table(
    "organisation_income",
    metadata,
    Column("fiscal_year", Integer, primary_key=True),
    Column("network_id", Integer, primary_key=True),  # 0: no network
    Column("contributor_id", Integer, primary_key=True),
    Column("credit_ore", BigInteger, nullable=False),
)

# the last journal entry whose lines are in the two tables above (one row, id 1)
income_tally_mark = Table(
    "income_tally_mark",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_entry_id", BigInteger, nullable=False),
)

# A version that goes up with every committed change of the tables the funding gap reads
# besides the journal (gifts, expected payments, Autogiro mandates and their events, pledges,
# their instalments, invoices): triggers of migration 0031 keep it; ``reports.funding.kept``
# keeps the figures read from those tables per process while it stands (one row, id 1).
funding_change_mark = Table(
    "funding_change_mark",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)
