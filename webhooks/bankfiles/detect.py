"""Which bank-file format a file is, told from its content, and the one entry point that parses
any of them: ``parse(data, filename, format=None)``.

camt files are told by their ISO 20022 namespace (a camt.052 intraday report too, so that the
camt reader can say what it is and why it is refused), BgMax by its start record ``01BGMAX``, the
Swish report by its start record ``01,`` or ``01;``. The file name is only used in messages.
"""

from __future__ import annotations

import re

from webhooks.bankfiles import bgmax, camt, swish_report
from webhooks.bankfiles.records import ParsedFile
from webhooks.errors import BankFileInvalid, ParseError

__all__ = ["FORMATS", "detect", "parse"]

FORMATS = ("camt.053", "camt.054", bgmax.FORMAT, swish_report.FORMAT)
_HEAD = 4096  # the namespace sits on the root element, within the first few lines
_CAMT = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:(camt\.05[234])\.001\.\d\d")
_BOM = b"\xef\xbb\xbf"


def detect(data: bytes) -> str | None:
    """``"camt.053"``, ``"camt.054"``, ``"bgmax"``, ``"swish-report"``, or None if unknown;
    ``"camt.052"`` for an intraday report, which ``parse`` refuses with its reason."""
    head = data[:_HEAD].removeprefix(_BOM).lstrip()
    if head.startswith(b"<"):
        match = _CAMT.search(head)
        return match.group(1).decode("ascii") if match else None
    if head.startswith(b"01BGMAX"):
        return bgmax.FORMAT
    if head[:3] in (b"01,", b"01;"):
        return swish_report.FORMAT
    return None


def parse(data: bytes, filename: str, format: str | None = None) -> ParsedFile:
    """Parse any supported bank file; ``format`` forces one of ``FORMATS`` (``kassan import
    --format``). Raises ``BankFileInvalid`` naming file, line and field of every fault.
    """
    kind = format or detect(data)
    if kind in ("camt.052", "camt.053", "camt.054"):
        return camt.parse_camt(data, filename)
    if kind == bgmax.FORMAT:
        return bgmax.parse_bgmax(data, filename)
    if kind == swish_report.FORMAT:
        return swish_report.parse_swish_report(data, filename)
    if format is not None:
        message = f"okänt filformat {format!r}; välj ett av {', '.join(FORMATS)}"
    else:
        message = "filformatet känns inte igen (varken camt.053/054, BgMax eller Swish-rapport)"
    raise BankFileInvalid([ParseError(filename, 1, "format", message)])
