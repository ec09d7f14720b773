"""Bankgirot's reports, imported: ``import_autogiro`` reads one file (``parse_autogiro``, its
own totals checked), keeps it whole (a file imported before is refused: UNIQUE sha256), and
acts on what it says, in the caller's transaction:

* mandate advice (TK73): the mandate becomes active, refused or cancelled, or the advice is
  kept in its history;
* payment specification: an approved debit (TK82 status 0) is booked once, 1930/3993 with the
  mandate's network and contributor, series G; one Kassan cannot tie to a mandate is booked to
  2890 (suspense) so that 1930 still equals the bank; failed debits (no funds, no mandate) and
  renewed ones are listed; a payout (TK32) or refund (TK77) books its reversal, 3993/1930;
* rejected orders: the month's debit is marked rejected and listed;
* cancellations carried out, the watch and mandate registers: kept and summed up, nothing to
  book; e-mandates are listed as waiting (Kassan does not take them in yet).

Keys follow the bank files' rule: a key names Bankgirot's payment (payee bankgiro, payer
number, day, kind), and a key already booked is "already booked" only when the entry says the
same (day, amount, bank account); otherwise it is a conflict, listed and booked nowhere. The
file's net amount (TK15 minus TK16 and TK17) is set beside what the books hold for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ledger.chart import BANK, GIFT_INCOME, POSTING_RULES, SUSPENSE
from ledger.entries import Draft, LineDraft, PostedEntry
from ledger.errors import MandateNotFound, MandateRefused
from ledger.money import Money
from ledger.services import journal
from ledger.services.autogiro import mandates, orders
from ledger.services.posting.booking import post
from ledger.statuses import DebitStatus, MandateStatus
from webhooks.bankfiles.autogiro import (
    Direction,
    FileKind,
    MandateOutcome,
    PaymentStatus,
    parse_autogiro,
)
from webhooks.bankfiles.autogiro.records import (
    AutogiroFile,
    EMandate,
    MandateAdvice,
    PaymentResult,
    Refund,
    RejectedOrder,
    Section,
)
from webhooks.bankfiles.records import ControlTotal
from webhooks.errors import BankFileConflict, BankFileInvalid, ParseError

__all__ = ["AutogiroImport", "Outcome", "import_autogiro"]

SERIES = "G"
_MONTH = re.compile(r"(\d{4}-\d{2})")
_STATUS = {
    MandateOutcome.ACTIVE: MandateStatus.ACTIVE,
    MandateOutcome.REFUSED: MandateStatus.REFUSED,
    MandateOutcome.CANCELLED: MandateStatus.CANCELLED,
}
_FAILED = {
    PaymentStatus.INSUFFICIENT_FUNDS: DebitStatus.FAILED,
    PaymentStatus.NO_MANDATE: DebitStatus.FAILED,
    PaymentStatus.RENEWED: DebitStatus.RENEWED,
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One record and what became of it, for people: ``what`` is Swedish."""

    line: int
    payer_number: int
    amount: Money | None
    what: str
    voucher: str | None = None


@dataclass
class AutogiroImport:
    filename: str
    kind: FileKind
    records: int
    controls: tuple[ControlTotal, ...]
    booked: list[Outcome] = field(default_factory=list)
    already: list[Outcome] = field(default_factory=list)
    conflicts: list[Outcome] = field(default_factory=list)
    listed: list[Outcome] = field(default_factory=list)  # failed, renewed, rejected, changes
    problems: list[str] = field(default_factory=list)
    file_ore: int | None = None  # the file's own net amount, when it moves money
    booked_ore: int = 0  # signed, as 1930 moved: now
    already_ore: int = 0  # signed: booked before with the same content

    @property
    def ok(self) -> bool:
        agree = self.file_ore is None or self.file_ore == self.booked_ore + self.already_ore
        controls = all(c.ok for c in self.controls)
        return agree and controls and not self.conflicts and not self.problems


