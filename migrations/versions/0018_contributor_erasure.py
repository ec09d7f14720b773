"""A contributor's personal data can be erased (issue 12, item 8): ``erased_at`` records when
``kassan contributors erase`` anonymised the row, so a second run changes nothing and the pages
can say so. Entries are untouched: they never carried the data.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contributors") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("contributors") as batch:
        batch.drop_column("erased_at")
