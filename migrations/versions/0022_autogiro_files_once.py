"""A file from Bankgirot is imported once: UNIQUE (direction, sha256) on ``autogiro_files``,
so the same report read twice books nothing twice (the importer's look-up only words the
message).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_autogiro_files_sha256", "autogiro_files", ["direction", "sha256"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_autogiro_files_sha256", "autogiro_files")
