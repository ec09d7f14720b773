"""What waits in suspense (2890) for the finance desk: bank lines with money still open,
suggested targets for each with the reason in words, and the search for the right one.

Only reads. The suggestions rank what a person would check first: a valid OCR reference in the
payer's message, then the same amount from a payer whose name looks alike, then the same
amount due within a few days of the payment. ``ledger.services.reconcile`` books the choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, or_, select

from ledger.chart import SUSPENSE
from ledger.db import tables as t
from ledger.money import Money, parse_amount
from ledger.references import is_valid_reference
from ledger.services import expected

__all__ = [
    "QueueLine",
    "Suggestion",
    "get_line",
    "queue",
    "search_contributors",
    "search_expected",
    "suggestions",
    "suspense_balance",
]

DUE_WINDOW = timedelta(days=5)
NAME_LIKENESS = 0.6  # SequenceMatcher ratio; "Kommunal avd 12" vs "Kommunal avdelning 12": 0.79
_DIGITS = re.compile(r"\d[\d ]{1,30}\d")
_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class QueueLine:
    id: int
    import_id: int
    line_no: int
    booking_date: date
    amount_ore: int
    open_ore: int
    currency: str
    reference: str | None
    message: str | None
    payer_name: str | None
    account: str | None
    channel: str | None
    match_kind: str
    note: str | None


@dataclass(frozen=True, slots=True)
class Suggestion:
    payment: expected.ExpectedPayment
    score: int
    reason: str
    amount_ore: int  # what accepting it moves: the open amount, at most what is still due


def _line(row: Any) -> QueueLine:
    return QueueLine(**{f: getattr(row, f) for f in QueueLine.__dataclass_fields__})


def queue(conn: Connection, *, limit: int = 200) -> tuple[list[QueueLine], int, int]:
    """Incoming lines with money still in suspense, newest first; and their count and sum."""
    b = t.bank_lines.c
    waiting = (b.open_ore > 0, b.direction == "in")
    rows = conn.execute(
        select(t.bank_lines)
        .where(*waiting)
        .order_by(b.booking_date.desc(), b.id.desc())
        .limit(limit)
    )
    count, total = conn.execute(
        select(func.count(), func.coalesce(func.sum(b.open_ore), 0)).where(*waiting)
    ).one()
    return [_line(r) for r in rows], int(count), int(total)


def get_line(conn: Connection, line_id: int) -> QueueLine | None:
    row = conn.execute(select(t.bank_lines).where(t.bank_lines.c.id == line_id)).first()
    return None if row is None else _line(row)


def suspense_balance(conn: Connection, currency: str = "SEK") -> int:
    """2890's balance as a credit (what the organisation holds unidentified), from the kept
    aggregates."""
    b = t.account_balances.c
    debit, credit = conn.execute(
        select(
            func.coalesce(func.sum(b.debit_ore), 0), func.coalesce(func.sum(b.credit_ore), 0)
        ).where(b.account == SUSPENSE, b.currency == currency)
    ).one()
    return int(credit) - int(debit)


def _words(name: str | None) -> str:
    return " ".join(_WORD.split((name or "").casefold())).strip()


def name_likeness(a: str | None, b: str | None) -> float:
    left, right = _words(a), _words(b)
    if not left or not right:
        return 0.0
    return SequenceMatcher(None, left, right).ratio()


def _take(line: QueueLine, ep: expected.ExpectedPayment) -> int:
    due = ep.outstanding
    return line.open_ore if due is None else min(line.open_ore, due.ore)


def _references_in(line: QueueLine) -> list[str]:
    found = []
    for text in (line.reference, line.message):
        for match in _DIGITS.finditer(text or ""):
            digits = match.group().replace(" ", "")
            if is_valid_reference(digits) and digits not in found:
                found.append(digits)
    return found


def suggestions(conn: Connection, line: QueueLine, *, limit: int = 5) -> list[Suggestion]:
    """Open expected payments this line may pay, best first, each with the reason."""
    picks: dict[int, Suggestion] = {}

    def offer(ep: expected.ExpectedPayment, score: int, reason: str) -> None:
        if ep.status not in expected.OPEN_STATUSES or ep.currency != line.currency:
            return
        take = _take(line, ep)
        if take <= 0:
            return
        if ep.id not in picks or picks[ep.id].score < score:
            picks[ep.id] = Suggestion(ep, score, reason, take)

    for ref in _references_in(line):
        ep = expected.by_reference(conn, ref)
        if ep is not None:
            where = "referensfältet" if ref == (line.reference or "") else "meddelandet"
            offer(ep, 100, f"OCR-referens {ref} finns i {where}")
    same = expected.open_payments(conn, amount=Money(line.open_ore, line.currency), limit=200)
    for ep in same:
        if ep.amount_ore is None:
            continue  # "any amount" says nothing about this payment
        likeness = name_likeness(line.payer_name, ep.payer_name)
        if likeness >= NAME_LIKENESS:
            offer(
                ep,
                60 + int(30 * likeness),
                f"samma belopp och namn liknar '{ep.payer_name}'",
            )
        elif ep.due_date is not None and abs(ep.due_date - line.booking_date) <= DUE_WINDOW:
            offer(ep, 50, f"samma belopp, förfallodag ±{DUE_WINDOW.days} dagar")
    ranked = sorted(picks.values(), key=lambda s: (-s.score, s.payment.id))
    return ranked[:limit]


def search_expected(
    conn: Connection, query: str, *, limit: int = 20
) -> list[expected.ExpectedPayment]:
    """Open expected payments by reference (part of it), payer name, or amount (``1 200``)."""
    q = query.strip()
    if not q:
        return []
    e, c, g = t.expected_payments.c, t.contributors.c, t.gifts.c
    conds: list[ColumnElement[bool]] = [
        e.reference.like(f"%{_escape(q.replace(' ', ''))}%", escape="\\"),
        func.lower(c.name).like(f"%{_escape(q.casefold())}%", escape="\\"),
        func.lower(g.donor_name).like(f"%{_escape(q.casefold())}%", escape="\\"),
    ]
    try:
        amount = parse_amount(q)
    except ValueError:
        amount = None
    if amount is not None and amount.ore > 0:
        conds.append(e.amount_ore == amount.ore)
        conds.append(e.amount_ore - e.paid_ore == amount.ore)
    ids = conn.scalars(
        select(e.id)
        .select_from(
            t.expected_payments.outerjoin(t.contributors, e.contributor_id == c.id).outerjoin(
                t.gifts, e.gift_id == g.id
            )
        )
        .where(e.status.in_(expected.OPEN_STATUSES), or_(*conds))
        .order_by(e.created_at.desc(), e.id.desc())
        .limit(limit)
    )
    found = [expected.by_id(conn, i) for i in ids]
    return [ep for ep in found if ep is not None]


def search_contributors(conn: Connection, query: str, *, limit: int = 10) -> list[tuple[int, str]]:
    """Contributors whose name contains ``query``: (id, name)."""
    q = query.strip().casefold()
    if not q:
        return []
    c = t.contributors.c
    rows = conn.execute(
        select(c.id, c.name)
        .where(func.lower(c.name).like(f"%{_escape(q)}%", escape="\\"))
        .order_by(c.name, c.id)
        .limit(limit)
    )
    return [(int(r.id), str(r.name)) for r in rows]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def describe(ep: expected.ExpectedPayment) -> str:
    """One line a finance officer recognises: reference, who, amount and what is still due."""
    parts = [f"Referens {ep.reference}", ep.payer_name or "okänd betalare"]
    if ep.amount_ore is not None:
        parts.append(str(Money(ep.amount_ore, ep.currency)))
    if ep.outstanding is not None and ep.paid_ore:
        parts.append(f"återstår {ep.outstanding!s}")
    return ", ".join(parts)
