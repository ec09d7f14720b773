"""CSV that a spreadsheet opens as data, never as formulas (OWASP's CSV injection rule).

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``): such a
cell gets a leading ``'``, which the spreadsheet shows as text. A plain number (``-1234,50``) is
left alone: it cannot run anything, and a column of amounts must stay numbers. Every CSV Kassan
writes goes through ``write_csv``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

__all__ = ["neutralise", "write_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(?:[,.]\d+)?")


def neutralise(cell: str) -> str:
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def write_csv(rows: Iterable[Sequence[str]]) -> bytes:
    """Swedish spreadsheet CSV: ``;`` between cells, CRLF, UTF-8 with a byte-order mark."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
