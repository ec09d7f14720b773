"""A database trigger that fails on purpose, the same on PostgreSQL and SQLite: for tests of
what a refusal or a passing fault of the database does halfway through a write."""

from __future__ import annotations

from sqlalchemy import Engine, text


def add_trigger(
    engine: Engine, name: str, table: str, when: str, pg_body: str, sqlite_body: str
) -> None:
    """Trigger ``name`` runs after each row inserted into ``table`` for which ``when`` holds (an
    SQL condition on ``NEW``, the same in both dialects): ``pg_body`` (PL/pgSQL statements, in a
    function of the same name) on PostgreSQL, ``sqlite_body`` on SQLite. ``drop_trigger``
    removes it."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN {pg_body} RETURN NEW; END $$"
                )
            )
            conn.execute(
                text(
                    f"CREATE TRIGGER {name} AFTER INSERT ON {table} FOR EACH ROW "
                    f"WHEN ({when}) EXECUTE FUNCTION {name}()"
                )
            )
        else:
            conn.execute(
                text(
                    f"CREATE TRIGGER {name} AFTER INSERT ON {table} WHEN {when} "
                    f"BEGIN {sqlite_body} END"
                )
            )


def add_failing_trigger(
    engine: Engine,
    name: str,
    table: str,
    when: str,
    message: str,
    sqlstate: str,
    *,
    sqlite_message: str | None = None,
) -> None:
    """``add_trigger`` failing each row for which ``when`` holds: PostgreSQL raises ``message``
    with ``sqlstate``; SQLite, which has no SQLSTATE, aborts with ``sqlite_message`` (default
    ``message``)."""
    add_trigger(
        engine,
        name,
        table,
        when,
        f"RAISE EXCEPTION '{message}' USING ERRCODE = '{sqlstate}';",
        f"SELECT RAISE(ABORT, '{sqlite_message or message}');",
    )


def drop_trigger(engine: Engine, name: str, table: str) -> None:
    """Remove a trigger ``add_trigger`` made (on PostgreSQL its function stays)."""
    on = f" ON {table}" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as conn:
        conn.execute(text(f"DROP TRIGGER {name}{on}"))
