"""Merging two contributors who are one (a donor registered twice, a club under two names).

The survivor keeps its id. The other is marked ``merged_into`` and never deleted, so every
entry that names it still reads. Rows that are not ledger rows (gifts, expected payments,
memberships, pledges, invoices: any table pointing at contributors, except the ledger's own
history) are re-pointed. The ledger is re-pointed by booking, never by editing lines: ONE
reclassification entry (series M) moves every non-zero balance the merged contributor has, per
account, network and currency, to the survivor, so totals per account stay as they were.

Once only: ``contributor_merges`` has the merged contributor as its primary key, and the entry's
source key is ``merge:<from>:<into>``; merging again answers with the first merge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Column, Connection, Table, case, func, select
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import DimensionNotFound, DimensionRefused
from ledger.services import journal, posting

__all__ = ["MergeResult", "merge"]

SOURCE_KIND = "merge"
# Tables whose contributor column is history, not a relationship: the ledger's lines (moved by
# the entry instead), allocations tied to their booked entries, and the merge records.
KEPT = frozenset({"journal_lines", "bank_line_allocations", "contributor_merges", "contributors"})


@dataclass(frozen=True, slots=True)
class MergeResult:
    from_id: int
    into_id: int
    entry_id: int | None  # None: the merged contributor had no balance to move
    moved: dict[str, int]  # table -> rows re-pointed
    merged_now: bool  # False: this merge was done before, nothing happened now


def source_key(from_id: int, into_id: int) -> str:
    return f"{SOURCE_KIND}:{from_id}:{into_id}"


def _refusal(message: str, field: str, sv: str) -> DimensionRefused:
    return DimensionRefused(message, field, sv)


def _earlier(conn: Connection, from_id: int, into_id: int) -> MergeResult | None:
    cm = t.contributor_merges.c
    row = conn.execute(
        select(cm.into_id, cm.entry_id, cm.moved).where(cm.from_id == from_id)
    ).first()
    if row is None:
        return None
    if row.into_id != into_id:
        raise _refusal(
            f"contributor {from_id} was merged into {row.into_id} already",
            "from_id",
            f"Givare {from_id} är redan sammanslagen med givare {row.into_id}.",
        )
    return MergeResult(from_id, into_id, row.entry_id, json.loads(row.moved), merged_now=False)


def _pointers() -> list[Column[int]]:
    """Every column outside ``KEPT`` that refers to a contributor."""
    found = []
    # By name, not by dependency: the order does not matter here, and sorting by foreign keys
    # warns (an error in tests) once the schema has a cycle (gifts, expected payments, collections).
    for _name, table in sorted(t.metadata.tables.items()):
        if table.name in KEPT:
            continue
        for column in table.columns:
            if any(fk.column is t.contributors.c.id for fk in column.foreign_keys):
                found.append(column)
    return found


def _merge_memberships(conn: Connection, from_id: int, into_id: int) -> int:
    # One membership per organisation and network: where both are members, the survivor's
    # membership takes the other's commitments and the earlier joining date.
    m, mc = t.network_memberships, t.membership_commitments
    theirs = {r.network_id: r for r in conn.execute(select(m).where(m.c.contributor_id == into_id))}
    moved = 0
    for mine in conn.execute(select(m).where(m.c.contributor_id == from_id)).all():
        keep = theirs.get(mine.network_id)
        if keep is None:
            conn.execute(m.update().where(m.c.id == mine.id).values(contributor_id=into_id))
        else:
            conn.execute(
                mc.update().where(mc.c.membership_id == mine.id).values(membership_id=keep.id)
            )
            conn.execute(
                m.update()
                .where(m.c.id == keep.id)
                .values(joined_on=min(keep.joined_on, mine.joined_on))
            )
            conn.execute(m.delete().where(m.c.id == mine.id))
        moved += 1
    return moved


def _repoint(conn: Connection, from_id: int, into_id: int) -> dict[str, int]:
    moved = {"network_memberships": _merge_memberships(conn, from_id, into_id)}
    for column in _pointers():
        table = column.table
        if not isinstance(table, Table) or table.name == "network_memberships":
            continue
        result = conn.execute(
            table.update().where(column == from_id).values({column.name: into_id})
        )
        if result.rowcount:
            key = table.name if column.name == "contributor_id" else f"{table.name}.{column.name}"
            moved[key] = moved.get(key, 0) + result.rowcount
    return {k: v for k, v in moved.items() if v}


def _reclassification(conn: Connection, from_id: int, into_id: int, on: date) -> Draft | None:
    ln = t.journal_lines.c
    balance = func.sum(ln.debit_ore) - func.sum(ln.credit_ore)
    rows = conn.execute(
        select(ln.account, ln.network_id, ln.currency, balance.label("balance"))
        .where(ln.contributor_id == from_id)
        .group_by(ln.account, ln.network_id, ln.currency)
        .having(balance != 0)
        .order_by(ln.account, case((ln.network_id.is_(None), 0), else_=ln.network_id), ln.currency)
    ).all()
    if not rows:
        return None
    slugs = journal.network_slugs(conn)
    lines: list[LineDraft] = []
    for r in rows:
        network = slugs[r.network_id] if r.network_id is not None else None
        amount = abs(int(r.balance))
        # a debit balance leaves the merged contributor by a credit, and the other way round
        side = (0, amount) if r.balance > 0 else (amount, 0)
        lines.append(LineDraft(r.account, *side, r.currency, network, from_id))
        lines.append(LineDraft(r.account, side[1], side[0], r.currency, network, into_id))
    return Draft(
        date=on,
        text=f"Sammanslagning: givare {from_id} flyttas till givare {into_id}",
        lines=tuple(lines),
        series="M",
        source_kind=SOURCE_KIND,
        source_key=source_key(from_id, into_id),
    )


def merge(
    conn: Connection, from_id: int, into_id: int, *, on: date, created_by: int | None = None
) -> MergeResult:
    """Merge ``from_id`` into ``into_id`` in the caller's transaction; see the module text."""
    if from_id == into_id:
        raise _refusal(
            "a contributor cannot be merged into itself",
            "into_id",
            "Välj en annan givare att slå samman med.",
        )
    c = t.contributors.c
    # Lock both rows (PostgreSQL; SQLite has one writer anyway) in id order, so two opposite
    # merges at once cannot each see the other as active.
    rows = {
        r.id: r
        for r in conn.execute(
            select(c.id, c.kind, c.merged_into)
            .where(c.id.in_([from_id, into_id]))
            .order_by(c.id)
            .with_for_update()
        )
    }
    for cid, field in ((from_id, "from_id"), (into_id, "into_id")):
        if cid not in rows:
            raise DimensionNotFound(f"no contributor {cid}", field, f"Givare {cid} finns inte.")
    earlier = _earlier(conn, from_id, into_id)
    if earlier is not None:
        return earlier
    if rows[into_id].merged_into is not None:
        raise _refusal(
            f"contributor {into_id} was merged into {rows[into_id].merged_into}",
            "into_id",
            f"Givare {into_id} är själv sammanslagen med givare {rows[into_id].merged_into}.",
        )
    if rows[from_id].kind != rows[into_id].kind:
        raise _refusal(
            "a person and an organisation are not merged",
            "into_id",
            "En person och en organisation kan inte slås samman.",
        )
    try:
        with conn.begin_nested():
            conn.execute(t.contributor_merges.insert().values(
                from_id=from_id, into_id=into_id, merged_by=created_by, moved="{}"
            ))  # fmt: skip
    except IntegrityError as exc:
        # a merge of the same contributor committed between our look-up and this insert
        again = _earlier(conn, from_id, into_id)
        if again is not None:
            return again
        raise _refusal(
            "the merge could not be recorded", "from_id", "Sammanslagningen misslyckades."
        ) from exc
    draft = _reclassification(conn, from_id, into_id, on)
    entry_id = posting.post(conn, draft, created_by=created_by).id if draft else None
    moved = _repoint(conn, from_id, into_id)
    conn.execute(t.contributors.update().where(c.id == from_id).values(merged_into=into_id))
    cm = t.contributor_merges.c
    conn.execute(
        t.contributor_merges.update()
        .where(cm.from_id == from_id)
        .values(entry_id=entry_id, moved=json.dumps(moved, sort_keys=True))
    )
    return MergeResult(from_id, into_id, entry_id, moved, merged_now=True)
