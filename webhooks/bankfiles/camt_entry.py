"""One camt.053/054 entry (``Ntry``) read into bank lines: one ``BankLine`` per transaction
detail (``TxDtls``), or one for an entry that has none.

Element names are the same in every version 001.02..001.14; what moved between versions is
handled here: the creditor reference (``CdtrRefInf/CdtrRef`` in .02, ``CdtrRefInf/Ref`` later),
the party name (``Dbtr/Nm`` up to .06, ``Dbtr/Pty/Nm`` from .07) and the amount of a detail
(``TxDtls/Amt`` or ``AmtDtls/TxAmt/Amt``).

Banks write entries in more shapes than the happy one, and each is read without guessing:

* the booking day is ``BookgDt``, else the value day ``ValDt`` (both are optional);
* a detail's own amount counts only in the account's currency; an amount the payer instructed
  in another currency (``AmtDtls/InstdAmt``, or a foreign ``TxAmt``) stays on the line as the
  ``instructed_amount``/``instructed_currency`` details, and the line is booked at the account
  currency's amount;
* a batch whose details do not all carry an account-currency amount is one line for the whole
  entry, marked ``batch`` with its count for the desk: an entry is never split by guess;
* an entry with ``RvslInd`` true reverses an earlier payment: ISO 20022 reports the reversal of
  a credit as a debit, so its signed amount is already the original's negated; its key is the
  original's with ``:reversal`` and its ``reverses`` detail names the original's key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from lxml import etree

from ledger.money import Money
from webhooks.bankfiles.camt_fields import Fields, day, first, flatten, money, sign
from webhooks.bankfiles.camt_keys import FileKeys, entry_key, reversal_key, transaction_key
from webhooks.bankfiles.records import AUTOGIRO, BANKGIRO, CARD, SWISH, TRANSFER, BankLine
from webhooks.bankfiles.text import ocr_reference
from webhooks.errors import CamtEntryInvalid

__all__ = ["EntryContext", "read_entry"]

_SWISH_REFERENCE = re.compile(r"^\d{16}$")
_MAX_MESSAGE = 500
_OWN_AMOUNTS = ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt")
_FOREIGN_AMOUNTS = ("AmtDtls/InstdAmt/Amt", "AmtDtls/TxAmt/Amt", "Amt")


@dataclass(frozen=True, slots=True)
class EntryContext:
    """What the statement or notification around an entry tells about it."""

    ns: str
    account: str | None
    bankgiro: bool  # our account is a bankgiro number (Othr/SchmeNm/Prtry BGNR)


@lru_cache(maxsize=16)
def _detail_paths(ns: str) -> tuple[str, str]:
    """The paths to an entry's details and its batch counts, built once per namespace."""
    return f"{{{ns}}}NtryDtls/{{{ns}}}TxDtls", f"{{{ns}}}NtryDtls/{{{ns}}}Btch/{{{ns}}}NbOfTxs"


@dataclass(slots=True)
class _Detail:
    """One ``TxDtls``: its fields, its amount in the account's currency (signed) if it gives
    one, and the amount the payer instructed in another currency, if any."""

    fields: Fields
    line: int | None
    amount: Money | None
    instructed: Money | None


def _detail(tx: etree._Element, currency: str, indicator: str | None) -> _Detail:
    where = tx.sourceline
    t = flatten(tx)
    own = foreign = None
    read: dict[str, Money | None] = {}  # each amount parsed once, in the order first asked for
    for path in _OWN_AMOUNTS:
        found = read[path] = money(t, path, where)
        if found is not None and found.currency == currency:
            own = found * sign(t.get("CdtDbtInd") or indicator, where)
            break
    for path in _FOREIGN_AMOUNTS:
        found = read[path] if path in read else money(t, path, where)
        if found is not None and found.currency != currency:
            foreign = found
            break
    return _Detail(t, where, own, foreign)


def _declared_count(entry: etree._Element, path: str, where: int | None) -> int | None:
    counts: list[int] = []
    for element in entry.iterfind(path):
        text = (element.text or "").strip()
        if not text.isdigit():
            raise CamtEntryInvalid(where, "Btch/NbOfTxs", f"NbOfTxs är inget antal: {text!r}")
        counts.append(int(text))
    return sum(counts) if counts else None


