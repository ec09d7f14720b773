"""Reading Autogiro's 80-character records field by field, with the manual's 1-based positions.

Bankgirot's files are ISO-8859-1 with one 80-character record per line (CRLF or LF). A
``Record`` reads its fields by the positions the manual gives ("position 3-12, bankgiro
number"), so a layout in code reads like the manual's table; each field check that fails adds a
``ParseError`` naming file, line and field, in Swedish, and the reader goes on, so one run lists
every fault of a file.

``split_records`` cuts a file into records. ``lenient=True`` reads Bankgirot's published example
files, which are not what Bankgirot sends: they open with a title line, blank lines and once a
column ruler, and their records have trailing blanks cut (or a few blanks and tabs too many).
Lenient reading skips those lines and pads records to 80; every other check stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from ledger.money import Money
from webhooks.errors import ParseError

__all__ = ["RECORD", "Record", "decode", "split_records"]

RECORD = 80
# ISO-8859-1's printable characters: no C0 or C1 control characters. A UTF-8 file read as
# ISO-8859-1 shows here: its "Å" is "Ã" followed by the C1 character 0x85.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def decode(data: bytes) -> str:
    """Bankgirot's files are ISO-8859-1, which maps every byte; the record check below finds
    bytes that are no printable ISO-8859-1 character (a UTF-8 file, a stray control byte)."""
    return data.decode("iso-8859-1")


@dataclass
class Record:
    """One record: its 1-based line number in the file and its 80 characters."""

    filename: str
    line: int
    text: str
    errors: list[ParseError] = field(default_factory=list)
    # Published examples only (lenient reading): faults noted instead of refusing the file.
    deviations: list[ParseError] | None = None

    @property
    def code(self) -> str:
        return self.text[:2]

    def error(self, fieldname: str | None, message: str, *, line: int | None = None) -> None:
        """A fault of this record (or, with ``line``, of an earlier one its check concerns)."""
        where = self.line if line is None else line
        self.errors.append(ParseError(self.filename, where, fieldname, message))

    def raw(self, start: int, end: int) -> str:
        """Positions ``start``-``end`` as the manual counts them (1-based, both included)."""
        return self.text[start - 1 : end]

    def text_field(self, start: int, end: int) -> str:
        return self.raw(start, end).strip()

    def blank(self, start: int, end: int, fieldname: str = "reservfält") -> None:
        if self.raw(start, end).strip():
            self.error(
                f"{fieldname} (pos {start}-{end})",
                f"ska vara blankt, innehåller {self.raw(start, end).strip()!r}",
            )

    def digits(self, start: int, end: int, fieldname: str, *, optional: bool = False) -> str | None:
        """A number field as its digits (leading zeros kept), or None when blank and optional."""
        value = self.raw(start, end)
        if optional and not value.strip():
            return None
        if not (value.isdigit() and value.isascii()):
            self.error(fieldname, f"ska vara {end - start + 1} siffror, är {value!r}")
            return None
        return value

    def number(self, start: int, end: int, fieldname: str) -> int | None:
        value = self.digits(start, end, fieldname)
        return None if value is None else int(value)

    def amount(self, start: int, end: int, fieldname: str = "belopp") -> Money | None:
        """An amount in öre, as Bankgirot writes it: digits, no sign, no decimal point."""
        ore = self.number(start, end, fieldname)
        return None if ore is None else Money(ore, "SEK")

    def day(self, start: int, end: int, fieldname: str, *, optional: bool = False) -> date | None:
        value = self.raw(start, end)
        if optional and (not value.strip() or value == "0" * len(value)):
            return None
        try:
            return datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            message = f"är inget datum (ÅÅÅÅMMDD): {value!r}"
            if self.deviations is not None and value.isdigit():
                # Bankgirot's examples hold days such as 2008-06-31; the record is still read.
                self.deviations.append(ParseError(self.filename, self.line, fieldname, message))
            else:
                self.error(fieldname, message)
            return None

    def fixed(self, start: int, end: int, expected: str, fieldname: str) -> bool:
        found = self.raw(start, end)
        if found != expected.ljust(end - start + 1):
            self.error(fieldname, f"ska vara {expected!r}, är {found.rstrip()!r}")
            return False
        return True


def _lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the line break that ends the last record
    return lines


def _is_record(line: str) -> bool:
    """A line of a published example that is a record, not a title or ruler line."""
    return len(line) >= 2 and line[:2].isdigit()


def split_records(
    data: bytes, filename: str, *, lenient: bool = False
) -> tuple[list[Record], list[ParseError]]:
    """The file's records and the faults of the records themselves (length, characters)."""
    errors: list[ParseError] = []
    deviations: list[ParseError] | None = [] if lenient else None
    records: list[Record] = []
    started = False
    for number, line in enumerate(_lines(decode(data)), 1):
        if lenient:
            line = line.rstrip(" \t")
            if not started and not _is_record(line):
                continue  # title lines, blank lines and the ruler before the first record
            if not line:
                continue
            started = True
            line = line.ljust(RECORD)
        bad = _UNPRINTABLE.search(line)
        if bad:
            errors.append(
                ParseError(
                    filename,
                    number,
                    f"pos {bad.start() + 1}",
                    f"tecknet {bad.group()!r} är inget skrivbart ISO-8859-1-tecken",
                )
            )
            continue
        if len(line) != RECORD:
            errors.append(
                ParseError(filename, number, None, f"posten är {len(line)} tecken, inte {RECORD}")
            )
            continue
        records.append(Record(filename, number, line, errors, deviations))
    if not records and not errors:
        errors.append(ParseError(filename, None, None, "filen har inga poster"))
    return records, errors
