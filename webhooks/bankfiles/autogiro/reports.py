"""From Bankgirot, about orders: rejected payment orders (TK01 AVVISADE BET UPPDR, TK82/TK32,
TK09), cancellations and date changes as carried out (TK01 MAKULERING/ÄNDRING, TK03, TK11,
TK21-TK29, TK09) and an extract of the watch register (TK01 BEVAKNINGSREG, TK82/TK32, TK09).

Totals checked: TK09's count and sum of payouts (TK32) and of debits (TK82). In the file of
cancellations and changes they cover only what Bankgirot carried out (comment code 12,
cancelled, or 14, new payment day): the example file's TK09 agrees with that reading and with no
other (docs/autogiro.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from ledger.money import Money
from webhooks.bankfiles.autogiro.codes import AmendmentOutcome, Direction, FileKind
from webhooks.bankfiles.autogiro.fields import Record
from webhooks.bankfiles.autogiro.records import (
    AmendmentResult,
    Opening,
    RejectedOrder,
    WatchedPayment,
)
from webhooks.bankfiles.autogiro.specification import check_total, response_opening
from webhooks.bankfiles.records import ControlTotal

__all__ = ["read_amendments", "read_rejected_orders", "read_watch_register"]

Read = tuple[FileKind, Opening | None, list[object], list[ControlTotal]]
_NAME = {Direction.CREDIT: "utbetalningar (TK32)", Direction.DEBIT: "debiteringar (TK82)"}


def _totals(
    rec: Record,
    controls: list[ControlTotal],
    fields: dict[Direction, tuple[tuple[int, int], tuple[int, int]]],
    read: dict[Direction, list[Money]],
) -> None:
    """Check TK09's (count, amount) positions for each direction against what was read."""
    for direction, ((c1, c2), (a1, a2)) in fields.items():
        name = _NAME[direction]
        count = rec.number(c1, c2, f"antal {name}")
        amount = rec.number(a1, a2, f"belopp {name}")
        if count is not None:
            check_total(rec, controls, f"antal {name}", count, len(read[direction]))
        if amount is not None:
            total = sum(read[direction], Money.zero())
            check_total(rec, controls, f"belopp {name} (öre)", amount, total.ore)


def _scan(
    records: list[Record],
    handle: Callable[[Record], object | None],
    close: Callable[[Record], None],
) -> list[object]:
    """Each record through ``handle`` up to TK09, which goes to ``close``."""
    read: list[object] = []
    ended = False
    for rec in records:
        if ended:
            rec.error("transaktionskod", "post efter slutposten (TK09)")
            break
        if rec.code == "09":
            ended = True
            rec.day(3, 10, "skrivdag")
            rec.fixed(11, 14, "9900", "clearingnummer")
            close(rec)
            continue
        item = handle(rec)
        if item is not None:
            read.append(item)
    if not ended:
        records[-1].error("slutpost", "filen saknar slutpost (TK09)")
    return read


def _order_fields(rec: Record) -> tuple[date | None, str, int | None]:
    due = rec.day(3, 10, "betalningsdag")
    period = rec.raw(11, 11)
    repeats = rec.digits(12, 14, "antal självförnyande uppdrag", optional=True)
    return due, period, None if repeats is None else int(repeats)


def read_rejected_orders(records: list[Record]) -> Read:
    opening = response_opening(records[0], "AVVISADE BET UPPDR")
    controls: list[ControlTotal] = []
    moved: dict[Direction, list[Money]] = {Direction.CREDIT: [], Direction.DEBIT: []}

    def handle(rec: Record) -> RejectedOrder | None:
        if rec.code not in ("82", "32"):
            rec.error("transaktionskod", f"okänd post bland avvisade uppdrag: {rec.code!r}")
            return None
        due, period, repeats = _order_fields(rec)
        payer_number = rec.digits(15, 30, "betalarnummer")
        amount = rec.amount(31, 42)
        reference = rec.text_field(43, 58)
        comment = rec.digits(59, 60, "kommentarskod")
        rec.blank(61, 80)
        if payer_number is None or amount is None or comment is None:
            return None
        moved[Direction(rec.code)].append(amount)
        return RejectedOrder(
            rec.line,
            Direction(rec.code),
            due,
            period,
            repeats,
            payer_number,
            amount,
            reference,
            comment,
        )

    def close(rec: Record) -> None:
        _totals(
            rec,
            controls,
            {Direction.CREDIT: ((15, 20), (21, 32)), Direction.DEBIT: ((33, 38), (39, 50))},
            moved,
        )
        rec.blank(51, 80)

    read = _scan(records[1:], handle, close)
    return FileKind.REJECTED_ORDERS, opening, read, controls


