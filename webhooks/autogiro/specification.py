"""The payment specification (``BET. SPEC & STOPP TK``), booked: an approved debit (TK82
status 0) once, 1930/3993 with the mandate's network and contributor, series G; one Kassan
cannot tie to a mandate 1930/2890 (suspense) so that 1930 still equals the bank; failed debits
(no funds, no mandate) and renewed ones are listed; a payout (TK32) or refund (TK77) books its
reversal, 3993/1930.

Money once (``ledger.services.autogiro.deposits``): each TK15 section is the day's deposit into
our bank account, which the bank's camt also reports. When that bank line came first (booked
1930/2890, waiting in suspense), the section's debits book out of suspense (2890/3993) instead
of from 1930 again, and the line's open amount drops by as much; otherwise the section is kept
as a deposit for the bank line to confirm when it comes. A TK16/TK17 section (payouts and
refunds: one debit on our account) is tied to the bank's debit line the same way (3993/2890
when the line came first), kept as a deposit of negative amount. A section whose bank line
finance allocated at the desk already books nothing: its records are conflicts for finance.

Keys follow the bank files' rule: a key names Bankgirot's payment (payee bankgiro, payer number,
day, kind), and a key already booked is "already booked" only when the entry says the same
(day, amount, where the money came from); otherwise it is a conflict, listed and booked nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from ledger.chart import BANK, GIFT_INCOME, POSTING_RULES, SUSPENSE
from ledger.entries import Draft, LineDraft, PostedEntry
from ledger.errors import MandateNotFound
from ledger.money import Money
from ledger.services import journal
from ledger.services.autogiro import deposits, mandates, orders
from ledger.services.posting.booking import post
from ledger.statuses import DebitStatus
from webhooks.autogiro.result import AutogiroImport, Outcome
from webhooks.bankfiles.autogiro import Direction, PaymentStatus
from webhooks.bankfiles.autogiro.records import AutogiroFile, PaymentResult, Refund, Section

__all__ = ["SERIES", "book_specification", "mandate_or_none", "month_of"]

SERIES = "G"
_MONTH = re.compile(r"(\d{4}-\d{2})")
_SIGN = {"15": 1, "16": -1, "17": -1}  # TK15 deposits money in; TK16/TK17 take it out
_FAILED = {
    PaymentStatus.INSUFFICIENT_FUNDS: DebitStatus.FAILED,
    PaymentStatus.NO_MANDATE: DebitStatus.FAILED,
    PaymentStatus.RENEWED: DebitStatus.RENEWED,
}


@dataclass
class _Via:
    """A bank line that brought a section's deposit before the specification."""

    line: Any  # the bank_lines row, locked
    moved_ore: int = 0  # how much of it the section's debits moved out of suspense


def mandate_or_none(conn: Connection, payer_number: int) -> mandates.Mandate | None:
    try:
        return mandates.get(conn, payer_number)
    except MandateNotFound:
        return None


def month_of(reference: str, day: date) -> str:
    found = _MONTH.search(reference)
    return found.group(1) if found else day.strftime("%Y-%m")


def _same(entry: PostedEntry, day: date, bank_ore: int) -> bool:
    """The entry says what the record says: its day, and the money moved on 1930, or out of
    suspense when a bank line had brought it to 1930 first."""
    moved = sum(line.debit_ore - line.credit_ore for line in entry.lines if line.account == BANK)
    if moved == 0:
        moved = sum(
            line.debit_ore - line.credit_ore for line in entry.lines if line.account == SUSPENSE
        )
    return entry.date == day and moved == bank_ore


