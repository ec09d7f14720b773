"""The demo's bank file: a camt.054 (ISO 20022, version 001.02) for the demo's bankgiro, as a
Swedish bank sends one when money reaches the bankgiro.

Each payment is one ``Ntry`` with one ``TxDtls``: the bank's own reference (``AcctSvcrRef``, the
payment's key in Kassan), the payer's name, and an OCR reference (``Strd``) or a free-text
message (``Ustrd``); a Swish payment says Swish in its bank transaction code and carries Swish's
16-digit payment reference as its clearing-system reference, as the banks write it. The bytes
depend only on what is passed in, so the same payments on the same day make the same file.

The writer in ``tests/support/camt_files.py`` covers every version and odd shape for the tests;
the demo needs one plain shape and may not import the tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment into the bankgiro."""

    ref: str  # the bank's reference for it (AcctSvcrRef)
    day: date
    ore: int  # > 0: money in
    name: str
    ocr: str | None = None  # the structured reference
    message: str | None = None  # free text (a Swish message)
    swish_ref: str | None = None  # Swish's 16-digit payment reference: a Swish payment


def _amount(ore: int) -> str:
    return f'<Amt Ccy="SEK">{ore // 100}.{ore % 100:02d}</Amt>'


def _entry(p: Payment) -> str:
    if p.ore <= 0:
        raise ValueError(f"{p.ref}: the demo's file holds money in only")
    code = "SWISH" if p.swish_ref else "BGINBET"
    refs = f"<AcctSvcrRef>{escape(p.ref)}</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId>"
    if p.swish_ref:
        refs += f"<ClrSysRef>{p.swish_ref}</ClrSysRef>"
    remittance = ""
    if p.message:
        remittance += f"<Ustrd>{escape(p.message)}</Ustrd>"
    if p.ocr:
        remittance += (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{p.ocr}</Ref></CdtrRefInf></Strd>"
        )
    day = p.day.isoformat()
    return (
        f"<Ntry>{_amount(p.ore)}<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
        f"<AcctSvcrRef>{escape(p.ref)}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn>"
        f"<Prtry><Cd>{code}</Cd></Prtry></BkTxCd>"
        f"<NtryDtls><TxDtls><Refs>{refs}</Refs>{_amount(p.ore)}<CdtDbtInd>CRDT</CdtDbtInd>"
        f"<RltdPties><Dbtr><Nm>{escape(p.name)}</Nm></Dbtr></RltdPties>"
        f"{f'<RmtInf>{remittance}</RmtInf>' if remittance else ''}</TxDtls></NtryDtls>"
        f"{'<AddtlNtryInf>Swish</AddtlNtryInf>' if p.swish_ref else ''}</Ntry>\n"
    )


def camt054(bankgiro: str, created: datetime, payments: Iterable[Payment]) -> bytes:
    """The notification of ``payments`` to ``bankgiro`` (digits only), made at ``created``."""
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S")
    message_id = f"KASSAN-DEMO-{created:%Y%m%d}"
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NAMESPACE}">\n',
        "<BkToCstmrDbtCdtNtfctn>\n",
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>{stamp}</CreDtTm></GrpHdr>\n",
        f"<Ntfctn><Id>{message_id}</Id><CreDtTm>{stamp}</CreDtTm>\n",
        f"<Acct><Id><Othr><Id>{bankgiro}</Id><SchmeNm><Prtry>BGNR</Prtry></SchmeNm></Othr></Id>"
        "<Ccy>SEK</Ccy></Acct>\n",
        *(_entry(p) for p in payments),
        "</Ntfctn>\n</BkToCstmrDbtCdtNtfctn>\n</Document>\n",
    ]
    return "".join(parts).encode("utf-8")
