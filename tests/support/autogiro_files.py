"""Autogiro report files as Bankgirot sends them (80-character ISO-8859-1 records, CRLF), made
for tests: a mandate advice and a payment specification with a section per kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

BANKGIRO = "9912346"
CUSTOMER = "471117"


def _file(records: Sequence[str]) -> bytes:
    for r in records:
        if len(r) != 80:
            raise ValueError(f"a test record of {len(r)} characters: {r!r}")
    return "".join(f"{r}\r\n" for r in records).encode("iso-8859-1")


def _opening(written: str, layout: str, bankgiro: str) -> str:
    return f"01AUTOGIRO{'':14}{written}{layout:20}{CUSTOMER}{bankgiro.zfill(10)}"


def mandate_advice(
    day: date, rows: Sequence[tuple[int, str, str]], bankgiro: str = BANKGIRO
) -> bytes:
    """TK73 per (payer number, information code, comment code)."""
    d = f"{day:%Y%m%d}"
    records = [_opening(f"{d}{'':12}", "AG-MEDAVI", bankgiro)]
    for payer, info, comment in rows:
        records.append(
            f"73{bankgiro.zfill(10)}{payer:016d}{'':16}{'':12}{'':5}{info}{comment}{d}".ljust(80)
        )
    records.append(f"09{d}9900{len(rows):07d}".ljust(80))
    return _file(records)


@dataclass(frozen=True)
class Debit:
    payer: int
    ore: int
    status: str = "0"
    reference: str = ""


def payment_specification(
    day: date,
    debits: Sequence[Debit] = (),
    refunds: Sequence[tuple[int, int, date, str]] = (),
    stamp: str = "120000000000",
    bankgiro: str = BANKGIRO,
) -> bytes:
    """One TK15 section of debits (its amount and count: the approved ones) and one TK17 per
    refund (payer, öre, refund day, code)."""
    d, bg = f"{day:%Y%m%d}", bankgiro.zfill(10)
    account = "0" * 20 + "890100323232323"
    records = [_opening(f"{d}{stamp}"[:20].ljust(20), "BET. SPEC & STOPP TK", bankgiro)]
    approved = [x for x in debits if x.status == "0"]
    sections = 0
    if debits:
        sections = 1
        total = sum(x.ore for x in approved)
        records.append(f"15{account}{d}00001{total:018d}{'':3}{len(approved):08d} ")
        for x in debits:
            records.append(
                f"82{d}0    {x.payer:016d}{x.ore:012d}{bg}{x.reference:16}{'':10}{x.status}"
            )
    for payer, ore, when, code in refunds:
        records.append(f"17{account}{d}00002{ore:018d}{'':3}{1:08d} ")
        records.append(f"77{d}0    {payer:016d}{ore:012d}{bg}{'':16}{when:%Y%m%d}{code} ")
    records.append(
        f"09{d}9900{sections:06d}{len(approved):012d}{0:06d}{0:012d}"
        f"{len(refunds):06d}{len(refunds):012d}".ljust(80)
    )
    return _file(records)


@dataclass(frozen=True)
class EMandateRow:
    payer: int
    account: str  # 4-digit clearing and the account number, as Bankgirot writes it: 16 digits
    identity: str  # 12 digits
    information: str
    name: str
    address: str = "STORGATAN 1"
    postcode: str = "11122"
    city: str = "STOCKHOLM"


def e_mandates(day: date, rows: Sequence[EMandateRow], bankgiro: str = BANKGIRO) -> bytes:
    """Bankgirot's e-mandate file: TK51, per mandate TK52-TK56, TK59 counting them."""
    d, bg = f"{day:%Y%m%d}", bankgiro.zfill(10)
    records = [f"51{d}9900{bg}AG-EMEDGIV".ljust(80)]
    for r in rows:
        records.append(f"52{bg}{r.payer:016d}{r.account:0>16}{r.identity}{'':5}0".ljust(80))
        records.append(f"53{r.information:36}".ljust(80))
        records.append(f"54{r.name:36}".ljust(80))
        records.append(f"55{r.address:36}".ljust(80))
        records.append(f"56{r.postcode:5}{r.city:31}".ljust(80))
    records.append(f"59{d}9900{5 * len(rows):07d}".ljust(80))
    return _file(records)