def _book(
    conn: Connection,
    result: AutogiroImport,
    key: str,
    draft: Draft,
    out: Outcome,
    bank_ore: int,
) -> tuple[int | None, bool]:
    """The entry under ``key`` (booked now, or before with the same content) and whether it
    is new; (None, False) for a conflict."""
    found = journal.find_by_source_key(conn, key)
    if found is not None:
        if _same(found, draft.date, bank_ore):
            result.already.append(
                Outcome(out.line, out.payer_number, out.amount, out.what, found.voucher)
            )
            result.already_ore += bank_ore
            return found.id, False
        result.conflicts.append(
            Outcome(
                out.line,
                out.payer_number,
                out.amount,
                f"{out.what}: samma nyckel ({key}) är bokförd med annat innehåll",
                found.voucher,
            )
        )
        return None, False
    entry = post(conn, draft)
    result.booked.append(Outcome(out.line, out.payer_number, out.amount, out.what, entry.voucher))
    result.booked_ore += bank_ore
    return entry.id, True


def _payment(
    conn: Connection,
    bankgiro: str,
    result: AutogiroImport,
    slugs: dict[int, str],
    p: PaymentResult | Refund,
    via: _Via | None,
) -> int | None:
    """Book one record; the entry that holds it when approved (None: none does)."""
    payer = int(p.payer_number)
    mandate = mandate_or_none(conn, payer)
    incoming = isinstance(p, PaymentResult) and p.direction is Direction.DEBIT
    day = p.due if isinstance(p, PaymentResult) else p.refunded_on
    debit = orders.find_debit(conn, payer, month_of(p.reference, p.due))
    if isinstance(p, PaymentResult) and p.status is not PaymentStatus.APPROVED:
        if incoming and debit is not None:
            orders.set_debit_status(conn, debit.id, _FAILED[p.status])
        kind = "dragning" if incoming else "utbetalning"
        result.listed.append(Outcome(p.line, payer, p.amount, f"{kind} {p.status.text}"))
        return None
    dims: dict[str, object] = {}
    if mandate is not None:
        network = slugs.get(mandate.network_id) if mandate.network_id else None
        dims = {"network": network, "contributor_id": mandate.contributor_id}
    if incoming:
        debit_account, credit_account = POSTING_RULES["autogiro_gift"]
        if mandate is None:
            credit_account = SUSPENSE
        code, what, sign = "82", "dragning godkänd", 1
    else:
        debit_account, credit_account = POSTING_RULES["autogiro_refund"]
        if mandate is None:
            debit_account = SUSPENSE
        code = "77" if isinstance(p, Refund) else "32"
        what, sign = ("återbetalning" if code == "77" else "utbetalning"), -1
    if mandate is None:
        what += f" (betalarnummer {payer} okänt: på {SUSPENSE})"
        result.problems.append(f"rad {p.line}: betalarnummer {payer} finns inte bland medgivandena")
    if via is not None:
        if mandate is None:  # 2890 to 2890: it stays on the bank line, in suspense
            what += f", kvar på bankrad {via.line.id}"
            result.already.append(Outcome(p.line, payer, p.amount, what))
            result.already_ore += sign * p.amount.ore
            return None
        # the bank line moved the money on 1930 already: it comes out of (or goes back to) 2890
        if incoming:
            debit_account = SUSPENSE
        else:
            credit_account = SUSPENSE
        what += f", {'ur' if incoming else 'mot'} 2890 (bankrad {via.line.id})"
    lines = (
        LineDraft.debit(debit_account, p.amount, **(dims if debit_account == GIFT_INCOME else {})),
        LineDraft.credit(
            credit_account, p.amount, **(dims if credit_account == GIFT_INCOME else {})
        ),
    )
    key = f"autogiro:{bankgiro}:{payer}:{day:%Y%m%d}:{code}"
    text = f"Autogiro {what}, betalarnummer {payer}"
    draft = Draft(day, text[:500], lines, SERIES, "autogiro", key)
    out = Outcome(p.line, payer, p.amount, what)
    entry_id, new = _book(conn, result, key, draft, out, sign * p.amount.ore)
    if new and via is not None:
        via.moved_ore += p.amount.ore
    if new and incoming and debit is not None:
        orders.set_debit_status(conn, debit.id, DebitStatus.APPROVED, entry_id)
    if new and code == "77" and debit is not None:
        orders.set_debit_status(conn, debit.id, DebitStatus.REFUNDED)
    return entry_id


