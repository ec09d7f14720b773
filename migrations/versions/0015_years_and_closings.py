"""Years are opened on purpose, and closing the books closes every year before the date.

- ``period_closings``: one row per ``kassan ledger close --through``, kept for good (never
  changed or removed). The latest ``through`` is the date on or before which nothing can be
  booked, in any fiscal year: a new guard refuses such an entry (KA013, as the per-year lock
  does), and no fiscal year can be opened that starts on or before it (KA018).
- Ledgers closed before this migration get one closing per locked year (``closed_at`` is now:
  when they were closed was never written down), and every year before the latest lock is
  locked too, as ``close`` now does.
- The posting service no longer creates a fiscal year for whatever date it is given: the
  current and the next year are opened here where they are missing (a new ledger starts with
  them), and the years that already have entries stay open. Later years are opened with
  ``kassan ledger open-year``.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SQLITE = [
    """
    CREATE TRIGGER journal_entries_closed_books BEFORE INSERT ON journal_entries
    WHEN NEW.date <= (SELECT max(through) FROM period_closings)
    BEGIN SELECT RAISE(ABORT, 'KA013: ledger: the period is closed'); END
    """,
    """
    CREATE TRIGGER fiscal_years_open_after_close BEFORE INSERT ON fiscal_years
    WHEN NEW.start_date <= (SELECT max(through) FROM period_closings)
      AND NOT EXISTS (SELECT 1 FROM fiscal_years WHERE year = NEW.year)
    BEGIN SELECT RAISE(ABORT,
      'KA018: ledger: a fiscal year cannot be opened on or before the closed date'); END
    """,
    """
    CREATE TRIGGER period_closings_no_update BEFORE UPDATE ON period_closings
    BEGIN SELECT RAISE(ABORT, 'KA015: ledger: a closed period cannot be reopened'); END
    """,
    """
    CREATE TRIGGER period_closings_no_delete BEFORE DELETE ON period_closings
    BEGIN SELECT RAISE(ABORT, 'KA015: ledger: a closed period cannot be reopened'); END
    """,
]

POSTGRESQL = [
    """
    CREATE FUNCTION ledger_check_closed_books() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bad bigint;
    BEGIN
      SELECT e.id INTO bad FROM new_entries e
       WHERE e.date <= (SELECT max(through) FROM period_closings)
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: the period is closed (entry %)', bad USING ERRCODE = 'KA013';
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER journal_entries_closed_books AFTER INSERT ON journal_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_closed_books()
    """,
    """
    CREATE FUNCTION ledger_fiscal_year_open() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- Row triggers run before ON CONFLICT looks: an insert of an existing year opens none.
      IF NEW.start_date <= (SELECT max(through) FROM period_closings)
         AND NOT EXISTS (SELECT 1 FROM fiscal_years WHERE year = NEW.year) THEN
        RAISE EXCEPTION 'ledger: a fiscal year cannot be opened on or before the closed date'
          USING ERRCODE = 'KA018';
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER fiscal_years_open_after_close BEFORE INSERT ON fiscal_years
    FOR EACH ROW EXECUTE FUNCTION ledger_fiscal_year_open()
    """,
    """
    CREATE FUNCTION ledger_refuse_reopen() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger: a closed period cannot be reopened' USING ERRCODE = 'KA015';
    END $$
    """,
    """
    CREATE TRIGGER period_closings_guard BEFORE UPDATE OR DELETE OR TRUNCATE ON period_closings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_reopen()
    """,
]


def upgrade() -> None:
    closings = op.create_table(
        "period_closings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("through", sa.Date, nullable=False),
        sa.Column(
            "closed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.current_timestamp(),
        ),
    )
    years = sa.table(
        "fiscal_years",
        sa.column("year", sa.Integer),
        sa.column("start_date", sa.Date),
        sa.column("end_date", sa.Date),
        sa.column("locked_through", sa.Date),
    )
    conn = op.get_bind()
    locks = conn.execute(
        sa.select(years.c.locked_through)
        .where(years.c.locked_through.is_not(None))
        .order_by(years.c.locked_through)
    ).scalars()
    op.bulk_insert(closings, [{"through": through} for through in locks])
    latest = conn.scalar(sa.select(sa.func.max(years.c.locked_through)))
    if latest is not None:
        for year, end in conn.execute(
            sa.select(years.c.year, years.c.end_date).where(
                years.c.start_date <= latest,
                sa.or_(years.c.locked_through.is_(None), years.c.locked_through < latest),
            )
        ).all():
            conn.execute(
                years.update()
                .where(years.c.year == year)
                .values(locked_through=min(end, latest))
            )
    existing = set(conn.execute(sa.select(years.c.year)).scalars())
    this_year = date.today().year
    for year in (this_year, this_year + 1):
        if year not in existing and (latest is None or date(year, 1, 1) > latest):
            conn.execute(
                years.insert().values(
                    year=year, start_date=date(year, 1, 1), end_date=date(year, 12, 31)
                )
            )

    for statement in POSTGRESQL if conn.dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER journal_entries_closed_books ON journal_entries")
        op.execute("DROP TRIGGER fiscal_years_open_after_close ON fiscal_years")
        op.execute("DROP TRIGGER period_closings_guard ON period_closings")
        for function in (
            "ledger_check_closed_books",
            "ledger_fiscal_year_open",
            "ledger_refuse_reopen",
        ):
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for trigger in (
            "journal_entries_closed_books",
            "fiscal_years_open_after_close",
            "period_closings_no_update",
            "period_closings_no_delete",
        ):
            op.execute(f"DROP TRIGGER {trigger}")
    op.drop_table("period_closings")
