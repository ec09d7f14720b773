"""ISO 20022 camt.054 (BankToCustomerDebitCreditNotification) and camt.053
(BankToCustomerStatement), versions 001.02 to 001.14, read as a stream.

``CamtReader`` walks the file with ``lxml.etree.iterparse``, yields the lines of each booked
entry (``Sts`` BOOK) as soon as the entry closes and clears it, so a file of a million payments
is read in bounded memory. Pending and information entries are counted in ``skipped``, not
booked. A camt.053 statement's opening balance plus its booked entries must equal its closing
balance.

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
from webhooks.bankfiles.camt_entry import EntryContext, flatten, read_entry, status
from webhooks.bankfiles.records import Balance, BankFile, BankLine, ControlTotal, ParsedFile
from webhooks.errors import BankFileInvalid, CamtEntryInvalid, ParseError

__all__ = ["NAMESPACE", "CamtReader", "parse_camt"]

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.05[34]\.001\.(0[2-9]|1[0-4]))$")
_CONTAINERS = {"camt.053": "Stmt", "camt.054": "Ntfctn"}
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
        self._file: BankFile | None = None
        self._reset_container()

    def _reset_container(self) -> None:
        self.context = EntryContext(self.ns, None, bankgiro=False)
        self.movement_ore = 0
        self.entries_seen = 0
        self.declared_entries: int | None = None
        self.opening: tuple[Money, date | None] | None = None
        self.closing: tuple[Money, date | None] | None = None

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
        events = etree.iterparse(
            self.source,
            events=("start", "end"),
            tag=[f"{{*}}{name}" for name in _TAGS],
            resolve_entities=False,
            no_network=True,
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
            self.error(exc.lineno, None, f"XML-filen är trasig: {exc.msg}")
        if self.format is None and self.error_count == 0:
            self.error(1, "Document", "filen innehåller inget camt-dokument")
        if self.error_count:
            if self.error_count > len(self.errors):
                self.errors.append(
                    ParseError(
                        self.filename,
                        None,
                        None,
                        f"och {self.error_count - len(self.errors)} fel till",
                    )
                )
            raise BankFileInvalid(self.errors)
        zero = Money.zero(self.currency or "SEK")
        self._file = BankFile(
            format=self.format or "camt",
            created_at=self.created_at,
            accounts=tuple(self.accounts),
            currency=self.currency or "SEK",
            period_start=self.first_day,
            period_end=self.last_day,
            balances=tuple(self.balances),
            controls=tuple(self.controls),
            line_count=self.line_count,
            credit_total=zero + Money(self.credit_ore, zero.currency),
            debit_total=zero + Money(self.debit_ore, zero.currency),
            skipped=self.skipped,
        )

    def _start_document(self, element: etree._Element) -> bool:
        qname = etree.QName(element)
        namespace = qname.namespace or ""
        match = NAMESPACE.match(namespace) if qname.localname == "Document" else None
        if match is None:
            self.error(
                element.sourceline,
                "Document",
                f"okänt format (namnrymd {namespace!r}): väntade camt.053 eller camt.054, "
                "version 001.02 till 001.14",
            )
            return False
        self.format = match.group(1)
        self.ns = namespace
        self._reset_container()
        return True

    def _entry(self, entry: etree._Element) -> Iterator[BankLine]:
        self.entries_seen += 1
        fields = flatten(entry, skip="NtryDtls")
        if status(fields) != "BOOK":
            self.skipped += 1
            return
        try:
            lines = read_entry(entry, fields, self.context, self.line_count + 1)
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
            count = self._text(element, "TtlNtries/NbOfNtries")
            if count is not None and count.isdigit():
                self.declared_entries = int(count)
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
        if currency and self.currency is None:
            self.currency = currency

    def _balance(self, element: etree._Element) -> None:
        kind = self._text(element, "Tp/CdOrPrtry/Cd")
        if kind not in ("OPBD", "PRCD", "CLBD"):
            return
        amount_el = element.find(f"{{{self.ns}}}Amt")
        try:
            amount = _balance_amount(amount_el, self._text(element, "CdtDbtInd"))
        except ValueError as exc:
            self.error(element.sourceline, f"Bal/{kind}", str(exc))
            return
        day = self._text(element, "Dt/Dt") or self._text(element, "Dt/DtTm")
        when = date.fromisoformat(day[:10]) if day else None
        if kind == "CLBD":
            self.closing = (amount, when)
        elif self.opening is None or kind == "OPBD":
            self.opening = (amount, when)

    def _end_container(self, element: etree._Element) -> None:
        account = self.context.account or "?"
        if self.declared_entries is not None:
            self.controls.append(
                ControlTotal(f"{account}: antal poster", self.declared_entries, self.entries_seen)
            )
            if self.declared_entries != self.entries_seen:
                self.error(
                    element.sourceline,
                    "TxsSummry/TtlNtries/NbOfNtries",
                    f"filen säger {self.declared_entries} poster, har {self.entries_seen}",
                )
        if self.opening is not None and self.closing is not None:
            (opening, opened), (closing, closed) = self.opening, self.closing
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
        elif self.format is not None and self.format.startswith("camt.053"):
            self.error(
                element.sourceline, "Bal", "kontoutdraget saknar ingående eller utgående saldo"
            )
        self._reset_container()


def _balance_amount(element: etree._Element | None, indicator: str | None) -> Money:
    if element is None or not element.text or not re.match(r"^\d+(\.\d+)?$", element.text.strip()):
        raise ValueError("saldots belopp saknas eller är felaktigt")
    amount = Money.kr(element.text.strip(), element.get("Ccy") or "SEK")
    return -amount if indicator == "DBIT" else amount


def parse_camt(source: bytes | BinaryIO, filename: str = "camt.xml") -> ParsedFile:
    """Every booked line of a camt.053/054 file, or ``BankFileInvalid`` listing every fault."""
    reader = CamtReader(source, filename)
    lines = tuple(reader)
    return ParsedFile(file=reader.file, lines=lines)
