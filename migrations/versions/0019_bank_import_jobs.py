"""Bank files are imported in the background (issue 12, item 6): an upload is stored whole as a
job (``bank_import_jobs`` and its chunks) and the worker that books webhooks imports it in
short transactions, so a large file never holds a web worker nor the ledger's lock for long.
``active_sha256`` is UNIQUE while a job waits or runs: the same file is never queued twice.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_import_jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("active_sha256", sa.String(64), unique=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(20)),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("requested_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, index=True),
        sa.Column("claim", sa.String(36)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("bytes_done", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("line_total", sa.Integer),
        sa.Column("lines_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("bank_imports.id")),
        sa.Column("cash_ore", sa.BigInteger),
        sa.Column("errors", sa.Text),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "bank_import_job_chunks",
        sa.Column("job_id", sa.Integer, sa.ForeignKey("bank_import_jobs.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bank_import_job_chunks")
    op.drop_table("bank_import_jobs")
