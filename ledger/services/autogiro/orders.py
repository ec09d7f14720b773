"""What goes to Bankgirot and when: the mandates and cancellations for the next mandate file,
each month's debit orders, and the files themselves (kept whole, with their SHA-256).

A month's debit is one row per mandate and month (``autogiro_debits``, UNIQUE on both), so a
second run for a month finds nothing left to order: the database, not a look-up, is what keeps
a donor from being debited twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from ledger.db import tables as t
from ledger.money import Money
from ledger.services.autogiro import mandates
from ledger.statuses import DebitStatus, MandateStatus

__all__ = [
    "PlannedDebit",
    "due_this_month",
    "file_seen",
    "find_debit",
    "mark_sent",
    "order_debits",
    "record_file",
    "set_debit_status",
    "to_send",
]


@dataclass(frozen=True, slots=True)
class PlannedDebit:
    payer_number: int
    amount: Money
    reference: str


def record_file(
    conn: Connection,
    direction: str,
    kind: str,
    filename: str,
    content: bytes,
    records: int,
    month: str | None = None,
) -> int:
    """Keep a file to or from Bankgirot whole; its id."""
    return int(
        conn.execute(
            t.autogiro_files.insert()
            .values(
                direction=direction,
                kind=kind,
                filename=filename,
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                records=records,
                month=month,
                created_at=datetime.now(UTC),
            )
            .returning(t.autogiro_files.c.id)
        ).scalar_one()
    )


def to_send(conn: Connection) -> tuple[list[mandates.Mandate], list[int]]:
    """New mandates not yet in a mandate file, and the payer numbers whose cancellation has not
    reached Bankgirot; the rows are locked until the transaction ends."""
    m = t.autogiro_mandates.c
    rows = conn.execute(
        select(t.autogiro_mandates)
        .where((m.status == MandateStatus.NEW) | (m.tk03_pending == True))  # noqa: E712
        .order_by(m.payer_number)
        .with_for_update()
    ).all()
    new = [mandates._from_row(r) for r in rows if r.status == MandateStatus.NEW]
    cancelled = [r.payer_number for r in rows if r.tk03_pending]
    return new, cancelled


def mark_sent(
    conn: Connection, file_id: int, filename: str, new: Sequence[int], cancelled: Sequence[int]
) -> None:
    for payer_number in new:
        mandates.record_status(
            conn,
            payer_number,
            MandateStatus.SENT,
            f"medgivandefil {filename}",
            sent_file_id=file_id,
        )
    for payer_number in cancelled:
        conn.execute(
            t.autogiro_mandates.update()
            .where(t.autogiro_mandates.c.payer_number == payer_number)
            .values(tk03_pending=False, cancel_file_id=file_id, updated_at=datetime.now(UTC))
        )
        conn.execute(
            t.autogiro_mandate_events.insert().values(
                payer_number=payer_number,
                at=datetime.now(UTC),
                status=MandateStatus.CANCELLED,
                source=f"medgivandefil {filename}",
                note="makulering (TK03) skickad till Bankgirot",
            )
        )


def due_this_month(conn: Connection, month: str) -> list[PlannedDebit]:
    """Every active mandate with no debit ordered for ``month`` (``YYYY-MM``)."""
    m, d = t.autogiro_mandates.c, t.autogiro_debits.c
    rows = conn.execute(
        select(m.payer_number, m.amount_ore, m.currency)
        .select_from(
            t.autogiro_mandates.outerjoin(
                t.autogiro_debits, and_(d.payer_number == m.payer_number, d.month == month)
            )
        )
        .where(m.status == MandateStatus.ACTIVE, d.id.is_(None))
        .order_by(m.payer_number)
    ).all()
    return [
        PlannedDebit(r.payer_number, Money(r.amount_ore, r.currency), f"GÅVA {month}") for r in rows
    ]


def order_debits(
    conn: Connection, file_id: int, month: str, due: date, planned: Sequence[PlannedDebit]
) -> None:
    if not planned:
        return
    now = datetime.now(UTC)
    conn.execute(
        t.autogiro_debits.insert(),
        [
            {
                "payer_number": p.payer_number,
                "month": month,
                "due": due,
                "amount_ore": p.amount.ore,
                "reference": p.reference,
                "file_id": file_id,
                "status": DebitStatus.ORDERED,
                "updated_at": now,
            }
            for p in planned
        ],
    )


def file_seen(conn: Connection, direction: str, content: bytes) -> int | None:
    """The id of a file with these very bytes kept before, if any."""
    digest = hashlib.sha256(content).hexdigest()
    f = t.autogiro_files.c
    found = conn.scalar(select(f.id).where(f.direction == direction, f.sha256 == digest))
    return None if found is None else int(found)


def find_debit(conn: Connection, payer_number: int, month: str) -> Any | None:
    d = t.autogiro_debits.c
    return conn.execute(
        select(t.autogiro_debits).where(d.payer_number == payer_number, d.month == month)
    ).one_or_none()


def set_debit_status(
    conn: Connection, debit_id: int, status: DebitStatus, entry_id: int | None = None
) -> None:
    values: dict[str, Any] = {"status": status, "updated_at": datetime.now(UTC)}
    if entry_id is not None:
        values["entry_id"] = entry_id
    conn.execute(
        t.autogiro_debits.update().where(t.autogiro_debits.c.id == debit_id).values(**values)
    )
