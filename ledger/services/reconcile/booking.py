"""Booking one part of a bank line: the line locked, the entry out of suspense for its target, the
allocation row, the line's ``open_ore`` lowered and, for an expected payment, its receipt."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger.chart import GIFT_INCOME, RECEIVABLES, SUSPENSE
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import DeskRefused, LedgerError
from ledger.money import Money
from ledger.services import bank_accounts, expected, gift_payments, journal, posting
from ledger.services.reconcile.records import SERIES, SOURCE_KIND, Allocation, Part, from_row, kr

_INVOICE_KINDS = ("invoice",)


def lock_line(conn: Connection, line_id: int) -> Any:
    """The incoming bank line, under its row lock; refused for an unknown line or a payment out."""
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
    # by id, never by the payer's name: the entry outlives the name, which can be erased
    return f"{line.id} ({kr(int(line.amount_ore))} {line.booking_date.isoformat()})"


def _draft(
    conn: Connection, line: Any, part: Part, key: str, day: date, note: str | None
) -> tuple[Draft, expected.ExpectedPayment | None, str]:
    """The entry for one part, the expected payment it pays (if any) and the allocation kind."""
    target, money = part.target, Money(part.amount_ore, line.currency)
    slugs = journal.network_slugs(conn)
    about = _describe(line)
    if target.kind == "returned":
        text_ = f"Återbetald till avsändaren: bankrad {about}. {note or ''}".strip()
        bank = bank_accounts.ledger_account_of(conn, line.account)
        lines = (LineDraft.debit(SUSPENSE, money), LineDraft.credit(bank, money))
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
            f"Beloppet {kr(part.amount_ore)} är större än det som återstår att betala på "
            f"referens {ep.reference} ({kr(outstanding.ore)}).",
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


def book_part(
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
    """Book one part of a line; None when an earlier submit booked it already."""
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
    return from_row(row)