def read_amendments(records: list[Record]) -> Read:
    opening = response_opening(records[0], "MAKULERING/ÄNDRING")
    controls: list[ControlTotal] = []
    done: dict[Direction, list[Money]] = {Direction.CREDIT: [], Direction.DEBIT: []}

    def handle(rec: Record) -> AmendmentResult | None:
        if rec.code not in ("03", "11", "21", "22", "23", "24", "25", "26", "27", "28", "29"):
            rec.error("transaktionskod", f"okänd post bland makuleringar: {rec.code!r}")
            return None
        due = rec.day(3, 10, "betalningsdag", optional=True)
        payer_number = rec.digits(11, 26, "betalarnummer", optional=True)
        kind = rec.raw(27, 28)
        direction = Direction(kind) if kind in ("82", "32") else None
        if direction is None and kind != "00":
            rec.error("betalningskod", f"ska vara 82, 32 eller 00, är {kind!r}")
        amount = rec.amount(29, 40)
        new_due = rec.day(49, 56, "ny betalningsdag", optional=True)
        reference = rec.text_field(57, 72)
        comment = rec.digits(73, 74, "kommentarskod")
        rec.blank(75, 80)
        if amount is None or comment is None:
            return None
        outcome = (
            AmendmentOutcome(comment) if comment in ("12", "14") else AmendmentOutcome.NOT_DONE
        )
        if direction is not None and outcome is not AmendmentOutcome.NOT_DONE:
            done[direction].append(amount)
        return AmendmentResult(
            rec.line,
            rec.code,
            due,
            payer_number,
            direction,
            amount,
            new_due,
            reference,
            comment,
            outcome,
        )

    def close(rec: Record) -> None:
        rec.blank(15, 28)
        _totals(
            rec,
            controls,
            {Direction.CREDIT: ((41, 46), (29, 40)), Direction.DEBIT: ((47, 52), (57, 68))},
            done,
        )

    read = _scan(records[1:], handle, close)
    return FileKind.AMENDMENTS, opening, read, controls


def _watch_opening(rec: Record) -> Opening | None:
    written = rec.day(3, 10, "skrivdag")
    rec.fixed(11, 22, "AUTOGIRO9900", "layoutnamn")
    rec.fixed(23, 62, "BEVAKNINGSREG", "innehåll")
    customer = rec.digits(63, 68, "kundnummer")
    bankgiro = rec.digits(69, 78, "betalningsmottagarens bankgironummer")
    rec.blank(79, 80)
    if written is None or bankgiro is None:
        return None
    when = datetime.combine(written, datetime.min.time())
    return Opening(rec.line, when, "BEVAKNINGSREG", bankgiro, customer)


def read_watch_register(records: list[Record]) -> Read:
    opening = _watch_opening(records[0])
    controls: list[ControlTotal] = []
    waiting: dict[Direction, list[Money]] = {Direction.CREDIT: [], Direction.DEBIT: []}

    def handle(rec: Record) -> WatchedPayment | None:
        if rec.code not in ("82", "32"):
            rec.error("transaktionskod", f"okänd post i bevakningsregistret: {rec.code!r}")
            return None
        due, period, repeats = _order_fields(rec)
        rec.blank(15, 15)
        payer_number = rec.digits(16, 31, "betalarnummer")
        amount = rec.amount(32, 43)
        rec.blank(44, 53)
        reference = rec.text_field(54, 69)
        rec.blank(70, 80)
        if payer_number is None or amount is None:
            return None
        waiting[Direction(rec.code)].append(amount)
        return WatchedPayment(
            rec.line, Direction(rec.code), due, period, repeats, payer_number, amount, reference
        )

    def close(rec: Record) -> None:
        rec.blank(15, 28)
        _totals(
            rec,
            controls,
            {Direction.CREDIT: ((41, 46), (29, 40)), Direction.DEBIT: ((47, 52), (57, 68))},
            waiting,
        )

    read = _scan(records[1:], handle, close)
    return FileKind.WATCH_REGISTER, opening, read, controls
