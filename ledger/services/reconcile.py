"""The finance desk's actions on bank lines whose money still sits in suspense (2890).

Each action moves part of a line's ``open_ore`` out of suspense with one entry per target, in
series A (allocations): 2890 / 3993 (network, contributor) for a gift, collection or
unrestricted money; 2890 / 1510 for an invoice; 2890 / 1930 when the money is sent back to
its sender. It records a ``bank_line_allocations`` row, lowers the line's ``open_ore`` and,
for an expected payment, records the receipt there. An undo is the reversal of that entry,
which gives the amount back to ``open_ore``; nothing is ever edited.

A double submit books nothing twice: every form carries a token, and the entries' source keys
(``desk:<token>:<n>``) are unique in the journal. The allocation rows are written in the same
transaction as their entry, and only by the call that booked it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger.chart import BANK, GIFT_INCOME, RECEIVABLES, SUSPENSE
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import AlreadyReversed, DeskRefused, LedgerError
from ledger.money import Money
from ledger.services import expected, gift_payments, journal, posting

__all__ = ["Allocation", "Part", "Target", "allocate", "allocate_lines", "allocations_for", "undo"]

SERIES = "A"
SOURCE_KIND = "desk"
_TOKEN = re.compile(r"^[A-Za-z0-9]{8,64}$")  # no LIKE wildcards: keys are looked up by prefix
_MAX_NOTE = 500
_INVOICE_KINDS = ("invoice",)


@dataclass(frozen=True, slots=True)
class Target:
    """Where money goes: an expected payment, a network (None: unrestricted), or back."""

    kind: str  # "expected" | "network" | "returned"
    expected_payment_id: int | None = None
    network_id: int | None = None
    contributor_id: int | None = None


@dataclass(frozen=True, slots=True)
class Part:
    target: Target
    amount_ore: int


@dataclass(frozen=True, slots=True)
class Allocation:
    id: int
    line_id: int
    kind: str
    expected_payment_id: int | None
    network_id: int | None
    contributor_id: int | None
    amount_ore: int
    entry_id: int | None
    note: str | None
    created_by: int | None
    created_at: datetime
    reversal_entry_id: int | None


def _kr(ore: int) -> str:
    return str(Money(ore))


def _allocation(row: Any) -> Allocation:
    return Allocation(**{f: getattr(row, f) for f in Allocation.__dataclass_fields__})


def allocations_for(conn: Connection, line_id: int) -> list[Allocation]:
    a = t.bank_line_allocations.c
    rows = conn.execute(select(t.bank_line_allocations).where(a.line_id == line_id).order_by(a.id))
    return [_allocation(r) for r in rows]


def _by_token(conn: Connection, token: str) -> list[Allocation]:
    """The allocations an earlier submit of the same form booked (empty: none)."""
    a, e = t.bank_line_allocations.c, t.journal_entries.c
    rows = conn.execute(
        select(t.bank_line_allocations)
        .join(t.journal_entries, e.id == a.entry_id)
        .where(e.source_key.like(f"{SOURCE_KIND}:{token}:%"))
        .order_by(a.id)
    )
    return [_allocation(r) for r in rows]


def _check_token(token: str) -> None:
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise DeskRefused("Formulärets nyckel saknas eller är felaktig. Ladda om sidan.", "token")


def _lock_line(conn: Connection, line_id: int) -> Any:
    # FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers. The line
    # is locked before posting takes the ledger head, the same order for every desk action.
    line = conn.execute(
        select(t.bank_lines).where(t.bank_lines.c.id == line_id).with_for_update()
    ).first()
    if line is None:
        raise DeskRefused(f"Bankrad {line_id} finns inte.", "line_id")
    if line.direction != "in":
        raise DeskRefused(
            f"Bankrad {line_id} är en utbetalning; den bokas som manuell verifikation.", "line_id"
        )
    return line


def _describe(line: Any) -> str:
    who = line.payer_name or line.reference or line.key
    return f"{_kr(int(line.amount_ore))} {line.booking_date.isoformat()} {who}"


def _draft(
    conn: Connection, line: Any, part: Part, key: str, day: date, note: str | None
) -> tuple[Draft, expected.ExpectedPayment | None, str]:
    """The entry for one part, the expected payment it pays (if any) and the allocation kind."""
    target, money = part.target, Money(part.amount_ore, line.currency)
    slugs = journal.network_slugs(conn)
    about = _describe(line)
    if target.kind == "returned":
        text_ = f"Återbetald till avsändaren: {about}. {note or ''}".strip()
        lines = (LineDraft.debit(SUSPENSE, money), LineDraft.credit(BANK, money))
        return Draft(day, text_[:500], lines, SERIES, SOURCE_KIND, key), None, "returned"
    if target.kind == "network":
        if target.network_id is not None and target.network_id not in slugs:
            raise DeskRefused(f"Nätverk {target.network_id} finns inte.", "network_id")
        slug = slugs.get(target.network_id) if target.network_id is not None else None
        text_ = f"Bankrad {about} till {slug or 'där det behövs mest'}"
        credit = LineDraft.credit(
            GIFT_INCOME, money, network=slug, contributor_id=target.contributor_id
        )
        lines = (LineDraft.debit(SUSPENSE, money), credit)
        return Draft(day, text_[:500], lines, SERIES, SOURCE_KIND, key), None, "network"
    if target.kind != "expected" or target.expected_payment_id is None:
        raise DeskRefused("Välj vart pengarna ska.", "target")
    ep = expected.by_id(conn, target.expected_payment_id)
    if ep is None:
        raise DeskRefused(f"Förväntad betalning {target.expected_payment_id} finns inte.", "target")
    if ep.status not in expected.OPEN_STATUSES:
        raise DeskRefused(f"Referens {ep.reference} väntar inte på pengar ({ep.status}).", "target")
    if ep.currency != line.currency:
        raise DeskRefused(f"Referens {ep.reference} gäller {ep.currency}.", "target")
    outstanding = ep.outstanding
    if outstanding is not None and part.amount_ore > outstanding.ore:
        raise DeskRefused(
            f"Beloppet {_kr(part.amount_ore)} är större än det som återstår att betala på "
            f"referens {ep.reference} ({_kr(outstanding.ore)}).",
            "amount",
        )
    contributor = target.contributor_id or ep.contributor_id
    if ep.kind in _INVOICE_KINDS:
        credit = LineDraft.credit(RECEIVABLES, money, contributor_id=contributor)
    else:
        slug = slugs.get(ep.network_id) if ep.network_id is not None else None
        credit = LineDraft.credit(GIFT_INCOME, money, network=slug, contributor_id=contributor)
    text_ = f"Bankrad {about} till referens {ep.reference}"
    lines = (LineDraft.debit(SUSPENSE, money), credit)
    return Draft(day, text_[:500], lines, SERIES, SOURCE_KIND, key), ep, "expected"


def _book(
    conn: Connection,
    line: Any,
    part: Part,
    key: str,
    *,
    day: date,
    note: str | None,
    user_id: int | None,
    mail_config: Mapping[str, object] | None = None,
) -> Allocation | None:
    draft, ep, kind = _draft(conn, line, part, key, day, note)
    entry, new = posting.post_once(conn, draft, created_by=user_id)
    if not new:
        return None  # booked by an earlier submit, whose allocation row says the rest
    target = part.target
    allocation_id = conn.execute(
        t.bank_line_allocations.insert()
        .values(
            line_id=line.id,
            kind=kind,
            expected_payment_id=ep.id if ep is not None else None,
            network_id=ep.network_id if ep is not None else target.network_id,
            contributor_id=target.contributor_id or (ep.contributor_id if ep else None),
            amount_ore=part.amount_ore,
            entry_id=entry.id,
            note=note,
            created_by=user_id,
            created_at=datetime.now(UTC),
        )
        .returning(t.bank_line_allocations.c.id)
    ).scalar_one()
    lowered = conn.execute(
        t.bank_lines.update()
        .where(t.bank_lines.c.id == line.id, t.bank_lines.c.open_ore >= part.amount_ore)
        .values(open_ore=t.bank_lines.c.open_ore - part.amount_ore)
    )
    if lowered.rowcount != 1:  # the line is locked; only a bug gets here
        raise LedgerError(f"bank line {line.id} has less than {part.amount_ore} öre open", "amount")
    if ep is not None:
        receipt = expected.record_receipt(
            conn,
            ep.id,
            entry_id=entry.id,
            amount=Money(part.amount_ore, line.currency),
            source_key=key,
            received_on=line.booking_date,
        )
        gift_payments.settle(
            conn, [(receipt, key, part.amount_ore, line.booking_date)], config=mail_config
        )
    row = conn.execute(
        select(t.bank_line_allocations).where(t.bank_line_allocations.c.id == allocation_id)
    ).one()
    return _allocation(row)


def _clean_note(note: str | None, *, required: bool) -> str | None:
    cleaned = (note or "").strip()
    if required and not cleaned:
        raise DeskRefused("Skriv en anteckning om varför pengarna skickas tillbaka.", "note")
    if len(cleaned) > _MAX_NOTE:
        raise DeskRefused(f"Anteckningen får vara högst {_MAX_NOTE} tecken.", "note")
    return cleaned or None


def allocate(
    conn: Connection,
    line_id: int,
    parts: Sequence[Part],
    *,
    token: str,
    user_id: int | None = None,
    on: date | None = None,
    note: str | None = None,
    mail_config: Mapping[str, object] | None = None,
) -> list[Allocation]:
    """Move ``parts`` of one line out of suspense (one part: accept; several: a split).

    The parts together may not exceed the line's ``open_ore``; what is left stays in suspense.
    All parts are booked or none. A repeated ``token`` returns what the first call booked.
    ``mail_config`` (the app's configuration) writes the receipt e-mail of a gift paid this way.
    """
    _check_token(token)
    line = _lock_line(conn, line_id)
    # Looked up under the line's lock: a racing submit of the same form has committed by now.
    earlier = _by_token(conn, token)
    if earlier:
        return earlier
    if not parts:
        raise DeskRefused("Ange minst ett belopp och vart det ska.", "amount")
    returned = any(p.target.kind == "returned" for p in parts)
    note = _clean_note(note, required=returned)
    for i, part in enumerate(parts):
        field = "amount" if len(parts) == 1 else f"parts[{i}].amount"
        if part.amount_ore <= 0:
            raise DeskRefused("Beloppet måste vara större än 0,00 kr.", field)
    total = sum(p.amount_ore for p in parts)
    if total > line.open_ore:
        raise DeskRefused(
            f"Beloppet {_kr(total)} är större än det som återstår ({_kr(int(line.open_ore))}).",
            "amount",
        )
    day = on or date.today()
    booked = []
    for i, part in enumerate(parts, start=1):
        key = f"{SOURCE_KIND}:{token}:{i}"
        done = _book(
            conn, line, part, key, day=day, note=note, user_id=user_id, mail_config=mail_config
        )
        if done is not None:
            booked.append(done)
    return booked


def allocate_lines(
    conn: Connection,
    line_ids: Sequence[int],
    target: Target,
    *,
    token: str,
    user_id: int | None = None,
    on: date | None = None,
    mail_config: Mapping[str, object] | None = None,
) -> list[Allocation]:
    """Several lines to one target, each with all that is open on it; all or none."""
    _check_token(token)
    ids = sorted(set(line_ids))
    if not ids:
        raise DeskRefused("Markera minst en bankrad.", "line_id")
    if target.kind == "returned":
        raise DeskRefused("Återbetalning görs en bankrad i taget, med en anteckning.", "target")
    # Lock every line first, in id order (no deadlock between two desks), then look for a
    # racing submit of the same form, as in ``allocate``.
    lines = [_lock_line(conn, line_id) for line_id in ids]
    earlier = _by_token(conn, token)
    if earlier:
        return earlier
    day = on or date.today()
    booked = []
    for i, line in enumerate(lines, start=1):
        line_id = line.id
        if line.open_ore <= 0:
            raise DeskRefused(f"Bankrad {line_id} har inget kvar att koppla.", "line_id")
        part = Part(target, int(line.open_ore))
        key = f"{SOURCE_KIND}:{token}:{i}"
        done = _book(
            conn, line, part, key, day=day, note=None, user_id=user_id, mail_config=mail_config
        )
        if done is not None:
            booked.append(done)
    return booked


def undo(
    conn: Connection, allocation_id: int, *, user_id: int | None = None, on: date | None = None
) -> Allocation:
    """Reverse an allocation's entry and give its amount back to the line's ``open_ore``.

    Undoing twice changes nothing the second time.
    """
    a = t.bank_line_allocations.c
    found = conn.execute(select(t.bank_line_allocations).where(a.id == allocation_id)).first()
    if found is None:
        raise DeskRefused(f"Kopplingen {allocation_id} finns inte.", "allocation_id")
    _lock_line(conn, found.line_id)
    current = conn.execute(select(t.bank_line_allocations).where(a.id == allocation_id)).one()
    if current.reversal_entry_id is not None or current.entry_id is None:
        return _allocation(current)
    try:
        reversal = posting.reverse(conn, current.entry_id, on=on, created_by=user_id)
    except AlreadyReversed:
        # reversed outside the desk (through the journal): record it, then give the money back
        original = journal.get_entry(conn, current.entry_id)
        if original is None or original.reversed_by_id is None:
            raise
        reversal_id = original.reversed_by_id
    else:
        reversal_id = reversal.id
    marked = conn.execute(
        t.bank_line_allocations.update()
        .where(a.id == allocation_id, a.reversal_entry_id.is_(None))
        .values(reversal_entry_id=reversal_id)
    )
    if marked.rowcount == 1:
        conn.execute(
            t.bank_lines.update()
            .where(t.bank_lines.c.id == current.line_id)
            .values(open_ore=t.bank_lines.c.open_ore + current.amount_ore)
        )
        # the expected payment no longer counts what the undone entry paid
        r = t.expected_payment_receipts.c
        for key in conn.execute(
            select(r.source_key).where(r.entry_id == current.entry_id)
        ).scalars():
            expected.reverse_receipt(conn, key, reversal_entry_id=reversal_id)
    after = conn.execute(select(t.bank_line_allocations).where(a.id == allocation_id)).one()
    return _allocation(after)
