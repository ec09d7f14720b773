"""The hash chain's digests as bytes on PostgreSQL (issue 14, database size per million lines):
``journal_entries.prev_hash`` and ``hash`` and ``ledger_head.last_hash`` become ``bytea`` of
32 bytes instead of 64 hex characters (65 bytes each on disk), 64 bytes less per entry.

Only the storage changes: every digest is the same SHA-256 over the same text form
(``ledger.entries.entry_hash``), converted with ``decode(..., 'hex')``, so ``kassan ledger
verify`` checks the chain exactly as before. ``ck_entries_hash`` now asks for 32 bytes, and the
entry trigger's chain check compares with the genesis digest as bytes (its function is
rewritten from its stored definition with only that literal changed, so the codes and rules of
0012 stay as they are). A later migration that writes this function anew must compare with
``decode('<64 zeros>', 'hex')`` too: the bare text literal would be read as 64 bytes of ``'0'``
and refuse the first entry of an empty ledger (``test_database_guards`` books one raw).

SQLite keeps the hex text (``ledger.db.schema.metadata.Sha256`` says why); nothing changes there.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
TEXT_GENESIS = f"'{GENESIS}'"
BYTES_GENESIS = f"decode('{GENESIS}', 'hex')"


def _entries_trigger(old: str, new: str) -> None:
    """Rewrite ``ledger_check_new_entries`` with its genesis literal ``old`` made ``new``."""
    bind = op.get_bind()
    body = bind.exec_driver_sql(
        "SELECT pg_get_functiondef('ledger_check_new_entries'::regproc)"
    ).scalar_one()
    if body.count(old) != 1:
        raise RuntimeError("ledger_check_new_entries: the genesis hash was not found to convert")
    # Past SQLAlchemy and without parameters, so the driver leaves the body's % signs alone.
    with bind.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(body.replace(old, new))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE journal_entries DROP CONSTRAINT ck_entries_hash")
    op.execute(
        "ALTER TABLE journal_entries "
        "ALTER COLUMN prev_hash TYPE bytea USING decode(prev_hash, 'hex'), "
        "ALTER COLUMN hash TYPE bytea USING decode(hash, 'hex')"
    )
    op.execute(
        "ALTER TABLE journal_entries ADD CONSTRAINT ck_entries_hash "
        "CHECK (octet_length(hash) = 32 AND octet_length(prev_hash) = 32)"
    )
    op.execute(
        "ALTER TABLE ledger_head ALTER COLUMN last_hash TYPE bytea USING decode(last_hash, 'hex')"
    )
    op.execute(
        "ALTER TABLE ledger_head ADD CONSTRAINT ck_ledger_head_hash "
        "CHECK (octet_length(last_hash) = 32)"
    )
    _entries_trigger(TEXT_GENESIS, BYTES_GENESIS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _entries_trigger(BYTES_GENESIS, TEXT_GENESIS)
    op.execute("ALTER TABLE ledger_head DROP CONSTRAINT ck_ledger_head_hash")
    op.execute(
        "ALTER TABLE ledger_head ALTER COLUMN last_hash TYPE varchar(64) "
        "USING encode(last_hash, 'hex')"
    )
    op.execute("ALTER TABLE journal_entries DROP CONSTRAINT ck_entries_hash")
    op.execute(
        "ALTER TABLE journal_entries "
        "ALTER COLUMN prev_hash TYPE varchar(64) USING encode(prev_hash, 'hex'), "
        "ALTER COLUMN hash TYPE varchar(64) USING encode(hash, 'hex')"
    )
    op.execute(
        "ALTER TABLE journal_entries ADD CONSTRAINT ck_entries_hash "
        "CHECK (length(hash) = 64 AND length(prev_hash) = 64)"
    )
