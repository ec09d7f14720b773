"""From Bankgirot: the payment specification ("Betalningsspecifikation och stoppade betalningar
i täckningskontrollen"): TK01, sections of TK15 + TK82 (debits), TK16 + TK32 (payouts) and
TK17 + TK77 (refunds), and TK09.

Totals checked: each section's amount and count against its approved records (status 0; a TK77
always counts), and TK09's number of sections and of records per kind against the sections and
approved records read. Status 1 (insufficient funds), 2 (no mandate) and 9 (tried again the next
banking day) are reported but moved no money, as the example file's own totals show.
"""

from __future__ import annotations

from datetime import datetime

from ledger.money import Money
from webhooks.bankfiles.autogiro.codes import Direction, FileKind, PaymentStatus
from webhooks.bankfiles.autogiro.fields import Record
from webhooks.bankfiles.autogiro.records import Opening, PaymentResult, Refund, Section
from webhooks.bankfiles.records import ControlTotal

__all__ = ["LAYOUT", "check_total", "read_specification", "response_opening"]

LAYOUT = "BET. SPEC & STOPP TK"
_SECTION_OF = {"15": "82", "16": "32", "17": "77"}
_NAMES = {"15": "insättningar (TK15)", "16": "uttag (TK16)", "17": "återbetalningar (TK17)"}


def response_opening(rec: Record, layout: str, *, stamp: bool = False) -> Opening | None:
    """TK01 of a file from Bankgirot in the new layout: ``01AUTOGIRO``, 14 blanks, the day
    written (or, in the payment specification, a 20-digit time stamp), the layout name at
    45-64, customer number and bankgiro number."""
    rec.fixed(3, 10, "AUTOGIRO", "layoutnamn")
    rec.blank(11, 24)
    if stamp:
        value = rec.raw(25, 44)
        try:
            written: datetime | None = datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(
                microsecond=int(value[14:20])
            )
        except ValueError:
            rec.error("skrivdag", f"är ingen tidpunkt: {value!r}")
            written = None
    else:
        day = rec.day(25, 32, "skrivdag")
        rec.blank(33, 44)
        written = None if day is None else datetime.combine(day, datetime.min.time())
    rec.fixed(45, 64, layout, "innehåll")
    customer = rec.digits(65, 70, "kundnummer")
    bankgiro = rec.digits(71, 80, "betalningsmottagarens bankgironummer")
    if written is None or bankgiro is None:
        return None
    return Opening(rec.line, written, layout, bankgiro, customer)


def _section(rec: Record) -> Section | None:
    account = rec.raw(3, 37)
    day = rec.day(38, 45, "betalningsdag")
    serial = rec.digits(46, 50, "löpnummer")
    amount = rec.amount(51, 68)
    rec.blank(69, 71)
    count = rec.number(72, 79, "antal poster")
    rec.blank(80, 80)
    if day is None or serial is None or amount is None or count is None:
        return None
    return Section(rec.line, rec.code, account, day, serial, amount, count)


def _payment(rec: Record, section: Section, bankgiro: str) -> PaymentResult | Refund | None:
    due = rec.day(3, 10, "betalningsdag")
    period = rec.raw(11, 11)
    repeats = rec.digits(12, 14, "antal självförnyande uppdrag", optional=True)
    payer_number = rec.digits(16, 31, "betalarnummer")
    amount = rec.amount(32, 43)
    payee = rec.digits(44, 53, "betalningsmottagarens bankgironummer")
    if payee is not None and payee != bankgiro:
        rec.error("betalningsmottagarens bankgironummer", f"{payee} är inte filens {bankgiro}")
    reference = rec.text_field(54, 69)
    if rec.code == "77":
        refunded_on = rec.day(70, 77, "återbetalningsdag")
        code = rec.digits(78, 79, "kommentarskod")
        if due is None or payer_number is None or amount is None:
            return None
        if refunded_on is None or code is None:
            return None
        return Refund(
            rec.line,
            section.line,
            due,
            payer_number,
            amount,
            bankgiro,
            reference,
            refunded_on,
            code,
        )
    status = rec.raw(80, 80)
    if status not in {s.value for s in PaymentStatus}:
        rec.error("betalningsstatuskod (pos 80)", f"okänd kod {status!r}")
        return None
    if due is None or payer_number is None or amount is None:
        return None
    return PaymentResult(
        rec.line,
        section.line,
        Direction(rec.code),
        due,
        period,
        None if repeats is None else int(repeats),
        payer_number,
        amount,
        bankgiro,
        reference,
        PaymentStatus(status),
    )