def read_entry(
    entry: etree._Element,
    fields: Fields,
    ctx: EntryContext,
    first_line_no: int,
    keys: FileKeys | None = None,
) -> list[BankLine]:
    """The booked entry's lines, numbered from ``first_line_no``; ``CamtEntryInvalid`` when wrong.
    ``fields`` is ``flatten(entry, skip="NtryDtls")``; ``keys`` remembers the file's keys."""
    where = entry.sourceline
    amount = money(fields, "Amt", where)
    if amount is None:
        raise CamtEntryInvalid(where, "Amt", "beloppet saknas")
    indicator = fields.get("CdtDbtInd")
    amount = amount * sign(indicator, where)
    valued = day(fields, "ValDt", where)
    booked = day(fields, "BookgDt", where) or valued
    if booked is None:
        raise CamtEntryInvalid(
            where, "BookgDt", "bokföringsdag (BookgDt) och valutadag (ValDt) saknas båda"
        )
    details_path, batch_path = _detail_paths(ctx.ns)
    txs = entry.findall(details_path)
    declared = _declared_count(entry, batch_path, where)
    if declared is not None and len(txs) > 1 and declared != len(txs):
        raise CamtEntryInvalid(
            where,
            "Btch/NbOfTxs",
            f"posten säger {declared} transaktioner (NbOfTxs) men har {len(txs)} (TxDtls)",
        )
    details = [_detail(tx, amount.currency, indicator) for tx in txs]
    shared = _Shared(fields, ctx, amount, booked, valued, where or 0)
    count = max(len(txs), declared or 0)
    if count > 1 and (len(txs) <= 1 or any(d.amount is None for d in details)):
        # The bank gave no amount per payment: the desk splits it, not a guess of ours.
        (key,) = shared.keys([None], where)
        return [shared.line(None, amount, key, first_line_no, keys, batch=count)]
    if len(details) <= 1:
        only = details[0] if details else None
        if only is not None and only.amount is not None and only.amount != amount:
            raise CamtEntryInvalid(
                where,
                "TxDtls/Amt",
                f"transaktionen är på {only.amount.decimal}, posten är på {amount.decimal}",
            )
        (key,) = shared.keys([only], where)
        return [shared.line(only, amount, key, first_line_no, keys)]
    total = sum((d.amount for d in details if d.amount is not None), Money.zero(amount.currency))
    if total != amount:
        raise CamtEntryInvalid(
            where,
            "TxDtls",
            f"transaktionerna summerar till {total.decimal}, posten är på {amount.decimal}",
        )
    return [
        shared.line(detail, detail_amount, key, first_line_no + n, keys)
        for n, (detail, key) in enumerate(zip(details, shared.keys(details, where), strict=True))
        if (detail_amount := detail.amount) is not None  # all are: a batch without is one line
    ]


def _swish_reference(entry: Fields, tx: Fields) -> tuple[bool, str | None]:
    """Whether the payment came by Swish, and Swish's 16-digit payment reference if given."""
    swish = any(
        "swish" in text.lower()
        for text in (entry.get("BkTxCd/Prtry/Cd"), entry.get("AddtlNtryInf"), tx.get("AddtlTxInf"))
        if text
    )
    clearing = tx.get("Refs/ClrSysRef")
    if swish and clearing is not None and _SWISH_REFERENCE.match(clearing):
        return True, clearing
    return swish, None


def _autogiro(entry: Fields, tx: Fields) -> bool:
    """Whether the entry is Bankgirot's deposit of Autogiro debits, or (money out) its debit of
    the payouts and refunds to payers (docs/autogiro.md, "How an Autogiro deposit is
    recognised"): the ISO family IDDT (issued direct debits, the payee's side of a direct
    debit), or the word "Autogiro" in the bank's own code or texts."""
    if entry.get("BkTxCd/Domn/Fmly/Cd") == "IDDT":
        return True
    texts = (
        entry.get("BkTxCd/Prtry/Cd"),
        entry.get("AddtlNtryInf"),
        tx.get("AddtlTxInf"),
    )  # the bank's words only: a payer's own message naming Autogiro makes no deposit
    return any("autogiro" in text.lower() for text in texts if text)