def book_specification(
    conn: Connection, parsed: AutogiroFile, bankgiro: str, file_id: int, result: AutogiroImport
) -> None:
    """Book the specification ``parsed`` (kept as ``file_id``) for our ``bankgiro``."""
    result.file_ore = sum(_signed(s).ore for s in parsed.of(Section))
    slugs = journal.network_slugs(conn)
    sections = [s for s in parsed.of(Section) if s.amount.ore > 0]
    via: dict[int, _Via] = {}
    allocated: dict[int, Any] = {}  # section line -> the bank line finance allocated already
    for s in sections:
        line = deposits.bank_line_waiting(conn, s.day, _signed(s))
        if line is not None and all(v.line.id != line.id for v in via.values()):
            via[s.line] = _Via(line)
            continue
        line = deposits.bank_line_allocated(conn, s.day, _signed(s))
        if line is not None and all(x.id != line.id for x in allocated.values()):
            allocated[s.line] = line
    held: dict[int, list[int | None]] = {}  # section line -> its approved records' entries
    for p in parsed.records:
        if not isinstance(p, PaymentResult | Refund):
            continue
        approved = isinstance(p, Refund) or p.status is PaymentStatus.APPROVED
        if approved and p.section in allocated:
            _held_by_finance(result, p, allocated[p.section])
            continue
        entry_id = _payment(conn, bankgiro, result, slugs, p, via.get(p.section))
        if approved:
            held.setdefault(p.section, []).append(entry_id)
    for s in sections:
        if s.line not in allocated:
            _deposit(conn, file_id, s, via.get(s.line), held.get(s.line, []))


def _signed(s: Section) -> Money:
    """The section's money as the bank reports it: a deposit in, payouts and refunds out."""
    return Money(_SIGN[s.code] * s.amount.ore, s.amount.currency)


def _held_by_finance(result: AutogiroImport, p: PaymentResult | Refund, line: Any) -> None:
    """The bank line that brought this section's money was allocated by finance at the desk
    before the specification came: booking the record would put the money on 1930 a second
    time, and where finance put it is finance's call. Listed as a conflict, booked nowhere."""
    kind = "återbetalning" if isinstance(p, Refund) else "dragning"
    if isinstance(p, PaymentResult) and p.direction is not Direction.DEBIT:
        kind = "utbetalning"
    result.conflicts.append(
        Outcome(
            p.line,
            int(p.payer_number),
            p.amount,
            f"{kind} bokförs inte: bankrad {line.id} ({line.booking_date.isoformat()}) med "
            "samma belopp är redan fördelad av ekonomi; pengarna finns redan på 1930",
        )
    )


def _deposit(
    conn: Connection, file_id: int, s: Section, via: _Via | None, held: list[int | None]
) -> None:
    """Keep the section as a deposit: with the bank line that brought it, its debits moved out
    of suspense; or, when every approved debit of it stands on 1930 in an entry of no other
    deposit, for a bank line to confirm later. A section some of whose debits were conflicts
    stays out: its bank line then waits in suspense for finance, never confirmed."""
    entries = [e for e in held if e is not None]
    amount = _signed(s)
    if via is not None:
        entries = [e for e in entries if not deposits.linked(conn, [e])]
        if via.moved_ore:
            kind = "insättning" if amount.ore > 0 else "återbetalning"
            note = f"Autogiro-{kind} {s.day.isoformat()}: fördelad av betalningsspecifikationen"
            deposits.take(conn, via.line.id, via.moved_ore, note)
        deposits.record(conn, file_id, s.line, s.day, amount, entries, via.line.id)
        return
    if not entries or len(entries) != len(held) or deposits.linked(conn, entries):
        return
    deposits.record(conn, file_id, s.line, s.day, amount, entries)
