"""The Autogiro desk's figures, data first: the mandate register (status, since when, next
debit, last result), the files to and from Bankgirot, and a month's debits: expected (ordered),
approved, failed and still waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.banking_days import debit_date, next_month
from ledger.db import tables as t
from ledger.statuses import DebitStatus, MandateStatus

__all__ = ["AutogiroDesk", "FailedDebit", "FileLine", "MandateLine", "MonthFigures", "desk"]

FILE_LIMIT = 50


@dataclass(frozen=True, slots=True)
class MandateLine:
    payer_number: int
    contributor: str
    network: str | None  # None: where it is needed most
    amount_ore: int
    status: MandateStatus
    since: datetime
    tk03_pending: bool
    next_debit: date | None  # active mandates only
    last_month: str | None
    last_result: DebitStatus | None
    changes: int  # entries in its history


@dataclass(frozen=True, slots=True)
class FileLine:
    id: int
    direction: str
    kind: str
    filename: str
    records: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: str
    expected: tuple[int, int]  # (debits ordered, öre)
    approved: tuple[int, int]
    failed: tuple[int, int]  # insufficient funds, no mandate, rejected
    waiting: tuple[int, int]  # ordered or renewed, no answer yet


@dataclass(frozen=True, slots=True)
class FailedDebit:
    """A debit of the month that brought no money, with whom finance may contact about it."""

    payer_number: int
    contributor: str
    email: str | None
    amount_ore: int
    status: DebitStatus
    due: date


@dataclass(frozen=True, slots=True)
class AutogiroDesk:
    month: MonthFigures
    mandates: tuple[MandateLine, ...]
    files: tuple[FileLine, ...]
    failed: tuple[FailedDebit, ...] = ()


def _month(conn: Connection, month: str) -> MonthFigures:
    d = t.autogiro_debits.c
    rows = conn.execute(
        select(d.status, func.count(), func.sum(d.amount_ore))
        .where(d.month == month)
        .group_by(d.status)
    ).all()
    by: dict[str, tuple[int, int]] = {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}

    def total(*statuses: DebitStatus) -> tuple[int, int]:
        found = [by.get(s, (0, 0)) for s in statuses]
        return sum(f[0] for f in found), sum(f[1] for f in found)

    return MonthFigures(
        month,
        expected=total(*DebitStatus),
        approved=total(DebitStatus.APPROVED, DebitStatus.REFUNDED),
        failed=total(DebitStatus.FAILED, DebitStatus.REJECTED),
        waiting=total(DebitStatus.ORDERED, DebitStatus.RENEWED),
    )


def _last_debits(conn: Connection) -> dict[int, Any]:
    d = t.autogiro_debits.c
    newest = (
        select(d.payer_number, func.max(d.month).label("month")).group_by(d.payer_number).subquery()
    )
    rows = conn.execute(
        select(d.payer_number, d.month, d.status).join(
            newest, (newest.c.payer_number == d.payer_number) & (newest.c.month == d.month)
        )
    )
    return {r.payer_number: r for r in rows}


def _failed(conn: Connection, month: str) -> tuple[FailedDebit, ...]:
    d, m, c = t.autogiro_debits.c, t.autogiro_mandates.c, t.contributors.c
    rows = conn.execute(
        select(d.payer_number, c.name, c.email, d.amount_ore, d.status, d.due)
        .select_from(
            t.autogiro_debits.join(t.autogiro_mandates, m.payer_number == d.payer_number).join(
                t.contributors, c.id == m.contributor_id
            )
        )
        .where(d.month == month, d.status.in_((DebitStatus.FAILED, DebitStatus.REJECTED)))
        .order_by(d.payer_number)
    ).all()
    return tuple(
        FailedDebit(
            r.payer_number, r.name, r.email, int(r.amount_ore), DebitStatus(r.status), r.due
        )
        for r in rows
    )


def desk(conn: Connection, month: str, debit_day: int) -> AutogiroDesk:
    """The register and the month's figures; ``month`` is ``YYYY-MM``."""
    m, c, n = t.autogiro_mandates.c, t.contributors.c, t.networks.c
    e = t.autogiro_mandate_events.c
    changes = (
        select(e.payer_number, func.count().label("changes")).group_by(e.payer_number).subquery()
    )
    rows = conn.execute(
        select(
            m.payer_number,
            c.name,
            n.name.label("network"),
            m.amount_ore,
            m.status,
            m.updated_at,
            m.tk03_pending,
            changes.c.changes,
        )
        .select_from(
            t.autogiro_mandates.join(t.contributors, c.id == m.contributor_id)
            .outerjoin(t.networks, n.id == m.network_id)
            .outerjoin(changes, changes.c.payer_number == m.payer_number)
        )
        .order_by(m.payer_number)
    ).all()
    last = _last_debits(conn)
    this_month, following = debit_date(month, debit_day), debit_date(next_month(month), debit_day)
    lines = []
    for r in rows:
        debit = last.get(r.payer_number)
        upcoming = None
        if r.status == MandateStatus.ACTIVE:
            done = debit is not None and debit.month >= month
            upcoming = following if done else this_month
        lines.append(
            MandateLine(
                r.payer_number,
                r.name,
                r.network,
                int(r.amount_ore),
                MandateStatus(r.status),
                r.updated_at,
                bool(r.tk03_pending),
                upcoming,
                debit.month if debit else None,
                DebitStatus(debit.status) if debit else None,
                int(r.changes or 0),
            )
        )
    f = t.autogiro_files.c
    files = conn.execute(
        select(f.id, f.direction, f.kind, f.filename, f.records, f.created_at)
        .order_by(f.id.desc())
        .limit(FILE_LIMIT)
    ).all()
    return AutogiroDesk(
        _month(conn, month),
        tuple(lines),
        tuple(FileLine(*row) for row in files),
        _failed(conn, month),
    )