@dataclass(slots=True)
class _Shared:
    """What every line of one entry has in common."""

    fields: Fields
    ctx: EntryContext
    amount: Money
    booked: date
    valued: date | None
    entry_line: int

    def keys(self, details: Sequence[_Detail | None], where: int | None) -> list[str]:
        """One key per detail (camt_keys' rules): its own, else the entry's plus its position;
        keys that several details of this entry would share get their position too."""
        own = [
            transaction_key(d.fields, _swish_reference(self.fields, d.fields)[1]) if d else None
            for d in details
        ]
        base = entry_key(self.fields, self.ctx.account, self.booked)
        keys = []
        for position, key in enumerate(own, 1):
            if key is None:
                if base is None:
                    raise CamtEntryInvalid(
                        where,
                        "AcctSvcrRef",
                        "betalningen saknar referens: varken transaktionen (AcctSvcrRef, UETR, "
                        "TxId, EndToEndId) eller posten (AcctSvcrRef, NtryRef) har någon",
                    )
                key = base if len(own) == 1 else f"{base}:{position}"
            elif own.count(key) > 1:
                key = f"{key}:{position}"
            keys.append(key)
        return keys

    def line(
        self,
        detail: _Detail | None,
        amount: Money,
        key: str,
        line_no: int,
        keys: FileKeys | None,
        batch: int = 0,
    ) -> BankLine:
        entry = self.fields
        t = detail.fields if detail is not None else {}
        reversal = entry.get("RvslInd", "").lower() in ("true", "1")
        original = key
        if reversal:
            key = reversal_key(key)
        if keys is not None:
            key = keys.unique(key)
        swish, _ = _swish_reference(entry, t)
        party = "Dbtr" if amount.ore > 0 else "Cdtr"
        structured = first(t, "RmtInf/Strd/CdtrRefInf/Ref", "RmtInf/Strd/CdtrRefInf/CdtrRef")
        ustrd = t.get("RmtInf/Ustrd")
        message = ustrd or t.get("AddtlTxInf") or entry.get("AddtlNtryInf")
        reference = structured if structured and structured.isdigit() else ocr_reference(ustrd)
        if structured and not structured.isdigit():
            message = " ".join(p for p in (structured, message) if p)
        if swish:
            channel = SWISH
        elif entry.get("BkTxCd/Domn/Fmly/Cd") == "CCRD":
            channel = CARD
        elif _autogiro(entry, t):
            channel = AUTOGIRO
        else:
            channel = BANKGIRO if self.ctx.bankgiro else TRANSFER
        instructed = detail.instructed if detail is not None else None
        raw = {
            "entry_ref": entry.get("AcctSvcrRef"),
            "tx_ref": t.get("Refs/AcctSvcrRef"),
            "clearing_ref": t.get("Refs/ClrSysRef"),
            "end_to_end_id": t.get("Refs/EndToEndId"),
            "bank_tx_code": first(entry, "BkTxCd/Prtry/Cd", "BkTxCd/Domn/Fmly/SubFmlyCd"),
            "reversal": entry.get("RvslInd"),
            "reverses": original if reversal else None,
            "batch": str(batch) if batch else None,
            "instructed_amount": str(instructed.decimal) if instructed else None,
            "instructed_currency": instructed.currency if instructed else None,
        }
        return BankLine(
            line_no=line_no,
            source_line=(detail.line if detail is not None else None) or self.entry_line,
            key=key,
            booking_date=self.booked,
            value_date=self.valued,
            amount=amount,
            channel=channel,
            account=self.ctx.account,
            reference=reference,
            message=message[:_MAX_MESSAGE] if message else None,
            payer_name=first(t, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm"),
            payer_account=first(
                t, f"RltdPties/{party}Acct/Id/IBAN", f"RltdPties/{party}Acct/Id/Othr/Id"
            ),
            raw=tuple((k, v) for k, v in raw.items() if v),
        )
