"""One camt.053/054 entry (``Ntry``) read into bank lines: one ``BankLine`` per transaction
detail (``TxDtls``), or one for an entry that has none.

Element names are the same in every version 001.02..001.14; what moved between versions is
handled here: the creditor reference (``CdtrRefInf/CdtrRef`` in .02, ``CdtrRefInf/Ref`` later),
the party name (``Dbtr/Nm`` up to .06, ``Dbtr/Pty/Nm`` from .07), the status (``<Sts>BOOK`` up to
.06, ``<Sts><Cd>BOOK`` later) and the amount of a detail (``TxDtls/Amt`` or
``AmtDtls/TxAmt/Amt``).

Each element is walked once into a flat ``{"A/B/C": text}`` map (first occurrence wins;
``Ustrd`` lines are joined): twenty ``find`` calls per entry cost four times as much, and a
benchmark file has a hundred thousand entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from lxml import etree

from ledger.money import Money
from webhooks.bankfiles.records import BANKGIRO, CARD, SWISH, TRANSFER, BankLine
from webhooks.bankfiles.text import ocr_reference
from webhooks.errors import CamtEntryInvalid

__all__ = ["EntryContext", "flatten", "read_entry"]

_SWISH_REFERENCE = re.compile(r"^\d{16}$")
_MAX_MESSAGE = 500

Fields = dict[str, str]


@dataclass(frozen=True, slots=True)
class EntryContext:
    """What the statement or notification around an entry tells about it."""

    ns: str
    account: str | None
    bankgiro: bool  # our account is a bankgiro number (Othr/SchmeNm/Prtry BGNR)


_LOCAL: dict[str, str] = {}  # "{urn:...}Local" -> "Local": a file has a few dozen tags


def flatten(element: etree._Element, skip: str = "") -> Fields:
    """``{"path/below/element": text}`` for every element under ``element`` that has text,
    and ``"path@Ccy"`` for amounts; the subtree named ``skip`` (a child) is left out."""
    out: Fields = {}
    local = _LOCAL
    stack: list[tuple[etree._Element, str]] = [(element, "")]
    while stack:
        parent, prefix = stack.pop()
        for child in parent:
            tag = child.tag
            name = local.get(tag)
            if name is None:
                # Every element of a camt document is in its one namespace: "{urn:...}Local".
                name = local[tag] = tag[tag.find("}") + 1 :]
            path = prefix + name
            if path == skip:
                continue
            text = child.text
            if text is not None and (text := text.strip()):
                if path not in out:
                    out[path] = text
                    if name == "Amt":
                        out[path + "@Ccy"] = child.get("Ccy", "")
                elif name == "Ustrd":
                    out[path] += " " + text
            if len(child):
                stack.append((child, path + "/"))
    return out


def _first(fields: Fields, *paths: str) -> str | None:
    for path in paths:
        value = fields.get(path)
        if value is not None:
            return value
    return None


def _money(fields: Fields, path: str, line: int | None) -> Money | None:
    text = fields.get(path)
    if text is None:
        return None
    currency = fields.get(f"{path}@Ccy", "")
    whole, _, fraction = text.partition(".")
    # Parsed by hand, not through Decimal: a large file has a hundred thousand of them.
    if not (whole.isdigit() and (fraction.isdigit() or not fraction)) or (
        len(fraction) > 2 and fraction[2:].strip("0")
    ):
        raise CamtEntryInvalid(line, path, f"beloppet är inget belopp i öre: {text!r}")
    try:
        return Money(int(whole) * 100 + int((fraction[:2] or "0").ljust(2, "0")), currency)
    except ValueError as exc:
        raise CamtEntryInvalid(
            line, path, f"beloppet {text!r} {currency!r} går inte att läsa: {exc}"
        ) from exc


def _sign(indicator: str | None, line: int | None) -> int:
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    raise CamtEntryInvalid(
        line, "CdtDbtInd", f"CdtDbtInd ska vara CRDT eller DBIT, är {indicator!r}"
    )


def _day(fields: Fields, where: str, line: int | None) -> date | None:
    text = _first(fields, f"{where}/Dt", f"{where}/DtTm")
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise CamtEntryInvalid(line, where, f"{where} är inget datum: {text!r}") from exc


def status(fields: Fields) -> str | None:
    return _first(fields, "Sts/Cd", "Sts")


@lru_cache(maxsize=16)
def _detail_paths(ns: str) -> tuple[str, str]:
    """The paths to an entry's details and its batch count, built once per namespace."""
    return f"{{{ns}}}NtryDtls/{{{ns}}}TxDtls", f"{{{ns}}}NtryDtls/{{{ns}}}Btch/{{{ns}}}NbOfTxs"


