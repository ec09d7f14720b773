"""Which Autogiro file a file is, told from its first record, and ``parse_autogiro``, which
reads any of them whole or refuses it with every fault (file, line, field, in Swedish).

Files to Bankgirot open with ``01<date>AUTOGIRO``; Bankgirot's reports with ``01AUTOGIRO`` and
the report's name at position 45-64; the watch register with ``01<date>AUTOGIRO9900
BEVAKNINGSREG``; e-mandates with TK51 ``AG-EMEDGIV``; an extract of the mandate register has
no opening at all: its records start with the payee's 10-digit bankgiro number.
"""

from __future__ import annotations

from collections.abc import Callable

from webhooks.bankfiles.autogiro import mandates, reports, specification
from webhooks.bankfiles.autogiro.codes import FileKind
from webhooks.bankfiles.autogiro.fields import Record, decode, split_records
from webhooks.bankfiles.autogiro.records import AutogiroFile, Opening
from webhooks.bankfiles.autogiro.requests import is_request_opening, read_requests
from webhooks.bankfiles.records import ControlTotal
from webhooks.errors import BankFileInvalid, ParseError

__all__ = ["detect_autogiro", "parse_autogiro"]

_REPORTS = {
    specification.LAYOUT: FileKind.PAYMENT_SPECIFICATION,
    "AG-MEDAVI": FileKind.MANDATE_ADVICE,
    "AVVISADE BET UPPDR": FileKind.REJECTED_ORDERS,
    "MAKULERING/ÄNDRING": FileKind.AMENDMENTS,
}
Reader = Callable[[list[Record]], tuple[FileKind, Opening | None, list[object], list[ControlTotal]]]


def _kind_of_record(text: str) -> FileKind | None:
    if is_request_opening(text):
        return FileKind.REQUESTS
    if text.startswith("01") and text[10:35] == "AUTOGIRO9900BEVAKNINGSREG":
        return FileKind.WATCH_REGISTER
    if text.startswith("01AUTOGIRO"):
        return _REPORTS.get(text[44:64].rstrip())
    if text.startswith("51") and text[24:34] == "AG-EMEDGIV":
        return FileKind.E_MANDATES
    if len(text.rstrip()) >= 58 and text[:58].rstrip().isdigit() and text[:3] == "000":
        return FileKind.MANDATE_REGISTER
    return None


def detect_autogiro(data: bytes) -> FileKind | None:
    """The kind of an Autogiro file from its first non-blank line, or None if it is none.
    (Bankgirot's published examples, with their title lines, are told by ``parse_autogiro``
    with ``lenient=True``, not here.)"""
    for line in decode(data[:4096]).splitlines():
        if line.strip():
            return _kind_of_record(line.ljust(80))
    return None


def _read(
    kind: FileKind, records: list[Record]
) -> tuple[Opening | None, list[object], list[ControlTotal]]:
    if kind is FileKind.REQUESTS:
        _, opening, read = read_requests(records)
        return opening, read, []
    readers: dict[FileKind, Reader] = {
        FileKind.PAYMENT_SPECIFICATION: specification.read_specification,
        FileKind.MANDATE_ADVICE: mandates.read_mandate_advice,
        FileKind.E_MANDATES: mandates.read_e_mandates,
        FileKind.MANDATE_REGISTER: mandates.read_mandate_register,
        FileKind.REJECTED_ORDERS: reports.read_rejected_orders,
        FileKind.AMENDMENTS: reports.read_amendments,
        FileKind.WATCH_REGISTER: reports.read_watch_register,
    }
    _, opening, read, controls = readers[kind](records)
    return opening, read, controls


def parse_autogiro(data: bytes, filename: str, *, lenient: bool = False) -> AutogiroFile:
    """Every record of an Autogiro file with its totals checked, or ``BankFileInvalid`` listing
    every fault. ``lenient`` reads Bankgirot's published examples (title lines, cut blanks)."""
    records, errors = split_records(data, filename, lenient=lenient)
    if errors:
        raise BankFileInvalid(errors)
    kind = _kind_of_record(records[0].text)
    if kind is None:
        raise BankFileInvalid(
            [
                ParseError(
                    filename,
                    records[0].line,
                    "öppningspost",
                    "första posten är ingen Autogirofils öppningspost (TK01, TK51) "
                    "och inget utdrag ur medgivanderegistret",
                )
            ]
        )
    opening, read, controls = _read(kind, records)
    shared = records[0].errors  # every Record of one file appends to the same list
    if shared:
        raise BankFileInvalid(shared)
    deviations = tuple(records[0].deviations or ())
    return AutogiroFile(
        filename,
        kind,
        opening,
        tuple(read),
        tuple(controls),
        deviations,
    )
