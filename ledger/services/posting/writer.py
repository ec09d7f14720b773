"""The writer behind every booking: under the ledger's head row lock it reads what a draft
needs (chart, dimensions, periods, the series' last number), has ``posting.prepare`` turn it
into its id, number, hash and rows (``Writer.prepare``), and writes the queued lines, entries,
kept balances and new head in one go (``flush``)."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, TextualSelect, select, text

from ledger.db import dialect
from ledger.db import tables as t
from ledger.entries import Draft, PostedEntry
from ledger.errors import FiscalYearNotOpen, LedgerDamaged, PeriodClosed, UnknownDimension
from ledger.services import journal, periods
from ledger.services.posting.prepare import (
    ENTRY_COLUMNS,
    LINE_COLUMNS,
    entry_row,
    line_rows,
    posted_entry,
    posted_lines,
)

BULK_THRESHOLD = 100  # rows; below it a plain executemany is cheaper than COPY or json_each
# The kept balances' upsert: its VALUES (rows of seven) are left to the caller's driver.
BALANCES_UPSERT = (
    "INSERT INTO account_balances "
    "(account, network_id, fiscal_year, period, currency, debit_ore, credit_ore) "
    "VALUES {} "
    "ON CONFLICT (account, network_id, fiscal_year, period, currency) DO UPDATE SET "
    "debit_ore = account_balances.debit_ore + excluded.debit_ore, "
    "credit_ore = account_balances.credit_ore + excluded.credit_ore"
)


@dataclass(frozen=True, slots=True)
class Reads:
    """What a batch of drafts needs, read by the caller under the head lock
    (``posting.pipeline.post_batch``): the head row, and of the drafts' own accounts,
    networks, contributors, years and series those that exist, with each series' last
    number."""

    head: tuple[int, str] | None
    accounts: set[str]
    networks: dict[str, int]
    contributors: set[int]
    years: dict[int, date | None]
    numbers: dict[tuple[str, int], int]


class Writer:
    """Assigns ids, numbers and hashes under the head lock and writes them in one go."""

    def __init__(
        self,
        conn: Connection,
        created_by: int | None,
        *,
        one: tuple[Draft, str] | None = None,
        read: tuple[tuple[int, str] | None, Mapping[str, Any]] | None = None,
        reads: Reads | None = None,
    ) -> None:
        """``one``: the draft and key of the one entry this writer books, whose reads it makes
        in one statement. ``read``: the head row and that statement's row, already read under
        the head lock by the caller (``posting.pipeline``); the writer then reads nothing.
        ``reads``: the same for a batch of drafts."""
        self.conn = conn
        self.created_by = created_by
        self.pg = dialect.is_postgresql(conn)
        head: Any
        if reads is not None:
            head = reads.head
        elif read is None:
            # A statement of its own, before any read the numbering depends on: on PostgreSQL
            # each later statement then sees what the writer before us committed.
            head = conn.execute(
                select(t.ledger_head.c.last_entry_id, t.ledger_head.c.last_hash)
                .where(t.ledger_head.c.id == 1)
                .with_for_update()
            ).one_or_none()
        else:
            head = read[0]
        if head is None:
            raise LedgerDamaged(
                "the ledger's head row is missing: nothing can be booked until it is repaired "
                "(kassan ledger verify names what is wrong)"
            )
        self.last_id: int = head[0]
        self.last_hash: str = head[1]
        self.numbers: dict[tuple[str, int], int] = {}
        self.days: dict[date, int] = {}  # days ``_year`` found bookable, with their year
        self.contributors: set[int] = set()
        self.booked_id: int | None = None
        self.entry_rows: list[tuple[object, ...]] = []
        self.line_rows: list[tuple[object, ...]] = []
        self.balances: dict[tuple[str, int, int, int, str], list[int]] = defaultdict(lambda: [0, 0])
        if one is not None:
            row: Any  # a RowMapping here, a dict from the pipeline
            if read is None:
                shape, params = one_entry_reads(*one)
                row = conn.execute(_one_entry_reads(*shape), params).one()._mapping
            else:
                row = read[1]
            self._apply(*one, row)
        elif reads is not None:
            self.accounts = reads.accounts
            self.networks = reads.networks
            self.contributors = set(reads.contributors)
            self.years = reads.years
            self.numbers = dict(reads.numbers)
        else:
            self.accounts = journal.account_codes(conn)
            self.networks = {slug: nid for nid, slug in journal.network_slugs(conn).items()}
            self.years = journal.fiscal_year_locks(conn)

    def _apply(self, draft: Draft, key: str, row: Mapping[str, Any]) -> None:
        """Take what ``one_entry_reads`` found for the draft. Anything missing falls back to
        the full reads, which name what is wrong."""
        accounts = sorted({ln.account for ln in draft.lines})
        slugs = sorted({ln.network for ln in draft.lines if ln.network is not None})
        people = sorted({ln.contributor_id for ln in draft.lines if ln.contributor_id is not None})
        year = draft.date.year
        self.booked_id = row["booked"]
        self.accounts = (
            set(accounts) if row["accounts"] == len(accounts) else journal.account_codes(self.conn)
        )
        self.networks = {slug: row[f"n{i}"] for i, slug in enumerate(slugs)}
        if None in self.networks.values():
            self.networks = {slug: nid for nid, slug in journal.network_slugs(self.conn).items()}
        self.years = {year: row["locked"]} if row["has_year"] else {}
        self.numbers[(draft.series, year)] = row["last"] or 0
        if people and row["people"] == len(people):
            self.contributors = set(people)

    def _year(self, day: date) -> int:
        # A day once found bookable stays so for this writer (it holds the head lock, and the
        # years it read only change when a miss reads them again): bulk posting checks each
        # day once, not each entry.
        year = self.days.get(day)
        if year is not None:
            return year
        periods.check_date(day)
        year = day.year
        if year not in self.years:
            self.years = journal.fiscal_year_locks(self.conn)
            self.days.clear()
            if year not in self.years:
                raise FiscalYearNotOpen(year)
        locked = self.years[year]
        if locked is not None and day <= locked:
            raise PeriodClosed(
                f"the books are closed through {locked.isoformat()}; {day.isoformat()} "
                "cannot take new entries",
                "date",
            )
        self.days[day] = year
        return year

    def _number(self, series: str, year: int) -> int:
        k = (series, year)
        if k not in self.numbers:
            self.numbers[k] = journal.last_number(self.conn, series, year)
        self.numbers[k] += 1
        return self.numbers[k]

    def _check_contributors(self, draft: Draft) -> None:
        wanted = {ln.contributor_id for ln in draft.lines if ln.contributor_id is not None}
        missing = wanted - self.contributors
        if not missing:
            return
        found = journal.existing_contributors(self.conn, missing)
        self.contributors |= found
        for i, ln in enumerate(draft.lines):
            if ln.contributor_id is not None and ln.contributor_id not in self.contributors:
                raise UnknownDimension(
                    f"no contributor {ln.contributor_id}", f"lines[{i}].contributor_id"
                )

    def prepare(self, draft: Draft, key: str, *, reverses_id: int | None = None) -> PostedEntry:
        """Give the draft its id, number and hash and queue its rows; returns the entry."""
        year = self._year(draft.date)
        lines = posted_lines(draft, self.accounts, self.networks)
        known = self.contributors
        for pl in lines:
            who = pl[6]  # contributor_id
            if who is not None and who not in known:
                self._check_contributors(draft)
                break
        entry = posted_entry(
            draft,
            key,
            lines,
            entry_id=self.last_id + 1,
            number=self._number(draft.series, year),
            fiscal_year=year,
            prev_hash=self.last_hash,
            reverses_id=reverses_id,
        )
        self.entry_rows.append(
            entry_row(entry, self.created_by, date_as_text=not self.pg, hash_as_bytes=self.pg)
        )
        self.line_rows.extend(line_rows(entry))
        month = draft.date.month
        balances = self.balances
        for _no, account, debit, credit, currency, network_id, _who in lines:
            bal = balances[(account, network_id or 0, year, month, currency)]
            bal[0] += debit
            bal[1] += credit
        self.last_id, self.last_hash = entry.id, entry.hash
        return entry

    def flush(self) -> None:
        if not self.entry_rows:
            return
        self._insert("journal_lines", LINE_COLUMNS, self.line_rows)
        self._insert("journal_entries", ENTRY_COLUMNS, self.entry_rows)
        self.conn.execute(
            text(BALANCES_UPSERT.format("(:a, :n, :y, :p, :c, :d, :k)")),
            [
                {"a": a, "n": n, "y": y, "p": p, "c": c, "d": d, "k": k}
                for (a, n, y, p, c), (d, k) in self.balances.items()
            ],
        )
        self.conn.execute(
            t.ledger_head.update()
            .where(t.ledger_head.c.id == 1)
            .values(last_entry_id=self.last_id, last_hash=self.last_hash)
        )
        self.entry_rows, self.line_rows = [], []
        self.balances.clear()

    def _insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
        cols = ", ".join(columns)
        if len(rows) >= BULK_THRESHOLD:
            if self.pg:
                dialect.copy_rows(self.conn, table, columns, rows)
            else:
                # One statement over a JSON array: SQLite runs its row triggers far faster
                # inside one INSERT ... SELECT than across an executemany.
                picks = ", ".join(f"value->>{i}" for i in range(len(columns)))
                self.conn.exec_driver_sql(
                    f"INSERT INTO {table} ({cols}) SELECT {picks} FROM json_each(?)",
                    (json.dumps(rows, ensure_ascii=False),),
                )
            return
        marks = ", ".join(["%s" if self.pg else "?"] * len(columns))
        self.conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)


def one_entry_reads(draft: Draft, key: str) -> tuple[tuple[int, int, int], dict[str, object]]:
    """What one entry needs, in one round trip: whether its source key is booked, its
    accounts, networks and contributors, its fiscal year and the series' last number. Returns
    the statement's shape (for ``one_entry_sql``) and its parameters."""
    accounts = sorted({ln.account for ln in draft.lines})
    slugs = sorted({ln.network for ln in draft.lines if ln.network is not None})
    people = sorted({ln.contributor_id for ln in draft.lines if ln.contributor_id is not None})
    params: dict[str, object] = {"key": key, "year": draft.date.year, "series": draft.series}
    params.update({f"a{i}": code for i, code in enumerate(accounts)})
    params.update({f"n{i}": slug for i, slug in enumerate(slugs)})
    params.update({f"c{i}": cid for i, cid in enumerate(people)})
    return (len(accounts), len(slugs), len(people)), params