def read_entry(
    entry: etree._Element, fields: Fields, ctx: EntryContext, first_line_no: int
) -> list[BankLine]:
    """The booked entry's lines, numbered from ``first_line_no``; ``CamtEntryInvalid`` when wrong.
    ``fields`` is ``flatten(entry, skip="NtryDtls")``."""
    where = entry.sourceline
    amount = _money(fields, "Amt", where)
    if amount is None:
        raise CamtEntryInvalid(where, "Amt", "beloppet saknas")
    amount = amount * _sign(fields.get("CdtDbtInd"), where)
    booked = _day(fields, "BookgDt", where)
    if booked is None:
        raise CamtEntryInvalid(where, "BookgDt", "bokföringsdagen saknas")
    details, batch_count = _detail_paths(ctx.ns)
    txs = entry.findall(details)
    declared = entry.findtext(batch_count) if txs else None
    if txs and declared and declared.strip().isdigit() and int(declared) != len(txs):
        raise CamtEntryInvalid(
            where, "NbOfTxs", f"posten säger {declared.strip()} transaktioner men har {len(txs)}"
        )
    shared = _Shared(fields, ctx, amount, booked, _day(fields, "ValDt", where), len(txs))
    lines = [
        shared.line(tx, ordinal, first_line_no + ordinal - 1)
        for ordinal, tx in enumerate(txs or [None], 1)
    ]
    total = sum((line.amount for line in lines), Money.zero(amount.currency))
    if total != amount:
        raise CamtEntryInvalid(
            where,
            "TxDtls",
            f"transaktionerna summerar till {total.decimal}, posten är på {amount.decimal}",
        )
    return lines


@dataclass(slots=True)
class _Shared:
    """What every line of one entry has in common."""

    fields: Fields
    ctx: EntryContext
    amount: Money
    booked: date
    valued: date | None
    count: int

    def line(self, tx: etree._Element | None, ordinal: int, line_no: int) -> BankLine:
        entry = self.fields
        where = tx.sourceline if tx is not None else None
        t = flatten(tx) if tx is not None else {}
        amount = self.amount
        tx_amount = _money(t, "Amt", where) or _money(t, "AmtDtls/TxAmt/Amt", where)
        if tx_amount is not None:
            amount = tx_amount * _sign(t.get("CdtDbtInd") or entry.get("CdtDbtInd"), where)
        elif self.count > 1:
            raise CamtEntryInvalid(
                where, "TxDtls/Amt", "beloppet saknas i en av flera transaktioner"
            )
        entry_ref = entry.get("AcctSvcrRef")
        tx_ref = t.get("Refs/AcctSvcrRef")
        clearing_ref = t.get("Refs/ClrSysRef")
        swish = any(
            "swish" in text.lower()
            for text in (
                entry.get("BkTxCd/Prtry/Cd"),
                entry.get("AddtlNtryInf"),
                t.get("AddtlTxInf"),
            )
            if text
        )
        if swish and clearing_ref is not None and _SWISH_REFERENCE.match(clearing_ref):
            key = f"swish:{clearing_ref}"
        elif tx_ref is not None:
            key = f"bank:{tx_ref}"
        elif entry_ref is not None:
            key = f"bank:{entry_ref}" if self.count <= 1 else f"bank:{entry_ref}:{ordinal}"
        else:
            raise CamtEntryInvalid(
                where or 0, "AcctSvcrRef", "bankens referens (AcctSvcrRef) saknas"
            )
        party = "Dbtr" if amount.ore > 0 else "Cdtr"
        structured = _first(t, "RmtInf/Strd/CdtrRefInf/Ref", "RmtInf/Strd/CdtrRefInf/CdtrRef")
        ustrd = t.get("RmtInf/Ustrd")
        message = ustrd or t.get("AddtlTxInf") or entry.get("AddtlNtryInf")
        reference = structured if structured and structured.isdigit() else ocr_reference(ustrd)
        if structured and not structured.isdigit():
            message = " ".join(p for p in (structured, message) if p)
        if swish:
            channel = SWISH
        elif entry.get("BkTxCd/Domn/Fmly/Cd") == "CCRD":
            channel = CARD
        else:
            channel = BANKGIRO if self.ctx.bankgiro else TRANSFER
        raw = {
            "entry_ref": entry_ref,
            "tx_ref": tx_ref,
            "clearing_ref": clearing_ref,
            "end_to_end_id": t.get("Refs/EndToEndId"),
            "bank_tx_code": _first(entry, "BkTxCd/Prtry/Cd", "BkTxCd/Domn/Fmly/SubFmlyCd"),
            "reversal": entry.get("RvslInd"),
        }
        return BankLine(
            line_no=line_no,
            source_line=where or 0,
            key=key,
            booking_date=self.booked,
            value_date=self.valued,
            amount=amount,
            channel=channel,
            account=self.ctx.account,
            reference=reference,
            message=message[:_MAX_MESSAGE] if message else None,
            payer_name=_first(t, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm"),
            payer_account=_first(
                t, f"RltdPties/{party}Acct/Id/IBAN", f"RltdPties/{party}Acct/Id/Othr/Id"
            ),
            raw=tuple((k, v) for k, v in raw.items() if v),
        )
