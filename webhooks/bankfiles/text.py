"""Text in bank files: bytes to str (UTF-8 where it is, else ISO-8859-1), a line reader fed
the whole text, and telling a structured OCR reference from free text.

Bankgirot's and the banks' flat files are ISO-8859-1, but files pass through hands that
re-encode them (one of Bankgirot's own BgMax examples is UTF-8), so the encoding is read from the
bytes, not assumed: a file that decodes as strict UTF-8 is UTF-8 (ISO-8859-1 text with any
letter outside ASCII is almost never valid UTF-8), anything else is ISO-8859-1.
"""

from __future__ import annotations

from typing import Protocol

from stdnum import luhn
from stdnum.exceptions import ValidationError

from webhooks.bankfiles.records import BankLine
from webhooks.errors import BankFileInvalid, ParseError

__all__ = ["LineReader", "decode", "ocr_reference", "read_lines"]


def decode(data: bytes) -> str:
    """The file's text, with a UTF-8 byte-order mark dropped."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # ISO-8859-1 maps every byte, so this cannot fail: a wrong guess shows as odd letters
        # in names, never as a changed amount or reference (those are ASCII digits).
        return data.decode("iso-8859-1")


class LineReader(Protocol):
    """A flat file's reader: it reads the whole text, keeping every fault it finds."""

    errors: list[ParseError]
    lines: list[BankLine]

    def read(self, text: str) -> None: ...


def read_lines(reader: LineReader, data: bytes) -> tuple[BankLine, ...]:
    """The lines ``reader`` finds in the file, or ``BankFileInvalid`` listing every fault."""
    reader.read(decode(data))
    if reader.errors:
        raise BankFileInvalid(reader.errors)
    return tuple(reader.lines)


def ocr_reference(text: str | None) -> str | None:
    """``text`` as an OCR reference (digits passing the mod-10 check), or None when it is free
    text. Spaces inside are not dropped: ``657866 658765 657767`` is three references (Bankgirot
    lists them again one by one), and joined they may pass the check by chance.

    Bankgirot's length digit is the second to last digit; it is not checked here, because
    whether a reference carries one is the receiver's agreement, not a property of the number.
    """
    if text is None:
        return None
    digits = text.strip()
    if len(digits) < 2 or len(digits) > 25 or not digits.isdigit():
        return None
    try:
        luhn.validate(digits)
    except ValidationError:
        return None
    return digits
