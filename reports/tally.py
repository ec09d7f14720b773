"""Kept tallies of gift income for the dashboard: who gives and how (``income_mix``) and
organisations' gifts (``organisation_income``), per fiscal year and network, persisted beside
the mark of the last journal entry folded into them (``income_tally_mark``).

Migration 0027 filled them from the lines booked before it. ``catch_up`` folds in the entries
booked since the mark, in the caller's transaction, under a lock on the mark; the dashboard
view calls it before it builds, so a first load reads the small tables plus the entries since
its last call instead of a year of journal lines. The readers (``giving_sums``,
``organisation_sums``) add the lines booked after the mark on the fly, in the same statement
as the tables (one snapshot, checked against the mark), so their answer is the GROUP BY over
the lines whether or not anybody caught up lately, and on a database nobody may write to.

Why this is safe: journal lines are never changed or deleted (the ledger's triggers), entries
up to ``ledger_head`` are committed (posting moves the head in the entry's own transaction,
under the head lock, so entry ids commit in order), and what a tally groups by is fixed once a
line is booked (a contributor's kind is set when it is created; merges keep it). ``BANDS`` and
the conditions are also in migration 0027: changing them needs a migration that fills the
tables again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, case, func, select

from ledger.chart import GIFT_INCOME
from ledger.db import dialect
from ledger.db import tables as t
from reports.funding.sources import ALLOCATION_KIND, CURRENCY

__all__ = [
    "BANDS",
    "catch_up",
    "giving_sums",
    "organisation_sums",
]

# Gift size bands in öre: (lower bound inclusive, label). The upper bound is the next band's.
BANDS: tuple[tuple[int, str], ...] = (
    (0, "under 100 kr"),
    (100_00, "100–499 kr"),
    (500_00, "500–1 999 kr"),
    (2_000_00, "2 000–9 999 kr"),
    (10_000_00, "10 000–49 999 kr"),
    (50_000_00, "50 000 kr och mer"),
)
NO_KIND = ""  # a line without a contributor
NO_NETWORK = 0

# (series, kind, band) -> [net öre, gifts, credit öre]
GivingSums = dict[tuple[str, str, int], list[int]]
# (contributor id, fiscal year) -> credit öre
OrganisationSums = dict[tuple[int, int], int]


def _band_of(credit: ColumnElement[int]) -> ColumnElement[int]:
    """The band's index of a credit amount (a debit line, amount 0, falls in band 0 and adds
    no gift there)."""
    whens = [(credit >= lower, i) for i, (lower, _) in reversed(list(enumerate(BANDS))) if lower]
    return case(*whens, else_=0)


def _mark() -> Select[Any]:
    m = t.income_tally_mark.c
    return select(m.last_entry_id).where(m.id == 1)


def _mix_lines(conds: list[ColumnElement[bool]]) -> Select[Any]:
    """One row per 3993 line that counts as income: the keys and the three sums' parts."""
    e, ln, c = t.journal_entries.c, t.journal_lines.c, t.contributors.c
    credit = ln.credit_ore
    return (
        select(
            e.fiscal_year.label("fiscal_year"),
            func.coalesce(ln.network_id, NO_NETWORK).label("network_id"),
            e.series.label("series"),
            func.coalesce(c.kind, NO_KIND).label("kind"),
            _band_of(credit).label("band"),
            (credit - ln.debit_ore).label("net_ore"),
            case((credit > 0, 1), else_=0).label("gifts"),
            case((credit > 0, credit), else_=0).label("credit_ore"),
        )
        .select_from(
            t.journal_lines.join(t.journal_entries, e.id == ln.entry_id).outerjoin(
                t.contributors, c.id == ln.contributor_id
            )
        )
        .where(
            ln.account == GIFT_INCOME,
            ln.currency == CURRENCY,
            e.source_kind != ALLOCATION_KIND,
            *conds,
        )
    )


def _organisation_lines(conds: list[ColumnElement[bool]]) -> Select[Any]:
    """One row per organisation's gift line (a 3993 credit)."""
    e, ln, c = t.journal_entries.c, t.journal_lines.c, t.contributors.c
    return (
        select(
            e.fiscal_year.label("fiscal_year"),
            func.coalesce(ln.network_id, NO_NETWORK).label("network_id"),
            ln.contributor_id.label("contributor_id"),
            ln.credit_ore.label("credit_ore"),
        )
        .select_from(
            t.journal_lines.join(t.journal_entries, e.id == ln.entry_id).join(
                t.contributors, ln.contributor_id == c.id
            )
        )
        .where(
            c.kind == "organisation",
            ln.account == GIFT_INCOME,
            ln.credit_ore > 0,
            e.source_kind != ALLOCATION_KIND,
            *conds,
        )
    )


MIX_KEYS = ("fiscal_year", "network_id", "series", "kind", "band")
MIX_SUMS = ("net_ore", "gifts", "credit_ore")
ORG_KEYS = ("fiscal_year", "network_id", "contributor_id")


def _grouped(lines: Select[Any], keys: tuple[str, ...], sums: tuple[str, ...]) -> Select[Any]:
    sub = lines.subquery()
    return select(*(sub.c[k] for k in keys), *(func.sum(sub.c[s]).label(s) for s in sums)).group_by(
        *(sub.c[k] for k in keys)
    )


