"""Files to Bankgirot, read back: the mandate file (TK01, TK03, TK04, TK05), payment orders
(TK01, TK82, TK32) and cancellations and date changes (TK01, TK23-TK29).

The same reader proves the layout of Bankgirot's own examples and of every file Kassan writes
(``webhooks.bankfiles.autogiro.writer``). A file may hold several sections, each opened by its
TK01; every record must name the bankgiro number of its TK01. There is no closing record and so
no totals: the count and sum of what was read are the file's summary.
"""

from __future__ import annotations

from datetime import datetime

from webhooks.bankfiles.autogiro.codes import Direction, FileKind
from webhooks.bankfiles.autogiro.fields import Record
from webhooks.bankfiles.autogiro.records import (
    AmendmentRequest,
    MandateRequest,
    Opening,
    PaymentOrder,
)

__all__ = ["is_request_opening", "read_requests"]

BANKGIRO = "betalningsmottagarens bankgironummer"
PAYER = "betalarnummer"


def is_request_opening(text: str) -> bool:
    return text[:2] == "01" and text[10:18] == "AUTOGIRO" and not text[18:62].strip()


def _opening(rec: Record) -> Opening | None:
    written = rec.day(3, 10, "skrivdag")
    rec.fixed(11, 18, "AUTOGIRO", "layoutnamn")
    rec.blank(19, 62)
    customer = rec.digits(63, 68, "kundnummer")
    bankgiro = rec.digits(69, 78, BANKGIRO)
    rec.blank(79, 80)
    if written is None or bankgiro is None:
        return None
    return Opening(
        rec.line, datetime.combine(written, datetime.min.time()), "AUTOGIRO", bankgiro, customer
    )


def _bankgiro(rec: Record, start: int, opening: Opening) -> str | None:
    bankgiro = rec.digits(start, start + 9, BANKGIRO)
    if bankgiro is not None and bankgiro != opening.bankgiro:
        rec.error(BANKGIRO, f"{bankgiro} är inte öppningspostens {opening.bankgiro}")
    return bankgiro


def _mandate(rec: Record, opening: Opening) -> MandateRequest | None:
    bankgiro = _bankgiro(rec, 3, opening)
    payer_number = rec.digits(13, 28, PAYER)
    if rec.code == "03":
        rec.blank(29, 80)
        if bankgiro is None or payer_number is None:
            return None
        return MandateRequest(rec.line, "03", bankgiro, payer_number)
    if rec.code == "05":
        new_bankgiro = rec.digits(29, 38, "nytt bankgironummer")
        new_payer = rec.digits(39, 54, "nytt betalarnummer")
        rec.blank(55, 80)
        if None in (bankgiro, payer_number, new_bankgiro, new_payer):
            return None
        return MandateRequest(
            rec.line,
            "05",
            bankgiro or "",
            payer_number or "",
            new_bankgiro=new_bankgiro,
            new_payer_number=new_payer,
        )
    rec.blank(57, 76)
    rec.blank(79, 80)
    reply = rec.text_field(77, 78) or None
    if reply not in (None, "AV"):
        rec.error("nyinlägg/svar (pos 77-78)", f"ska vara blankt eller 'AV', är {reply!r}")
    new = bool(rec.raw(29, 56).strip())
    account = rec.digits(29, 44, "bankkontonummer") if new else None
    identity = rec.digits(45, 56, "person-/organisationsnummer") if new else None
    if bankgiro is None or payer_number is None or (new and (account is None or identity is None)):
        return None
    return MandateRequest(rec.line, "04", bankgiro, payer_number, account, identity, reply)


def _order(rec: Record, opening: Opening) -> PaymentOrder | None:
    immediately = rec.raw(3, 10) == "GENAST  "
    due = None if immediately else rec.day(3, 10, "betalningsdag")
    period = rec.raw(11, 11)
    if not period.isdigit() or period == "9":
        rec.error("periodkod", f"ska vara 0-8, är {period!r}")
    if immediately and period != "0":
        rec.error("periodkod", "GENAST kan bara vara en engångsbetalning (periodkod 0)")
    repeats = rec.digits(12, 14, "antal självförnyande uppdrag", optional=True)
    rec.blank(15, 15)
    payer_number = rec.digits(16, 31, PAYER)
    amount = rec.amount(32, 43)
    bankgiro = _bankgiro(rec, 44, opening)
    reference = rec.text_field(54, 69)
    rec.blank(70, 80)
    if (due is None and not immediately) or payer_number is None or amount is None:
        return None
    if amount.ore == 0:
        rec.error("belopp", "beloppet är noll")
    return PaymentOrder(
        rec.line,
        Direction(rec.code),
        due,
        period,
        None if repeats is None else int(repeats),
        payer_number,
        amount,
        bankgiro or "",
        reference,
    )


def _amendment(rec: Record, opening: Opening) -> AmendmentRequest | None:
    bankgiro = _bankgiro(rec, 3, opening)
    payer_number = rec.digits(13, 28, PAYER, optional=True)
    due = rec.day(29, 36, "betalningsdag", optional=True)
    amount = rec.amount(37, 48) if rec.raw(37, 48).strip() else None
    kind = rec.raw(49, 50)
    direction = Direction(kind) if kind in ("82", "32") else None
    if kind.strip() and direction is None:
        rec.error("betalningskod", f"ska vara 82 eller 32, är {kind!r}")
    new_due = None
    if rec.code in ("23", "24", "25"):  # cancellations carry no new day
        rec.blank(51, 58)
    else:
        new_due = rec.day(51, 58, "ny betalningsdag")
    reference = rec.text_field(59, 74)
    rec.blank(75, 80)
    needs_payer = rec.code in ("23", "24", "25", "28", "29")
    if needs_payer and payer_number is None:
        rec.error(PAYER, f"TK{rec.code} ska ha ett betalarnummer")
    if rec.code in ("25", "29") and (amount is None or direction is None or due is None):
        rec.error("belopp", f"TK{rec.code} ska ha betalningsdag, belopp och betalningskod")
    if bankgiro is None:
        return None
    return AmendmentRequest(
        rec.line, rec.code, bankgiro, payer_number, due, amount, direction, new_due, reference
    )


def read_requests(records: list[Record]) -> tuple[FileKind, Opening | None, list[object]]:
    """Every record of a file to Bankgirot; faults go to the records' shared error list."""
    first: Opening | None = None
    opening: Opening | None = None
    read: list[object] = []
    for rec in records:
        if rec.code == "01":
            opening = _opening(rec)
            first = first or opening
            continue
        if opening is None:
            rec.error("transaktionskod", f"TK{rec.code} före öppningsposten (TK01)")
            break
        if rec.code in ("03", "04", "05"):
            item: object | None = _mandate(rec, opening)
        elif rec.code in ("82", "32"):
            item = _order(rec, opening)
        elif rec.code in ("23", "24", "25", "26", "27", "28", "29"):
            item = _amendment(rec, opening)
        else:
            rec.error("transaktionskod", f"okänd post i en fil till Bankgirot: {rec.code!r}")
            continue
        if item is not None:
            read.append(item)
    return FileKind.REQUESTS, first, read
