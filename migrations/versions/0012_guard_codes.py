"""Every database guard raises with a stable code, so the app recognises a refusal by its code
and never by its wording: on PostgreSQL the code is the SQLSTATE (``USING ERRCODE``, class
``KA``), on SQLite the message starts with it (``KA013: ledger: the period is closed``).

The triggers and trigger functions of 0001, 0004 and 0008 are recreated with the same rules
and messages; only the code is new. ``ledger/db/guards.py`` reads the codes back and
docs/ledger.md lists them beside each rule. The codes are written out here, not imported, so
this migration keeps meaning what it meant when it ran.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import re

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
# Tables whose rows are kept for good (0004: expected payments; 0008: invoices and pledges).
KEPT = (
    "expected_payments",
    "expected_payment_receipts",
    "invoices",
    "invoice_lines",
    "invoice_reminders",
    "pledges",
    "pledge_instalments",
)
_CODE = re.compile(r"<(KA\d{3})>")


def upgrade() -> None:
    _install(coded=True)


def downgrade() -> None:
    _install(coded=False)


def _install(*, coded: bool) -> None:
    """The guards with their codes (``coded``) or as 0001-0011 left them."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_FUNCTIONS:
            op.execute(_CODE.sub(r" USING ERRCODE = '\1'" if coded else "", statement))
        return
    for name, statement in _sqlite_triggers():
        op.execute(f"DROP TRIGGER {name}")
        op.execute(_CODE.sub(r"\1: " if coded else "", statement))


# --- SQLite: triggers cannot be replaced in place, so each is dropped and created again -------


def _sqlite_triggers() -> list[tuple[str, str]]:
    immutable = [
        (
            f"{table}_no_{op_.lower()}",
            f"""
            CREATE TRIGGER {table}_no_{op_.lower()} BEFORE {op_} ON {table}
            BEGIN SELECT RAISE(ABORT,
              '<KA001>ledger: posted {table} are never changed or removed ({op_})'); END
            """,
        )
        for table in ("journal_entries", "journal_lines")
        for op_ in ("UPDATE", "DELETE")
    ]
    kept = [
        (
            f"{table}_no_delete",
            f"""
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '<KA017>ledger: {table} rows are never removed'); END
            """,
        )
        for table in KEPT
    ]
    return [
        *immutable,
        (
            "journal_lines_only_before_entry",
            """
            CREATE TRIGGER journal_lines_only_before_entry BEFORE INSERT ON journal_lines
            WHEN NEW.entry_id <= (SELECT COALESCE(max(id), 0) FROM journal_entries)
            BEGIN SELECT RAISE(ABORT, '<KA002>ledger: lines cannot be added to a posted entry');
            END
            """,
        ),
        (
            "journal_entries_check",
            f"""
            CREATE TRIGGER journal_entries_check BEFORE INSERT ON journal_entries
            BEGIN
              SELECT RAISE(ABORT, '<KA007>ledger: an entry needs at least two lines')
               WHERE (SELECT count(*) FROM journal_lines WHERE entry_id = NEW.id) < 2;
              SELECT RAISE(ABORT, '<KA008>ledger: the entry does not balance')
               WHERE EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.id
                             GROUP BY currency HAVING sum(debit_ore) <> sum(credit_ore));
              SELECT RAISE(ABORT,
                '<KA009>ledger: the entry number leaves a gap or repeats in its series')
               WHERE NEW.number <> 1 + COALESCE((SELECT max(number) FROM journal_entries
                                                 WHERE series = NEW.series
                                                   AND fiscal_year = NEW.fiscal_year), 0);
              SELECT RAISE(ABORT, '<KA006>ledger: the entry id must follow the last entry')
               WHERE NEW.id <= COALESCE((SELECT max(id) FROM journal_entries), 0);
              SELECT RAISE(ABORT, '<KA010>ledger: prev_hash does not chain to the last entry')
               WHERE NEW.prev_hash <> COALESCE(
                 (SELECT hash FROM journal_entries ORDER BY id DESC LIMIT 1), '{GENESIS}');
              SELECT RAISE(ABORT, '<KA012>ledger: the date is outside its fiscal year')
               WHERE NOT EXISTS (SELECT 1 FROM fiscal_years WHERE year = NEW.fiscal_year
                                 AND NEW.date BETWEEN start_date AND end_date);
              SELECT RAISE(ABORT, '<KA013>ledger: the period is closed')
               WHERE EXISTS (SELECT 1 FROM fiscal_years WHERE year = NEW.fiscal_year
                             AND locked_through IS NOT NULL AND NEW.date <= locked_through);
            END
            """,
        ),
        (
            "fiscal_years_no_delete",
            """
            CREATE TRIGGER fiscal_years_no_delete BEFORE DELETE ON fiscal_years
            BEGIN SELECT RAISE(ABORT, '<KA014>ledger: fiscal years are never removed'); END
            """,
        ),
        (
            "fiscal_years_lock_only_forward",
            """
            CREATE TRIGGER fiscal_years_lock_only_forward BEFORE UPDATE ON fiscal_years
            WHEN NEW.year <> OLD.year OR NEW.start_date <> OLD.start_date
              OR NEW.end_date <> OLD.end_date
              OR (OLD.locked_through IS NOT NULL
                  AND (NEW.locked_through IS NULL OR NEW.locked_through < OLD.locked_through))
            BEGIN SELECT RAISE(ABORT, '<KA015>ledger: a closed period cannot be reopened'); END
            """,
        ),
        *kept,
    ]