def check_total(
    rec: Record,
    controls: list[ControlTotal],
    what: str,
    declared: int,
    computed: int,
    *,
    line: int | None = None,
) -> None:
    """Keep one of the file's totals beside what was read; a difference is a fault."""
    controls.append(ControlTotal(what, declared, computed))
    if declared != computed:
        rec.error(
            "summering", f"{what}: filen säger {declared}, posterna ger {computed}", line=line
        )


def _close_section(
    controls: list[ControlTotal], section: Section, rec: Record, items: list[PaymentResult | Refund]
) -> None:
    moved = [i for i in items if isinstance(i, Refund) or i.status is PaymentStatus.APPROVED]
    name = f"{_NAMES[section.code]} rad {section.line}"
    total = sum((i.amount for i in moved), Money.zero())
    check_total(
        rec, controls, f"{name}: belopp (öre)", section.amount.ore, total.ore, line=section.line
    )
    check_total(rec, controls, f"{name}: antal", section.count, len(moved), line=section.line)


def read_specification(
    records: list[Record],
) -> tuple[FileKind, Opening | None, list[object], list[ControlTotal]]:
    opening = response_opening(records[0], LAYOUT, stamp=True)
    bankgiro = opening.bankgiro if opening else ""
    read: list[object] = []
    controls: list[ControlTotal] = []
    sections: dict[str, int] = {"15": 0, "16": 0, "17": 0}
    moved: dict[str, int] = {"82": 0, "32": 0, "77": 0}
    section: Section | None = None
    items: list[PaymentResult | Refund] = []
    ended = False
    for rec in records[1:]:
        if ended:
            rec.error("transaktionskod", "post efter slutposten (TK09)")
            break
        if rec.code in ("15", "16", "17", "09") and section is not None:
            _close_section(controls, section, rec, items)
            section, items = None, []
        if rec.code in _SECTION_OF:
            section = _section(rec)
            sections[rec.code] += 1
            if section is not None:
                read.append(section)
        elif rec.code in ("82", "32", "77"):
            if section is None or _SECTION_OF[section.code] != rec.code:
                rec.error("transaktionskod", f"TK{rec.code} utanför sitt avsnitt")
                continue
            item = _payment(rec, section, bankgiro)
            if item is not None:
                items.append(item)
                read.append(item)
                if isinstance(item, Refund) or item.status is PaymentStatus.APPROVED:
                    moved[rec.code] += 1
        elif rec.code == "09":
            ended = True
            rec.day(3, 10, "skrivdag")
            rec.fixed(11, 14, "9900", "clearingnummer")
            for start, what, counted in (
                (15, "antal insättningsavsnitt (TK15)", sections["15"]),
                (21, "antal godkända debiteringar (TK82)", moved["82"]),
                (33, "antal uttagsavsnitt (TK16)", sections["16"]),
                (39, "antal godkända utbetalningar (TK32)", moved["32"]),
                (51, "antal återbetalningsavsnitt (TK17)", sections["17"]),
                (57, "antal återbetalningar (TK77)", moved["77"]),
            ):
                width = 6 if start in (15, 33, 51) else 12
                declared = rec.number(start, start + width - 1, what)
                if declared is not None:
                    check_total(rec, controls, what, declared, counted)
            rec.blank(69, 80)
        else:
            rec.error("transaktionskod", f"okänd post i betalningsspecifikationen: {rec.code!r}")
    if not ended:
        records[-1].error("slutpost", "filen saknar slutpost (TK09)")
    return FileKind.PAYMENT_SPECIFICATION, opening, read, controls
