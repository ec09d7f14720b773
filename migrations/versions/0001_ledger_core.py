"""The ledger core: accounts, dimensions, fiscal years, journal entries and lines, balances,
staff users and API tokens, and the triggers with which the database itself refuses what
the ledger must never hold.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.func.current_timestamp()
GENESIS = "0" * 64

ACCOUNTS = [
    ("1510", "Kundfordringar", "asset", "debit"),
    ("1580", "Fordringar för kontokort och kuponger", "asset", "debit"),
    ("1910", "Kassa", "asset", "debit"),
    ("1930", "Företagskonto/checkkonto/affärskonto", "asset", "debit"),
    ("2069", "Årets resultat (ideell förening)", "equity", "credit"),
    ("2070", "Ändamålsbestämda medel", "equity", "credit"),
    ("2099", "Årets resultat", "equity", "credit"),
    ("2890", "Övriga kortfristiga skulder (oidentifierade inbetalningar)", "liability", "credit"),
    ("3993", "Erhållna gåvor och bidrag", "income", "credit"),
    ("6570", "Bankkostnader", "expense", "debit"),
]


def _references(column: str, target: str) -> list[sa.ForeignKeyConstraint]:
    """A foreign key on SQLite. PostgreSQL checks the same reference once per statement in
    the journal triggers below instead: a per-row foreign-key trigger would cost more than
    the COPY of the rows itself during bulk posting."""
    if op.get_bind().dialect.name == "postgresql":
        return []
    table, key = target.split(".")
    return [sa.ForeignKeyConstraint([column], [f"{table}.{key}"])]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("code", sa.String(4), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("normal_side", sa.String(6), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("length(code) = 4", name="ck_accounts_code"),
        sa.CheckConstraint(
            "type IN ('asset','liability','equity','income','expense')", name="ck_accounts_type"
        ),
        sa.CheckConstraint("normal_side IN ('debit','credit')", name="ck_accounts_side"),
    )
    op.create_table(
        "networks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(60), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
    )
    op.create_table(
        "network_budgets",
        sa.Column("network_id", sa.Integer, sa.ForeignKey("networks.id"), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("need_ore", sa.BigInteger, nullable=False),
        sa.Column("sida_ore", sa.BigInteger, nullable=False),
        sa.CheckConstraint("need_ore >= 0 AND sida_ore >= 0", name="ck_budget_nonneg"),
    )
    op.create_table(
        "contributors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("kind IN ('person','organisation')", name="ck_contributors_kind"),
    )
    op.create_index("ix_contributors_email", "contributors", ["email"])
    op.create_table(
        "fiscal_years",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("locked_through", sa.Date),
        sa.CheckConstraint("start_date <= end_date", name="ck_fiscal_years_range"),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_entry_id", sa.BigInteger, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_ledger_head_single"),
    )
    op.create_table(
        "journal_entries",
        sa.Column("id", BigId, primary_key=True, autoincrement=False),
        sa.Column("series", sa.String(4), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("fiscal_year", sa.Integer, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source_kind", sa.String(40), nullable=False),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("reverses_id", BigId),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("created_by", sa.Integer),
        *_references("fiscal_year", "fiscal_years.year"),
        *_references("reverses_id", "journal_entries.id"),
        sa.UniqueConstraint("series", "fiscal_year", "number", name="uq_entries_number"),
        sa.UniqueConstraint("source_key", name="uq_entries_source_key"),
        sa.UniqueConstraint("reverses_id", name="uq_entries_reverses"),
        sa.CheckConstraint("number > 0", name="ck_entries_number"),
        sa.CheckConstraint("id > 0", name="ck_entries_id"),
        sa.CheckConstraint("length(hash) = 64 AND length(prev_hash) = 64", name="ck_entries_hash"),
        sa.CheckConstraint("reverses_id IS NULL OR reverses_id < id", name="ck_entries_reverses"),
    )
    op.create_index("ix_entries_date", "journal_entries", ["date"])
    fk_deferred = dict(deferrable=True, initially="DEFERRED")
    op.create_table(
        "journal_lines",
        sa.Column("entry_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("account", sa.String(4), nullable=False),
        sa.Column("debit_ore", sa.BigInteger, nullable=False),
        sa.Column("credit_ore", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("network_id", sa.Integer),
        sa.Column("contributor_id", sa.Integer),
        *_references("account", "accounts.code"),
        *_references("network_id", "networks.id"),
        *_references("contributor_id", "contributors.id"),
        # Lines are written before their entry (the entry's trigger checks their balance),
        # so the link to the entry is checked at commit.
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name="fk_lines_entry", **fk_deferred
        ),
        sa.CheckConstraint("debit_ore >= 0 AND credit_ore >= 0", name="ck_lines_nonneg"),
        sa.CheckConstraint(
            "(debit_ore > 0 AND credit_ore = 0) OR (credit_ore > 0 AND debit_ore = 0)",
            name="ck_lines_one_side",
        ),
        sa.CheckConstraint("length(currency) = 3", name="ck_lines_currency"),
        sa.CheckConstraint("line_no > 0", name="ck_lines_line_no"),
        # one b-tree instead of a rowid table plus a unique index: bulk posting is faster
        sqlite_with_rowid=False,
    )
    op.create_index("ix_lines_account", "journal_lines", ["account", "entry_id"])
    op.create_index("ix_lines_network", "journal_lines", ["network_id", "entry_id"])
    op.create_table(
        "account_balances",
        sa.Column("account", sa.String(4), sa.ForeignKey("accounts.code"), primary_key=True),
        sa.Column("network_id", sa.Integer, primary_key=True),
        sa.Column("fiscal_year", sa.Integer, primary_key=True),
        sa.Column("period", sa.Integer, primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("debit_ore", sa.BigInteger, nullable=False),
        sa.Column("credit_ore", sa.BigInteger, nullable=False),
        sa.CheckConstraint("period BETWEEN 1 AND 12", name="ck_balances_period"),
    )
    op.create_index("ix_balances_year", "account_balances", ["fiscal_year", "account"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("role IN ('admin','finance','leadership')", name="ck_users_role"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("revoked_at", TS),
    )

    accounts = sa.table(
        "accounts",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("type", sa.String),
        sa.column("normal_side", sa.String),
    )
    op.bulk_insert(
        accounts, [dict(code=c, name=n, type=t, normal_side=s) for c, n, t, s in ACCOUNTS]
    )
    op.execute(
        f"INSERT INTO ledger_head (id, last_entry_id, last_hash) VALUES (1, 0, '{GENESIS}')"
    )

    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    raise RuntimeError("the ledger core is never migrated down: it would drop the books")


# --- SQLite: row-level triggers (it has no statement-level ones) ------------------------------

_IMMUTABLE_SQLITE = """
CREATE TRIGGER {table}_no_{op} BEFORE {OP} ON {table}
BEGIN SELECT RAISE(ABORT, 'ledger: posted {table} are never changed or removed ({OP})'); END
"""

SQLITE_TRIGGERS = [
    *(
        _IMMUTABLE_SQLITE.format(table=t, op=o.lower(), OP=o)
        for t in ("journal_entries", "journal_lines")
        for o in ("UPDATE", "DELETE")
    ),
    """
    CREATE TRIGGER journal_lines_only_before_entry BEFORE INSERT ON journal_lines
    WHEN NEW.entry_id <= (SELECT COALESCE(max(id), 0) FROM journal_entries)
    BEGIN SELECT RAISE(ABORT, 'ledger: lines cannot be added to a posted entry'); END
    """,
    f"""
    CREATE TRIGGER journal_entries_check BEFORE INSERT ON journal_entries
    BEGIN
      SELECT RAISE(ABORT, 'ledger: an entry needs at least two lines')
       WHERE (SELECT count(*) FROM journal_lines WHERE entry_id = NEW.id) < 2;
      SELECT RAISE(ABORT, 'ledger: the entry does not balance')
       WHERE EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.id
                     GROUP BY currency HAVING sum(debit_ore) <> sum(credit_ore));
      SELECT RAISE(ABORT, 'ledger: the entry number leaves a gap or repeats in its series')
       WHERE NEW.number <> 1 + COALESCE((SELECT max(number) FROM journal_entries
                                         WHERE series = NEW.series
                                           AND fiscal_year = NEW.fiscal_year), 0);
      SELECT RAISE(ABORT, 'ledger: the entry id must follow the last entry')
       WHERE NEW.id <= COALESCE((SELECT max(id) FROM journal_entries), 0);
      SELECT RAISE(ABORT, 'ledger: prev_hash does not chain to the last entry')
       WHERE NEW.prev_hash <> COALESCE(
         (SELECT hash FROM journal_entries ORDER BY id DESC LIMIT 1), '{GENESIS}');
      SELECT RAISE(ABORT, 'ledger: the date is outside its fiscal year')
       WHERE NOT EXISTS (SELECT 1 FROM fiscal_years WHERE year = NEW.fiscal_year
                         AND NEW.date BETWEEN start_date AND end_date);
      SELECT RAISE(ABORT, 'ledger: the period is closed')
       WHERE EXISTS (SELECT 1 FROM fiscal_years WHERE year = NEW.fiscal_year
                     AND locked_through IS NOT NULL AND NEW.date <= locked_through);
    END
    """,
    """
    CREATE TRIGGER fiscal_years_no_delete BEFORE DELETE ON fiscal_years
    BEGIN SELECT RAISE(ABORT, 'ledger: fiscal years are never removed'); END
    """,
    """
    CREATE TRIGGER fiscal_years_lock_only_forward BEFORE UPDATE ON fiscal_years
    WHEN NEW.year <> OLD.year OR NEW.start_date <> OLD.start_date
      OR NEW.end_date <> OLD.end_date
      OR (OLD.locked_through IS NOT NULL
          AND (NEW.locked_through IS NULL OR NEW.locked_through < OLD.locked_through))
    BEGIN SELECT RAISE(ABORT, 'ledger: a closed period cannot be reopened'); END
    """,
]

# --- PostgreSQL: statement-level triggers over transition tables, so COPY stays fast ---------

_REFERENCED = (
    ("accounts", "code", "account"),
    ("networks", "id", "network_id"),
    ("contributors", "id", "contributor_id"),
)

POSTGRESQL_TRIGGERS = [
    """
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger: posted % are never changed or removed (%)', TG_TABLE_NAME, TG_OP;
    END $$
    """,
    *(
        f"""
        CREATE TRIGGER {t}_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON {t}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
        """
        for t in ("journal_entries", "journal_lines")
    ),
    """
    CREATE FUNCTION ledger_check_new_lines() RETURNS trigger LANGUAGE plpgsql
    SET enable_seqscan = off AS $$
    DECLARE
      bad bigint;
      bad_account text;
    BEGIN
      -- Entry ids only grow and lines are written before their entry, so a line for an id
      -- at or below the last entry's would change a posted entry.
      IF (SELECT min(entry_id) FROM new_lines)
         <= (SELECT COALESCE(max(id), 0) FROM journal_entries) THEN
        RAISE EXCEPTION 'ledger: lines cannot be added to a posted entry';
      END IF;
      -- The references a foreign key would check row by row, once per statement.
      SELECT n.account INTO bad_account FROM (SELECT DISTINCT account FROM new_lines) n
       WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.code = n.account) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: account % is not in the chart', bad_account;
      END IF;
      SELECT n.network_id INTO bad FROM (SELECT DISTINCT network_id FROM new_lines
                                          WHERE network_id IS NOT NULL) n
       WHERE NOT EXISTS (SELECT 1 FROM networks w WHERE w.id = n.network_id) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: no network %', bad;
      END IF;
      SELECT n.contributor_id INTO bad FROM (SELECT DISTINCT contributor_id FROM new_lines
                                              WHERE contributor_id IS NOT NULL) n
       WHERE NOT EXISTS (SELECT 1 FROM contributors c WHERE c.id = n.contributor_id) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: no contributor %', bad;
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER journal_lines_only_before_entry AFTER INSERT ON journal_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_lines()
    """,
    f"""
    CREATE FUNCTION ledger_check_new_entries() RETURNS trigger LANGUAGE plpgsql
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
        RAISE EXCEPTION 'ledger: the entry id must follow the last entry';
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
          COALESCE(short, lo);
      END IF;
      IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: the entry does not balance (entry %)', bad;
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
          bad_series;
      END IF;

      SELECT x.id INTO bad FROM (
        SELECT e.id, e.prev_hash, lag(e.hash) OVER (ORDER BY e.id) AS expected
          FROM journal_entries e
         WHERE e.id >= COALESCE((SELECT max(o.id) FROM journal_entries o WHERE o.id < lo), 0)
      ) x
       WHERE x.id >= lo AND x.prev_hash <> COALESCE(x.expected, '{GENESIS}')
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: prev_hash does not chain to the last entry (entry %)', bad;
      END IF;

      SELECT e.id INTO bad FROM new_entries e
       WHERE e.reverses_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM journal_entries o WHERE o.id = e.reverses_id)
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: entry % reverses an entry that does not exist', bad;
      END IF;

      SELECT e.id INTO bad FROM new_entries e
        LEFT JOIN fiscal_years f ON f.year = e.fiscal_year
       WHERE f.year IS NULL OR e.date < f.start_date OR e.date > f.end_date
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: the date is outside its fiscal year (entry %)', bad;
      END IF;

      SELECT e.id INTO bad FROM new_entries e
        JOIN fiscal_years f ON f.year = e.fiscal_year
       WHERE f.locked_through IS NOT NULL AND e.date <= f.locked_through
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger: the period is closed (entry %)', bad;
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER journal_entries_check AFTER INSERT ON journal_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_entries()
    """,
    """
    CREATE FUNCTION ledger_fiscal_year_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger: fiscal years are never removed';
      END IF;
      IF NEW.year <> OLD.year OR NEW.start_date <> OLD.start_date
         OR NEW.end_date <> OLD.end_date
         OR (OLD.locked_through IS NOT NULL
             AND (NEW.locked_through IS NULL OR NEW.locked_through < OLD.locked_through)) THEN
        RAISE EXCEPTION 'ledger: a closed period cannot be reopened';
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER fiscal_years_guard BEFORE UPDATE OR DELETE ON fiscal_years
    FOR EACH ROW EXECUTE FUNCTION ledger_fiscal_year_guard()
    """,
    # What the foreign keys would refuse on the other side: removing or renaming a row that
    # lines point at.
    *(
        f"""
        CREATE FUNCTION ledger_guard_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (TG_OP = 'DELETE' OR NEW.{key} <> OLD.{key})
             AND EXISTS (SELECT 1 FROM journal_lines WHERE {column} = OLD.{key}) THEN
            RAISE EXCEPTION 'ledger: {table} row % is used by journal lines', OLD.{key};
          END IF;
          RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$
        """
        for table, key, column in _REFERENCED
    ),
    *(
        f"""
        CREATE TRIGGER {table}_referenced BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION ledger_guard_{table}()
        """
        for table, key, column in _REFERENCED
    ),
]
