"""ISO 20022 camt.054 (BankToCustomerDebitCreditNotification) and camt.053
(BankToCustomerStatement), versions 001.02 to 001.14, read as a stream.

``CamtReader`` walks the file with ``lxml.etree.iterparse``, yields the lines of each booked
entry (``Sts`` BOOK) as soon as the entry closes and clears it, so a file of a million payments
is read in bounded memory. Pending and information entries are counted in ``skipped``, not
booked.

What is refused, each with one message naming file, line and field:

* XML with a document type declaration (DTD) or an entity: bank files have none, and they are
  how an XML file reads local files or fills the memory (issue 12); entities are never resolved,
  no DTD is loaded, nothing is fetched from the network;
* a camt.052: an intraday report of movements, not a statement of what was booked;
* a camt.053 without a statement (``Stmt``), a camt.054 without a notification (``Ntfctn``);
* an account held in another currency than SEK (foreign-currency accounts are not supported yet;
  the books are kept in kronor);
* a summary (``TxsSummry``) that disagrees with the entries read, and a statement whose opening
  balance plus its booked entries is not its closing balance (checked only when every entry
  could be read, so a bad entry gives one message, not a second misleading one about balances).

The file is refused whole: the iterator collects every fault and raises ``BankFileInvalid`` once
the file has been read to its end. An importer therefore writes the yielded lines inside one
transaction and commits only when the iteration ends without that error. ``parse_camt`` reads
a whole file into a ``ParsedFile``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import BinaryIO

from lxml import etree

from ledger.money import Money
from webhooks.bankfiles.camt_document import (
    DOCTYPE_FAULT,
    HEAD_BYTES,
    NAMESPACE,
    Replayed,
    declares_doctype,
    document_format,
    syntax_fault,
)
from webhooks.bankfiles.camt_entry import EntryContext, read_entry
from webhooks.bankfiles.camt_fields import Fields, flatten, status
from webhooks.bankfiles.camt_keys import FileKeys
from webhooks.bankfiles.camt_totals import Tally
from webhooks.bankfiles.records import Balance, BankFile, BankLine, ControlTotal, ParsedFile
from webhooks.errors import BankFileInvalid, CamtEntryInvalid, ParseError

__all__ = ["NAMESPACE", "CamtReader", "parse_camt"]

BOOKS_CURRENCY = "SEK"
_CONTAINERS = {"camt.053": "Stmt", "camt.054": "Ntfctn"}
_CONTAINER_NAMES = {"Stmt": "kontoutdrag (Stmt)", "Ntfctn": "avisering (Ntfctn)"}
_TAGS = ("Document", "GrpHdr", "Acct", "Bal", "TxsSummry", "Ntry", "Stmt", "Ntfctn")
_MAX_ERRORS = 1000  # kept in memory; past this only counted, so a broken huge file stays small


class CamtReader:
    """Iterate over the bank lines of one camt file; ``file`` holds its summary afterwards."""

    def __init__(self, source: bytes | BinaryIO, filename: str = "camt.xml") -> None:
        self.source: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source
        self.filename = filename
        self.errors: list[ParseError] = []
        self.error_count = 0
        self.format: str | None = None
        self.ns = ""
        self.created_at: datetime | None = None
        self.accounts: list[str] = []
        self.currency: str | None = None
        self.balances: list[Balance] = []
        self.controls: list[ControlTotal] = []
        self.first_day: date | None = None
        self.last_day: date | None = None
        self.line_count = 0
        self.credit_ore = 0
        self.debit_ore = 0
        self.skipped = 0
        self.containers = 0
        self.foreign_accounts: set[str | None] = set()
        self.keys = FileKeys()
        self._file: BankFile | None = None
        self._reset_container()

    def _reset_container(self) -> None:
        self.context = EntryContext(self.ns, None, bankgiro=False)
        self.movement_ore = 0
        self.tally = Tally()
        self.summary: Fields | None = None
        self.opening: tuple[Money, date | None] | None = None
        self.closing: tuple[Money, date | None] | None = None
        self.errors_before = self.error_count
        self.foreign: str | None = None  # the account's currency when it is not SEK

    @property
    def file(self) -> BankFile:
        if self._file is None:
            raise RuntimeError("the file summary exists once the whole file has been read")
        return self._file

    def error(self, line: int | None, field: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < _MAX_ERRORS:
            self.errors.append(ParseError(self.filename, line, field, message))

    def __iter__(self) -> Iterator[BankLine]:
        etree.clear_error_log()  # the log is the thread's: only this file's errors belong in it
        head = self.source.read(HEAD_BYTES)
        if declares_doctype(head):
            self.error(*DOCTYPE_FAULT)
            self._raise_errors()
        events = etree.iterparse(
            Replayed(head, self.source),
            events=("start", "end"),
            tag=[f"{{*}}{name}" for name in _TAGS],
            load_dtd=False,
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
        )
        try:
            for event, element in events:
                if event == "start":
                    # Only the root's start matters: it names the format and version.
                    if self.format is None and not self._start_document(element):
                        break
                    continue
                tag = element.tag
                name = tag[tag.find("}") + 1 :]
                if name == "Ntry":
                    yield from self._entry(element)
                else:
                    self._end(name, element)
                if name in ("Ntry", "Stmt", "Ntfctn", "GrpHdr"):
                    # Free what has been read: the element and the siblings before it.
                    element.clear(keep_tail=False)
                    while element.getprevious() is not None:
                        del element.getparent()[0]
        except etree.XMLSyntaxError as exc:
            self.error(*syntax_fault(exc))
        if self.format is None and self.error_count == 0:
            self.error(1, "Document", "filen innehåller inget camt-dokument")
        elif self.format is not None and self.containers == 0 and self.error_count == 0:
            container = _CONTAINERS[self.format[:8]]
            self.error(
                None,
                container,
                f"filen är en {self.format[:8]} utan något {_CONTAINER_NAMES[container]}: "
                "det finns inget att läsa in, och en tom fil ska inte se ut som en tom dag",
            )
        self._raise_errors()
        zero = Money.zero(self.currency or BOOKS_CURRENCY)
        self._file = BankFile(
            format=self.format or "camt",
            created_at=self.created_at,
            accounts=tuple(self.accounts),
            currency=self.currency or BOOKS_CURRENCY,
            period_start=self.first_day,
            period_end=self.last_day,
            balances=tuple(self.balances),
            controls=tuple(self.controls),
            line_count=self.line_count,
            credit_total=zero + Money(self.credit_ore, zero.currency),
            debit_total=zero + Money(self.debit_ore, zero.currency),
            skipped=self.skipped,
        )

    def _raise_errors(self) -> None:
        if not self.error_count:
            return
        if self.error_count > len(self.errors):
            more = self.error_count - len(self.errors)
            self.errors.append(ParseError(self.filename, None, None, f"och {more} fel till"))
        raise BankFileInvalid(self.errors)

    def _start_document(self, root: etree._Element) -> bool:
        found = document_format(root)
        if len(found) == 3:
            self.error(*found)
            return False
        self.format, self.ns = found
        self._reset_container()
        return True

    def _entry(self, entry: etree._Element) -> Iterator[BankLine]:
        fields = flatten(entry, skip="NtryDtls")
        booked = status(fields) == "BOOK"
        self.tally.add(fields, booked)
        currency = fields.get("Amt@Ccy") or BOOKS_CURRENCY
        if currency != BOOKS_CURRENCY:
            self._foreign(entry.sourceline, "Ntry/Amt", currency)
        if self.foreign is not None:
            return
        if not booked:
            self.skipped += 1
            return
        try:
            lines = read_entry(entry, fields, self.context, self.line_count + 1, self.keys)
        except CamtEntryInvalid as fault:
            self.error(fault.line or entry.sourceline, fault.field, fault.message)
            return
        for line in lines:
            self.line_count += 1
            self.movement_ore += line.amount.ore
            if line.amount.ore > 0:
                self.credit_ore += line.amount.ore
            else:
                self.debit_ore += line.amount.ore
            if self.currency is None:
                self.currency = line.amount.currency
            day = line.booking_date
            self.first_day = day if self.first_day is None else min(self.first_day, day)
            self.last_day = day if self.last_day is None else max(self.last_day, day)
            if self.error_count == 0:
                yield line

    def _foreign(self, line: int | None, field: str, currency: str) -> None:
        """Refuse the account, once per file: its money is not in kronor."""
        if self.foreign is not None:
            return
        self.foreign = currency
        if self.context.account in self.foreign_accounts:
            return
        self.foreign_accounts.add(self.context.account)
        self.error(
            line,
            field,
            f"kontot {self.context.account or '(utan nummer)'} förs i {currency or '?'}, inte "
            "i kronor (SEK): Kassans bokföring är i kronor och konton i annan valuta stöds inte "
            "ännu, så inget från filen bokförs",
        )

    def _end(self, name: str, element: etree._Element) -> None:
        parent = element.getparent()
        parent_name = etree.QName(parent).localname if parent is not None else ""
        if name == "GrpHdr":
            stamp = self._text(element, "CreDtTm")
            try:
                self.created_at = datetime.fromisoformat(stamp) if stamp else None
            except ValueError:
                self.error(element.sourceline, "CreDtTm", f"CreDtTm är ingen tidpunkt: {stamp!r}")
        elif name == "Acct" and parent_name in _CONTAINERS.values():
            self._account(element)
        elif name == "Bal" and parent_name == "Stmt":
            self._balance(element)
        elif name == "TxsSummry" and parent_name in _CONTAINERS.values():
            self.summary = flatten(element)
            self.summary_line = element.sourceline
        elif name in _CONTAINERS.values():
            self._end_container(element)

    def _text(self, element: etree._Element, path: str) -> str | None:
        found = element.find("/".join(f"{{{self.ns}}}{step}" for step in path.split("/")))
        if found is None or not found.text or not found.text.strip():
            return None
        return str(found.text.strip())

    def _account(self, element: etree._Element) -> None:
        account = self._text(element, "Id/IBAN") or self._text(element, "Id/Othr/Id")
        scheme = self._text(element, "Id/Othr/SchmeNm/Prtry") or ""
        self.context = EntryContext(self.ns, account, bankgiro=scheme.upper() == "BGNR")
        if account is not None and account not in self.accounts:
            self.accounts.append(account)
        currency = self._text(element, "Ccy")
        if currency and currency != BOOKS_CURRENCY:
            self._foreign(element.sourceline, "Acct/Ccy", currency)
        if currency and self.currency is None:
            self.currency = currency

    def _balance(self, element: etree._Element) -> None:
        kind = self._text(element, "Tp/CdOrPrtry/Cd")
        if kind not in ("OPBD", "PRCD", "CLBD"):
            return
        amount_el = element.find(f"{{{self.ns}}}Amt")
        currency = amount_el.get("Ccy") if amount_el is not None else None
        if currency and currency != BOOKS_CURRENCY:
            self._foreign(element.sourceline, f"Bal/{kind}", currency)
            return
        try:
            amount = _balance_amount(amount_el, self._text(element, "CdtDbtInd"))
        except ValueError as exc:
            self.error(element.sourceline, f"Bal/{kind}", str(exc))
            return
        day = self._text(element, "Dt/Dt") or self._text(element, "Dt/DtTm")
        try:
            when = date.fromisoformat(day[:10]) if day else None
        except ValueError:
            self.error(element.sourceline, f"Bal/{kind}/Dt", f"saldots dag är inget datum: {day!r}")
            return
        if kind == "CLBD":
            self.closing = (amount, when)
        elif self.opening is None or kind == "OPBD":
            self.opening = (amount, when)

    def _end_container(self, element: etree._Element) -> None:
        self.containers += 1
        account = self.context.account or "?"
        if self.foreign is not None or self.error_count > self.errors_before:
            # The container's totals cannot agree with entries that could not be read: a second
            # message about them would only mislead.
            self._reset_container()
            return
        if self.summary is not None:
            controls, faults = self.tally.check_summary(self.summary, account)
            self.controls.extend(controls)
            for field, message in faults:
                self.error(self.summary_line, field, message)
        if self.opening is not None and self.closing is not None:
            self._check_balance(element, account, self.opening, self.closing)
        elif self.format is not None and self.format.startswith("camt.053"):
            self.error(
                element.sourceline,
                "Bal",
                "kontoutdraget saknar ingående (OPBD/PRCD) eller utgående (CLBD) saldo, så det "
                "går inte att se att posterna stämmer mot banken",
            )
        self._reset_container()

    def _check_balance(
        self,
        element: etree._Element,
        account: str,
        opening_at: tuple[Money, date | None],
        closing_at: tuple[Money, date | None],
    ) -> None:
        (opening, opened), (closing, closed) = opening_at, closing_at
        computed = opening.ore + self.movement_ore
        self.balances.append(Balance(account, opening, closing, opened, closed))
        self.controls.append(
            ControlTotal(f"{account}: utgående saldo (öre)", closing.ore, computed)
        )
        if computed != closing.ore:
            self.error(
                element.sourceline,
                "Bal/CLBD",
                f"ingående saldo {opening.decimal} + bokförda poster "
                f"{Money(self.movement_ore, opening.currency).decimal} ger "
                f"{Money(computed, opening.currency).decimal}, men utgående saldo "
                f"är {closing.decimal}",
            )


def _balance_amount(element: etree._Element | None, indicator: str | None) -> Money:
    if element is None or not element.text or not re.match(r"^\d+(\.\d+)?$", element.text.strip()):
        raise ValueError("saldots belopp saknas eller är felaktigt")
    amount = Money.kr(element.text.strip(), element.get("Ccy") or BOOKS_CURRENCY)
    return -amount if indicator == "DBIT" else amount


def parse_camt(source: bytes | BinaryIO, filename: str = "camt.xml") -> ParsedFile:
    """Every booked line of a camt.053/054 file, or ``BankFileInvalid`` listing every fault."""
    reader = CamtReader(source, filename)
    lines = tuple(reader)
    return ParsedFile(file=reader.file, lines=lines)