@functools.lru_cache(maxsize=64)
def one_entry_sql(accounts: int, networks: int, people: int, *, mark: str = ":{}") -> str:
    """The one statement of ``one_entry_reads`` for a draft of this shape, with its
    parameters written as ``mark`` (``:{}`` for SQLAlchemy, ``%({})s`` for psycopg)."""

    def p(name: str) -> str:
        return mark.format(name)

    picks = [
        f"(SELECT id FROM journal_entries WHERE source_key = {p('key')}) AS booked",
        "(SELECT COUNT(*) FROM accounts WHERE code IN ("
        + ", ".join(p(f"a{i}") for i in range(accounts))
        + ")) AS accounts",
        f"(SELECT COUNT(*) FROM fiscal_years WHERE year = {p('year')}) AS has_year",
        f"(SELECT locked_through FROM fiscal_years WHERE year = {p('year')}) AS locked",
        "(SELECT MAX(number) FROM journal_entries "
        f"WHERE series = {p('series')} AND fiscal_year = {p('year')}) AS last",
        *(f"(SELECT id FROM networks WHERE slug = {p(f'n{i}')}) AS n{i}" for i in range(networks)),
    ]
    if people:
        picks.append(
            "(SELECT COUNT(*) FROM contributors WHERE id IN ("
            + ", ".join(p(f"c{i}") for i in range(people))
            + ")) AS people"
        )
    return "SELECT " + ", ".join(picks)


@functools.lru_cache(maxsize=64)
def _one_entry_reads(accounts: int, networks: int, people: int) -> TextualSelect:
    """``one_entry_sql`` as a SQLAlchemy statement, built once per shape: made anew per
    entry, building the statement cost more than running it."""
    return text(one_entry_sql(accounts, networks, people)).columns(locked=Date)