def _refuse(filename: str, line: int | None, fieldname: str, message: str) -> BankFileInvalid:
    return BankFileInvalid([ParseError(filename, line, fieldname, message)])


def _keep(conn: Connection, parsed: AutogiroFile, data: bytes) -> None:
    earlier = orders.file_seen(conn, "in", data)
    if earlier is not None:
        raise BankFileConflict(f"{parsed.filename} är redan inläst (Autogirofil {earlier})")
    try:
        with conn.begin_nested():
            orders.record_file(
                conn, "in", parsed.kind.value, parsed.filename, data, len(parsed.records)
            )
    except IntegrityError as exc:  # the same file, imported meanwhile by another process
        raise BankFileConflict(f"{parsed.filename} är redan inläst") from exc


def _mandate(conn: Connection, payer_number: int) -> mandates.Mandate | None:
    try:
        return mandates.get(conn, payer_number)
    except MandateNotFound:
        return None


def _mandate_advice(conn: Connection, parsed: AutogiroFile, result: AutogiroImport) -> None:
    for advice in parsed.of(MandateAdvice):
        payer = int(advice.payer_number)
        source = f"medgivandeavisering {parsed.filename} rad {advice.line}"
        if _mandate(conn, payer) is None:
            result.problems.append(
                f"rad {advice.line}: betalarnummer {payer} finns inte bland medgivandena "
                f"({advice.text})"
            )
            continue
        target = _STATUS.get(advice.outcome)
        changed = False
        if target is not None:
            extra = {"tk03_pending": False} if target is MandateStatus.CANCELLED else {}
            try:
                changed = mandates.record_status(conn, payer, target, source, advice.text, **extra)
            except MandateRefused as exc:
                result.problems.append(f"rad {advice.line}: {exc.message} ({advice.text})")
                continue
        if not changed:
            mandates.note(conn, payer, source, advice.text)
        what = f"{target.value if changed and target else 'oförändrat'}: {advice.text}"
        result.listed.append(Outcome(advice.line, payer, None, what))


def _same(entry: PostedEntry, day: date, bank_ore: int) -> bool:
    moved = sum(line.debit_ore - line.credit_ore for line in entry.lines if line.account == BANK)
    return entry.date == day and moved == bank_ore


def _book(
    conn: Connection,
    result: AutogiroImport,
    key: str,
    day: date,
    text: str,
    lines: tuple[LineDraft, ...],
    out: Outcome,
    bank_ore: int,
) -> PostedEntry | None:
    found = journal.find_by_source_key(conn, key)
    if found is not None:
        if _same(found, day, bank_ore):
            result.already.append(
                Outcome(out.line, out.payer_number, out.amount, out.what, found.voucher)
            )
            result.already_ore += bank_ore
        else:
            result.conflicts.append(
                Outcome(
                    out.line,
                    out.payer_number,
                    out.amount,
                    f"{out.what}: samma nyckel ({key}) är bokförd med annat innehåll",
                    found.voucher,
                )
            )
        return None
    entry = post(conn, Draft(day, text, lines, SERIES, "autogiro", key))
    result.booked.append(Outcome(out.line, out.payer_number, out.amount, out.what, entry.voucher))
    result.booked_ore += bank_ore
    return entry


def _month(reference: str, day: date) -> str:
    found = _MONTH.search(reference)
    return found.group(1) if found else day.strftime("%Y-%m")


