"""Bankgirot's reports, imported: ``import_autogiro`` reads one file (``parse_autogiro``, its
own totals checked), keeps it whole (a file imported before is refused: UNIQUE sha256), and
acts on what it says, in the caller's transaction:

* mandate advice (TK73): the mandate becomes active, refused or cancelled, or the advice is
  kept in its history;
* payment specification: booked by ``webhooks.autogiro.specification`` (approved debits once,
  series G; each day's deposit on 1930 once, whether the bank file or the specification
  comes first);
* rejected orders: the month's debit is marked rejected and listed;
* cancellations carried out, the watch and mandate registers: kept and summed up, nothing to
  book;
* e-mandates from the internet bank: taken in (``webhooks.autogiro.emandates``).

The file's net amount (TK15 minus TK16 and TK17) is set beside what the books hold for it.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.fernet import MultiFernet
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ledger.errors import MandateRefused
from ledger.services.autogiro import mandates, orders, signup
from ledger.statuses import DebitStatus, MandateStatus
from webhooks.autogiro import emandates
from webhooks.autogiro.result import AutogiroImport, Outcome
from webhooks.autogiro.specification import book_specification, mandate_or_none, month_of
from webhooks.bankfiles.autogiro import Direction, FileKind, MandateOutcome, parse_autogiro
from webhooks.bankfiles.autogiro.records import (
    AutogiroFile,
    MandateAdvice,
    RejectedOrder,
)
from webhooks.errors import BankFileConflict, BankFileInvalid, ParseError

__all__ = ["AutogiroImport", "Outcome", "import_autogiro"]

_STATUS = {
    MandateOutcome.ACTIVE: MandateStatus.ACTIVE,
    MandateOutcome.REFUSED: MandateStatus.REFUSED,
    MandateOutcome.CANCELLED: MandateStatus.CANCELLED,
}


def _refuse(filename: str, line: int | None, fieldname: str, message: str) -> BankFileInvalid:
    return BankFileInvalid([ParseError(filename, line, fieldname, message)])


def _keep(conn: Connection, parsed: AutogiroFile, data: bytes) -> int:
    earlier = orders.file_seen(conn, "in", data)
    if earlier is not None:
        raise BankFileConflict(f"{parsed.filename} är redan inläst (Autogirofil {earlier})")
    try:
        with conn.begin_nested():
            return orders.record_file(
                conn, "in", parsed.kind.value, parsed.filename, data, len(parsed.records)
            )
    except IntegrityError as exc:  # the same file, imported meanwhile by another process
        raise BankFileConflict(f"{parsed.filename} är redan inläst") from exc


def _mandate_advice(
    conn: Connection,
    parsed: AutogiroFile,
    result: AutogiroImport,
    mail_config: Mapping[str, object] | None,
) -> None:
    for advice in parsed.of(MandateAdvice):
        payer = int(advice.payer_number)
        source = f"medgivandeavisering {parsed.filename} rad {advice.line}"
        if mandate_or_none(conn, payer) is None:
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
        elif target is not None and mail_config is not None:
            signup.mandate_changed(conn, mail_config, payer, target, advice.text)
        what = f"{target.value if changed and target else 'oförändrat'}: {advice.text}"
        result.listed.append(Outcome(advice.line, payer, None, what))


def _rejected(conn: Connection, parsed: AutogiroFile, result: AutogiroImport) -> None:
    for order in parsed.of(RejectedOrder):
        payer = int(order.payer_number)
        if order.direction is Direction.DEBIT and order.due is not None:
            debit = orders.find_debit(conn, payer, month_of(order.reference, order.due))
            if debit is not None:
                orders.set_debit_status(conn, debit.id, DebitStatus.REJECTED)
        result.listed.append(
            Outcome(order.line, payer, order.amount, f"avvisad (kommentarskod {order.comment})")
        )


def import_autogiro(
    conn: Connection,
    bankgiro: str,
    data: bytes,
    filename: str,
    mail_config: Mapping[str, object] | None = None,
    crypt: MultiFernet | None = None,
) -> AutogiroImport:
    """Import one report from Bankgirot for our ``bankgiro`` number (digits). With
    ``mail_config`` (the app's configuration) a gift given by a mandate follows it, and its
    donor is told by e-mail when the mandate is refused or cancelled; with ``crypt`` (the
    personal-data keys) e-mandates from the internet bank are taken in."""
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
    file_id = _keep(conn, parsed, data)
    result = AutogiroImport(filename, parsed.kind, len(parsed.records), parsed.controls)
    if parsed.kind is FileKind.MANDATE_ADVICE:
        _mandate_advice(conn, parsed, result, mail_config)
    elif parsed.kind is FileKind.PAYMENT_SPECIFICATION:
        book_specification(conn, parsed, ours, file_id, result)
    elif parsed.kind is FileKind.REJECTED_ORDERS:
        _rejected(conn, parsed, result)
    elif parsed.kind is FileKind.E_MANDATES:
        emandates.take_in_all(conn, parsed, result, crypt)
    return result
