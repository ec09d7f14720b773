"""Bankgirot's answers to the demo's Autogiro files, as Bankgirot would send them: the mandate
advice (``AG-MEDAVI``, a TK73 per mandate) and the payment specification (``BET. SPEC & STOPP
TK``, one TK15 section of debits). The project writes only the files that go *to* Bankgirot
(``webhooks.bankfiles.autogiro.writer``); these two come back, so the demo builds their
80-character ISO-8859-1 records itself, and imports them through the real importer, whose parser
checks every field and total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

__all__ = ["AdviceRow", "Debit", "mandate_advice", "payment_specification"]


@dataclass(frozen=True, slots=True)
class AdviceRow:
    payer: int
    information: str  # "04": new mandate
    comment: str  # "32": approved; anything else (e.g. "23" wrong account): refused


@dataclass(frozen=True, slots=True)
class Debit:
    payer: int
    ore: int
    reference: str  # the order's reference ("GÅVA 2026-11"): it names the month
    status: str = "0"  # "0" approved, "1" insufficient funds


def _file(records: Sequence[str]) -> bytes:
    for r in records:
        if len(r) != 80:
            raise ValueError(f"an Autogiro record of {len(r)} characters: {r!r}")
    return "".join(f"{r}\r\n" for r in records).encode("iso-8859-1")


def _opening(written: str, layout: str, customer: str, bankgiro: str) -> str:
    return f"01AUTOGIRO{'':14}{written:20}{layout:20}{customer:>06}{bankgiro.zfill(10)}"


def mandate_advice(day: date, customer: str, bankgiro: str, rows: Sequence[AdviceRow]) -> bytes:
    d = f"{day:%Y%m%d}"
    records = [_opening(d, "AG-MEDAVI", customer, bankgiro)]
    for r in rows:
        records.append(
            f"73{bankgiro.zfill(10)}{r.payer:016d}{'':33}{r.information}{r.comment}{d}".ljust(80)
        )
    records.append(f"09{d}9900{len(rows):07d}".ljust(80))
    return _file(records)


def payment_specification(
    day: date, customer: str, bankgiro: str, account: str, debits: Sequence[Debit]
) -> bytes:
    """One TK15 section: its amount and count are the approved debits' (status 0), as in
    Bankgirot's own example; ``account`` is our bank account (clearing and number, digits)."""
    d, bg = f"{day:%Y%m%d}", bankgiro.zfill(10)
    approved = [x for x in debits if x.status == "0"]
    total = sum(x.ore for x in approved)
    records = [
        _opening(f"{d}000000000000", "BET. SPEC & STOPP TK", customer, bankgiro),
        f"15{account:0>35}{d}00001{total:018d}{'':3}{len(approved):08d} ",
    ]
    for x in debits:
        records.append(f"82{d}0    {x.payer:016d}{x.ore:012d}{bg}{x.reference:16}{'':10}{x.status}")
    records.append(f"09{d}9900{1:06d}{len(approved):012d}{0:06d}{0:012d}{0:06d}{0:012d}".ljust(80))
    return _file(records)