def _payment(
    conn: Connection,
    parsed: AutogiroFile,
    bankgiro: str,
    result: AutogiroImport,
    slugs: dict[int, str],
    p: PaymentResult | Refund,
) -> None:
    payer = int(p.payer_number)
    mandate = _mandate(conn, payer)
    incoming = isinstance(p, PaymentResult) and p.direction is Direction.DEBIT
    day = p.due if isinstance(p, PaymentResult) else p.refunded_on
    debit = orders.find_debit(conn, payer, _month(p.reference, p.due))
    if isinstance(p, PaymentResult) and p.status is not PaymentStatus.APPROVED:
        if incoming and debit is not None:
            orders.set_debit_status(conn, debit.id, _FAILED[p.status])
        kind = "dragning" if incoming else "utbetalning"
        result.listed.append(Outcome(p.line, payer, p.amount, f"{kind} {p.status.text}"))
        return
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
    lines = (
        LineDraft.debit(debit_account, p.amount, **(dims if debit_account == GIFT_INCOME else {})),
        LineDraft.credit(
            credit_account, p.amount, **(dims if credit_account == GIFT_INCOME else {})
        ),
    )
    key = f"autogiro:{bankgiro}:{payer}:{day:%Y%m%d}:{code}"
    text = f"Autogiro {what}, betalarnummer {payer}"
    entry = _book(
        conn,
        result,
        key,
        day,
        text,
        lines,
        Outcome(p.line, payer, p.amount, what),
        sign * p.amount.ore,
    )
    if entry is not None and incoming and debit is not None:
        orders.set_debit_status(conn, debit.id, DebitStatus.APPROVED, entry.id)
    if entry is not None and code == "77" and debit is not None:
        orders.set_debit_status(conn, debit.id, DebitStatus.REFUNDED)


def _specification(
    conn: Connection, parsed: AutogiroFile, bankgiro: str, result: AutogiroImport
) -> None:
    sign = {"15": 1, "16": -1, "17": -1}
    result.file_ore = sum(sign[s.code] * s.amount.ore for s in parsed.of(Section))
    slugs = journal.network_slugs(conn)
    for p in parsed.records:
        if isinstance(p, PaymentResult | Refund):
            _payment(conn, parsed, bankgiro, result, slugs, p)


def _rejected(conn: Connection, parsed: AutogiroFile, result: AutogiroImport) -> None:
    for order in parsed.of(RejectedOrder):
        payer = int(order.payer_number)
        if order.direction is Direction.DEBIT and order.due is not None:
            debit = orders.find_debit(conn, payer, _month(order.reference, order.due))
            if debit is not None:
                orders.set_debit_status(conn, debit.id, DebitStatus.REJECTED)
        result.listed.append(
            Outcome(order.line, payer, order.amount, f"avvisad (kommentarskod {order.comment})")
        )


def import_autogiro(conn: Connection, bankgiro: str, data: bytes, filename: str) -> AutogiroImport:
    """Import one report from Bankgirot for our ``bankgiro`` number (digits)."""
    parsed = parse_autogiro(data, filename)
    if parsed.kind is FileKind.REQUESTS:
        raise _refuse(
            filename,
            1,
            "öppningspost",
            "filen är ett underlag till Bankgirot, ingen rapport från Bankgirot",
        )
    ours = bankgiro.zfill(10)
    theirs = parsed.opening.bankgiro if parsed.opening else None
    if theirs is None and parsed.records:
        theirs = getattr(parsed.records[0], "bankgiro", None)
    if theirs != ours:
        raise _refuse(
            filename,
            1,
            "betalningsmottagarens bankgironummer",
            f"filen gäller bankgiro {theirs}, inte vårt {ours}",
        )
    _keep(conn, parsed, data)
    result = AutogiroImport(filename, parsed.kind, len(parsed.records), parsed.controls)
    if parsed.kind is FileKind.MANDATE_ADVICE:
        _mandate_advice(conn, parsed, result)
    elif parsed.kind is FileKind.PAYMENT_SPECIFICATION:
        _specification(conn, parsed, ours, result)
    elif parsed.kind is FileKind.REJECTED_ORDERS:
        _rejected(conn, parsed, result)
    elif parsed.kind is FileKind.E_MANDATES:
        for m in parsed.of(EMandate):
            result.problems.append(
                f"rad {m.line}: internetbanksmedgivande från {' '.join(m.name)} (betalarnummer "
                f"{int(m.payer_number)}) tas inte emot automatiskt än: svara i Autogiro Online"
            )
    return result