def _fold(conn: Connection, rows: list[dict[str, Any]], table: Any, keys: tuple[str, ...]) -> None:
    if not rows:
        return
    stmt = dialect.insert(conn, table)
    sums = [c.name for c in table.columns if c.name not in keys]
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={s: table.c[s] + stmt.excluded[s] for s in sums},
        ),
        rows,
    )


def catch_up(conn: Connection) -> int:
    """Fold the entries booked since the mark into the tallies and move the mark to the
    ledger's head, in the caller's transaction (the caller commits). Returns how many entries
    were folded in (0 when the tallies were up to date, which costs one read)."""
    h, m = t.ledger_head.c, t.income_tally_mark.c
    head_q = select(h.last_entry_id).where(h.id == 1).scalar_subquery()
    mark, head = conn.execute(select(_mark().scalar_subquery(), head_q)).one()
    if head is None or mark is None or head <= mark:
        return 0
    # Two catch-ups at once: the second waits here and then reads the first one's mark.
    mark = conn.scalar(_mark().with_for_update())
    head = conn.scalar(select(h.last_entry_id).where(h.id == 1))
    if head <= mark:
        return 0
    ln = t.journal_lines.c
    since = [ln.entry_id > mark, ln.entry_id <= head]
    for lines, table, keys, sums in (
        (_mix_lines(since), t.income_mix, MIX_KEYS, MIX_SUMS),
        (_organisation_lines(since), t.organisation_income, ORG_KEYS, ("credit_ore",)),
    ):
        rows = [dict(r._mapping) for r in conn.execute(_grouped(lines, keys, sums))]
        _fold(conn, rows, table, keys)
    conn.execute(t.income_tally_mark.update().where(m.id == 1).values(last_entry_id=head))
    return int(head - mark)


def _as_of_mark(conn: Connection, query_for: Callable[[int], Select[Any]]) -> list[Any]:
    """The rows of ``query_for(mark)``: kept rows plus the lines after ``mark``. The mark goes
    in as a value, so that the planner reads only the lines after it by the lines' primary key
    (PostgreSQL cannot see through a subquery that so few lines follow it, and scans every
    3993 line). Each row also carries the mark the statement itself saw (its last column): a
    catch-up that moved the mark in between (possible on PostgreSQL, where each statement has
    a snapshot of its own) would count its entries twice, so the read starts again."""
    while True:
        mark = int(conn.scalar(_mark()) or 0)
        rows = conn.execute(query_for(mark)).all()
        if all(r[-1] == mark for r in rows):
            return [r[:-1] for r in rows]


def _giving_query(year: int, network_id: int | None, mark: int) -> Select[Any]:
    x, ln, e = t.income_mix.c, t.journal_lines.c, t.journal_entries.c
    kept: list[ColumnElement[bool]] = [x.fiscal_year == year]
    since: list[ColumnElement[bool]] = [e.fiscal_year == year, ln.entry_id > mark]
    if network_id is not None:
        kept.append(x.network_id == network_id)
        since.append(ln.network_id == network_id)
    both = (
        select(*(x[k] for k in MIX_KEYS), *(x[s] for s in MIX_SUMS))
        .where(*kept)
        .union_all(_mix_lines(since))
        .subquery()
    )
    return select(
        both.c.series,
        both.c.kind,
        both.c.band,
        *(func.sum(both.c[s]) for s in MIX_SUMS),
        _mark().scalar_subquery(),
    ).group_by(both.c.series, both.c.kind, both.c.band)


def giving_sums(conn: Connection, year: int, network_id: int | None) -> GivingSums:
    """3993 on ``year``'s entries (one network's, or all) by series, kind of giver ('' for
    none) and gift band: the kept tally plus the lines booked after its mark."""
    rows = _as_of_mark(conn, lambda mark: _giving_query(year, network_id, mark))
    return {(str(r[0]), str(r[1]), int(r[2])): [int(r[3]), int(r[4]), int(r[5])] for r in rows}


def _organisation_query(years: tuple[int, ...], network_id: int | None, mark: int) -> Select[Any]:
    x, ln, e = t.organisation_income.c, t.journal_lines.c, t.journal_entries.c
    kept: list[ColumnElement[bool]] = [x.fiscal_year.in_(years)]
    since: list[ColumnElement[bool]] = [e.fiscal_year.in_(years), ln.entry_id > mark]
    if network_id is not None:
        kept.append(x.network_id == network_id)
        since.append(ln.network_id == network_id)
    both = (
        select(*(x[k] for k in ORG_KEYS), x.credit_ore)
        .where(*kept)
        .union_all(_organisation_lines(since))
        .subquery()
    )
    return select(
        both.c.contributor_id,
        both.c.fiscal_year,
        func.sum(both.c.credit_ore),
        _mark().scalar_subquery(),
    ).group_by(both.c.contributor_id, both.c.fiscal_year)


def organisation_sums(
    conn: Connection, years: tuple[int, ...], network_id: int | None
) -> OrganisationSums:
    """Organisations' gifts (3993 credits) per contributor and fiscal year in ``years``: the
    kept tally plus the lines booked after its mark."""
    rows = _as_of_mark(conn, lambda mark: _organisation_query(years, network_id, mark))
    return {(int(r[0]), int(r[1])): int(r[2]) for r in rows}
