"""The card charge each refund, dispute and won dispute takes back from (or gives back to),
written with the entry that books it, so a donor's documents follow a link instead of reading the
charge id out of the voucher text. One row per follow-up entry (primary key): a repeated event
links nothing twice. Entries booked before this migration get their link from their text, which
``webhooks.stripe.bookings`` has always written as ``(<charge id>, <refund or dispute id>)``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_FOLLOW_UPS = ("stripe:refund:", "stripe:dispute:", "stripe:dispute_won:")
_CHARGE = re.compile(r"\((ch_[A-Za-z0-9]+|py_[A-Za-z0-9]+), ")


def upgrade() -> None:
    links = op.create_table(
        "stripe_charge_links",
        sa.Column(
            "entry_id", sa.BigInteger, sa.ForeignKey("journal_entries.id"), primary_key=True
        ),
        sa.Column(
            "charge_entry_id", sa.BigInteger, sa.ForeignKey("journal_entries.id"), nullable=False
        ),
    )
    entries = sa.table(
        "journal_entries",
        sa.column("id", sa.BigInteger),
        sa.column("text", sa.Text),
        sa.column("source_key", sa.String),
    )
    conn = op.get_bind()
    follow_ups = conn.execute(
        sa.select(entries.c.id, entries.c.text).where(
            sa.or_(*(entries.c.source_key.startswith(prefix) for prefix in _FOLLOW_UPS))
        )
    ).all()
    rows = []
    for entry_id, text in follow_ups:
        charge = _CHARGE.search(text)
        if charge is None:
            continue
        charge_entry_id = conn.scalar(
            sa.select(entries.c.id).where(
                entries.c.source_key == f"stripe:charge:{charge.group(1)}"
            )
        )
        if charge_entry_id is not None:
            rows.append({"entry_id": entry_id, "charge_entry_id": charge_entry_id})
    if rows:
        op.bulk_insert(links, rows)


def downgrade() -> None:
    op.drop_table("stripe_charge_links")
