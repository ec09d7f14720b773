"""Alembic environment: runs against the connection handed over by ``ledger.migrate`` or, from
the alembic command line, against ``DATABASE_URL``."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from ledger.db.engine import make_engine
from ledger.db.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set DATABASE_URL to migrate")
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported: triggers differ per database")
run_migrations_online()