# --- PostgreSQL: the triggers call functions, and a function is replaced in place -------------

_REFERENCED = (
    ("accounts", "code", "account"),
    ("networks", "id", "network_id"),
    ("contributors", "id", "contributor_id"),
)

POSTGRESQL_FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger: posted % are never changed or removed (%)', TG_TABLE_NAME, TG_OP
        <KA001>;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_check_new_lines() RETURNS trigger LANGUAGE plpgsql
    SET enable_seqscan = off AS $$
    DECLARE
      bad bigint;
      bad_account text;
    BEGIN
      -- Entry ids only grow and lines are written before their entry, so a line for an id
      -- at or below the last entry's would change a posted entry.
      IF (SELECT min(entry_id) FROM new_lines)
         <= (SELECT COALESCE(max(id), 0) FROM journal_entries) THEN
        RAISE EXCEPTION 'ledger: lines cannot be added to a posted entry'<KA002>;
      END IF;
      -- The references a foreign key would check row by row, once per statement.
      SELECT n.account INTO bad_account FROM (SELECT DISTINCT account FROM new_lines) n
       WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.code = n.account) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: account % is not in the chart', bad_account<KA003>;
      END IF;
      SELECT n.network_id INTO bad FROM (SELECT DISTINCT network_id FROM new_lines
                                          WHERE network_id IS NOT NULL) n
       WHERE NOT EXISTS (SELECT 1 FROM networks w WHERE w.id = n.network_id) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: no network %', bad<KA004>;
      END IF;
      SELECT n.contributor_id INTO bad FROM (SELECT DISTINCT contributor_id FROM new_lines
                                              WHERE contributor_id IS NOT NULL) n
       WHERE NOT EXISTS (SELECT 1 FROM contributors c WHERE c.id = n.contributor_id) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: no contributor %', bad<KA005>;
      END IF;
      RETURN NULL;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION ledger_check_new_entries() RETURNS trigger LANGUAGE plpgsql
    -- Every query here is an index range scan by design; during a bulk load the planner's
    -- statistics still describe a tiny table and would pick whole-table scans.
    SET enable_seqscan = off AS $$
    DECLARE
      lo bigint;
      hi bigint;
      n bigint;
      with_lines bigint;
      short bigint;
      bad bigint;
      bad_series text;
    BEGIN
      -- Transition tables have no indexes or statistics: every check below is a range scan
      -- or an aggregate, never a correlated look-up into new_entries.
      SELECT min(id), max(id), count(*) INTO lo, hi, n FROM new_entries;
      IF n = 0 THEN
        RETURN NULL;
      END IF;

      IF (SELECT count(*) FROM journal_entries WHERE id >= lo) <> n THEN
        RAISE EXCEPTION 'ledger: the entry id must follow the last entry'<KA006>;
      END IF;

      -- One pass over the new entries' lines (a range of the primary key): how many entries
      -- have lines, the first with fewer than two, the first that does not balance.
      SELECT count(*), min(entry_id) FILTER (WHERE c < 2),
             min(entry_id) FILTER (WHERE unbalanced)
        INTO with_lines, short, bad
        FROM (SELECT entry_id, sum(c) AS c, bool_or(d <> k) AS unbalanced
                FROM (SELECT entry_id, currency, count(*) AS c, sum(debit_ore) AS d,
                             sum(credit_ore) AS k
                        FROM journal_lines WHERE entry_id BETWEEN lo AND hi
                       GROUP BY entry_id, currency) per_currency
               GROUP BY entry_id) per_entry;
      -- Lines point at existing entries (checked at commit), and every entry at or above lo
      -- is new, so fewer entries with lines than new entries means one has none.
      IF with_lines < n OR short IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: an entry needs at least two lines (entry %)',
          COALESCE(short, lo)<KA007>;
      END IF;
      IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: the entry does not balance (entry %)', bad<KA008>;
      END IF;

      SELECT g.series || ' ' || g.fiscal_year INTO bad_series FROM (
        SELECT series, fiscal_year, min(number) AS lo_no, max(number) AS hi_no, count(*) AS c
          FROM new_entries GROUP BY series, fiscal_year) g
       WHERE g.hi_no - g.lo_no + 1 <> g.c
          OR g.lo_no <> 1 + COALESCE((SELECT max(e.number) FROM journal_entries e
                                       WHERE e.series = g.series
                                         AND e.fiscal_year = g.fiscal_year
                                         AND e.number < g.lo_no), 0)
          OR g.hi_no <> (SELECT max(e.number) FROM journal_entries e
                          WHERE e.series = g.series AND e.fiscal_year = g.fiscal_year)
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: the entry number leaves a gap or repeats in its series (%)',
          bad_series<KA009>;
      END IF;

      SELECT x.id INTO bad FROM (
        SELECT e.id, e.prev_hash, lag(e.hash) OVER (ORDER BY e.id) AS expected
          FROM journal_entries e
         WHERE e.id >= COALESCE((SELECT max(o.id) FROM journal_entries o WHERE o.id < lo), 0)
      ) x
       WHERE x.id >= lo AND x.prev_hash <> COALESCE(x.expected, '{GENESIS}')
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: prev_hash does not chain to the last entry (entry %)', bad
          <KA010>;
      END IF;

      SELECT e.id INTO bad FROM new_entries e
       WHERE e.reverses_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM journal_entries o WHERE o.id = e.reverses_id)
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: entry % reverses an entry that does not exist', bad<KA011>;
      END IF;

      SELECT e.id INTO bad FROM new_entries e
        LEFT JOIN fiscal_years f ON f.year = e.fiscal_year
       WHERE f.year IS NULL OR e.date < f.start_date OR e.date > f.end_date
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: the date is outside its fiscal year (entry %)', bad<KA012>;
      END IF;

      SELECT e.id INTO bad FROM new_entries e
        JOIN fiscal_years f ON f.year = e.fiscal_year
       WHERE f.locked_through IS NOT NULL AND e.date <= f.locked_through
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: the period is closed (entry %)', bad<KA013>;
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_fiscal_year_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger: fiscal years are never removed'<KA014>;
      END IF;
      IF NEW.year <> OLD.year OR NEW.start_date <> OLD.start_date
         OR NEW.end_date <> OLD.end_date
         OR (OLD.locked_through IS NOT NULL
             AND (NEW.locked_through IS NULL OR NEW.locked_through < OLD.locked_through)) THEN
        RAISE EXCEPTION 'ledger: a closed period cannot be reopened'<KA015>;
      END IF;
      RETURN NEW;
    END $$
    """,
    *(
        f"""
        CREATE OR REPLACE FUNCTION ledger_guard_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (TG_OP = 'DELETE' OR NEW.{key} <> OLD.{key})
             AND EXISTS (SELECT 1 FROM journal_lines WHERE {column} = OLD.{key}) THEN
            RAISE EXCEPTION 'ledger: {table} row % is used by journal lines', OLD.{key}<KA016>;
          END IF;
          RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$
        """
        for table, key, column in _REFERENCED
    ),
    """
    CREATE OR REPLACE FUNCTION expected_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger: % rows are never removed', TG_TABLE_NAME<KA017>;
    END $$
    """,
]
