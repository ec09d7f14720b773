"""From Bankgirot, about mandates: the mandate advice (TK01 AG-MEDAVI, TK73, TK09), mandates
signed in the payer's internet bank (TK51, TK52-TK56 per mandate, TK59) and an extract of the
mandate register (records with no TK, no opening and no closing).

Totals checked: TK09 counts the TK73 records; TK59 counts the records between TK51 and TK59.
"""

from __future__ import annotations

from datetime import datetime

from webhooks.bankfiles.autogiro.codes import FileKind, mandate_outcome, mandate_text
from webhooks.bankfiles.autogiro.fields import Record
from webhooks.bankfiles.autogiro.records import EMandate, MandateAdvice, Opening, RegisterMandate
from webhooks.bankfiles.autogiro.specification import check_total, response_opening
from webhooks.bankfiles.records import ControlTotal

__all__ = ["read_e_mandates", "read_mandate_advice", "read_mandate_register"]

BANKGIRO = "betalningsmottagarens bankgironummer"
Read = tuple[FileKind, Opening | None, list[object], list[ControlTotal]]


def _closing(rec: Record, controls: list[ControlTotal], what: str, counted: int) -> None:
    rec.day(3, 10, "skrivdag")
    rec.fixed(11, 14, "9900", "clearingnummer")
    declared = rec.number(15, 21, what)
    rec.blank(22, 80)
    if declared is not None:
        check_total(rec, controls, what, declared, counted)


def _same_bankgiro(rec: Record, start: int, opening: Opening | None) -> str | None:
    bankgiro = rec.digits(start, start + 9, BANKGIRO)
    if opening is not None and bankgiro is not None and bankgiro != opening.bankgiro:
        rec.error(BANKGIRO, f"{bankgiro} är inte öppningspostens {opening.bankgiro}")
    return bankgiro


def _advice(rec: Record, opening: Opening | None) -> MandateAdvice | None:
    bankgiro = _same_bankgiro(rec, 3, opening)
    payer_number = rec.digits(13, 28, "betalarnummer")
    account = rec.digits(29, 44, "bankkontonummer", optional=True)
    identity = rec.digits(45, 56, "person-/organisationsnummer", optional=True)
    rec.blank(57, 61)
    information = rec.digits(62, 63, "informationskod")
    comment = rec.digits(64, 65, "kommentarskod")
    day = rec.day(66, 73, "datum")
    rec.blank(74, 80)
    if bankgiro is None or payer_number is None or day is None:
        return None
    if information is None or comment is None:
        return None
    return MandateAdvice(
        rec.line,
        bankgiro,
        payer_number,
        account,
        identity,
        information,
        comment,
        day,
        mandate_outcome(information, comment),
        mandate_text(information, comment),
    )


def read_mandate_advice(records: list[Record]) -> Read:
    opening = response_opening(records[0], "AG-MEDAVI")
    read: list[object] = []
    controls: list[ControlTotal] = []
    ended = False
    for rec in records[1:]:
        if ended:
            rec.error("transaktionskod", "post efter slutposten (TK09)")
            break
        if rec.code == "73":
            advice = _advice(rec, opening)
            if advice is not None:
                read.append(advice)
        elif rec.code == "09":
            ended = True
            _closing(rec, controls, "antal medgivandeposter (TK73)", len(read))
        else:
            rec.error("transaktionskod", f"okänd post i medgivandeaviseringen: {rec.code!r}")
    if not ended:
        records[-1].error("slutpost", "filen saknar slutpost (TK09)")
    return FileKind.MANDATE_ADVICE, opening, read, controls


def _e_opening(rec: Record) -> Opening | None:
    written = rec.day(3, 10, "skrivdag")
    rec.fixed(11, 14, "9900", "clearingnummer")
    bankgiro = rec.digits(15, 24, BANKGIRO)
    rec.fixed(25, 44, "AG-EMEDGIV", "innehåll")
    rec.blank(45, 80)
    if written is None or bankgiro is None:
        return None
    return Opening(rec.line, datetime.combine(written, datetime.min.time()), "AG-EMEDGIV", bankgiro)


def _e_mandate(rec: Record, opening: Opening | None) -> dict[str, object] | None:
    bankgiro = _same_bankgiro(rec, 3, opening)
    payer_number = rec.digits(13, 28, "betalarnummer")
    account = rec.digits(29, 44, "bankkontonummer")
    identity = rec.digits(45, 56, "person-/organisationsnummer")
    rec.blank(57, 61)
    message_type = rec.raw(62, 62)
    if message_type not in ("0", "1", "2"):
        rec.error("meddelandetyp (pos 62)", f"ska vara 0, 1 eller 2, är {message_type!r}")
    rec.blank(63, 80)
    if None in (bankgiro, payer_number, account, identity):
        return None
    return {
        "line": rec.line,
        "bankgiro": bankgiro,
        "payer_number": payer_number,
        "account": account,
        "identity": identity,
        "message_type": message_type,
    }


def read_e_mandates(records: list[Record]) -> Read:
    opening = _e_opening(records[0])
    read: list[object] = []
    controls: list[ControlTotal] = []
    current: dict[str, object] | None = None
    counted = 0
    ended = False

    def close() -> None:
        if current is not None:
            read.append(EMandate(**current))  # type: ignore[arg-type]

    for rec in records[1:]:
        if ended:
            rec.error("transaktionskod", "post efter slutposten (TK59)")
            break
        if rec.code == "59":
            ended = True
            close()
            _closing(rec, controls, "antal medgivandeposter (TK52-TK56)", counted)
            continue
        counted += 1
        if rec.code == "52":
            close()
            current = _e_mandate(rec, opening)
        elif rec.code in ("53", "54", "55", "56") and current is None:
            rec.error("transaktionskod", f"TK{rec.code} utan föregående TK52")
        elif rec.code == "53" and current is not None:
            rec.blank(39, 80)
            current["information"] = rec.text_field(3, 38)
        elif rec.code in ("54", "55") and current is not None:
            rec.blank(75, 80)
            lines = tuple(x for x in (rec.text_field(3, 38), rec.text_field(39, 74)) if x)
            current["name" if rec.code == "54" else "address"] = lines
        elif rec.code == "56" and current is not None:
            rec.blank(39, 80)
            current["postcode"] = rec.text_field(3, 7)
            current["city"] = rec.text_field(8, 38)
        else:
            rec.error("transaktionskod", f"okänd post bland internetbanksmedgivanden: {rec.code!r}")
    if not ended:
        records[-1].error("slutpost", "filen saknar slutpost (TK59)")
    return FileKind.E_MANDATES, opening, read, controls


def read_mandate_register(records: list[Record]) -> Read:
    """An extract of the mandate register: one mandate per record, no TK, no totals."""
    read: list[object] = []
    for rec in records:
        bankgiro = rec.digits(1, 10, BANKGIRO)
        identity = rec.digits(11, 22, "person-/organisationsnummer")
        payer_number = rec.digits(23, 38, "betalarnummer")
        codes = rec.raw(39, 41) + rec.raw(58, 58)
        first = rec.day(42, 49, "datum 1", optional=True)
        second = rec.day(50, 57, "datum 2", optional=True)
        rec.blank(59, 64)
        account = rec.digits(65, 80, "bankkontonummer", optional=True)
        if bankgiro is None or identity is None or payer_number is None:
            continue
        read.append(
            RegisterMandate(
                rec.line, bankgiro, identity, payer_number, account, codes, first, second
            )
        )
    return FileKind.MANDATE_REGISTER, None, read, []
