"""The Autogiro files Kassan keeps that name one contributor: the files to and from Bankgirot,
stored whole (``autogiro_files``), hold payer numbers and, in mandate files, e-mandates and
register extracts, personnummer and bank account numbers in clear.

They are kept as they came and went, as the bank files are: they are the underlying records
of the Autogiro entries (räkenskapsinformation, Bokföringslagen 7 kap. 2 §), kept until the
end of the seventh year after the fiscal year they fall in. Erasure therefore leaves them, and
says so and until when; the export lists each file and the records in it that name the person.

A file names the person when one of its records carries a payer number of their mandates, as
the parser reads it; a stored file the parser cannot read (none should be: every file is read
back before it is kept) names them when a line holds the payer number padded to 16 digits, so
that a doubt lists a file rather than hides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.db import tables as t
from webhooks.bankfiles.autogiro import parse_autogiro
from webhooks.errors import BankFileInvalid

__all__ = ["HeldFile", "held_files", "listed"]

RETENTION_YEARS = 7
_ENCODING = "iso-8859-1"


@dataclass(frozen=True, slots=True)
class HeldFile:
    """One kept Autogiro file that names the person, and the records in it that do."""

    id: int
    direction: str  # "out" to Bankgirot, "in" from it
    kind: str
    filename: str
    created_at: str
    sha256: str
    records: tuple[tuple[int, str], ...]  # (line, the record as the file holds it)
    kept_until: date


def held_files(conn: Connection, contributor_id: int) -> list[HeldFile]:
    """The kept Autogiro files that name contributor ``contributor_id``, oldest first."""
    m, f = t.autogiro_mandates.c, t.autogiro_files.c
    payers = {
        int(p)
        for p in conn.scalars(select(m.payer_number).where(m.contributor_id == contributor_id))
    }
    if not payers:
        return []
    out = []
    for row in conn.execute(select(t.autogiro_files).order_by(f.created_at, f.id)):
        content = bytes(row.content)
        lines = _naming(content, row.filename, payers)
        if not lines:
            continue
        text = content.decode(_ENCODING).splitlines()
        day = row.created_at.date()
        out.append(
            HeldFile(
                int(row.id),
                row.direction,
                row.kind,
                row.filename,
                row.created_at.isoformat(),
                row.sha256,
                tuple((n, text[n - 1].rstrip()) for n in lines if 0 < n <= len(text)),
                _kept_until(conn, day),
            )
        )
    return out


def listed(files: list[HeldFile]) -> list[dict[str, Any]]:
    """The files as JSON-ready data for the export."""
    return [
        {
            "id": x.id,
            "direction": x.direction,
            "kind": x.kind,
            "filename": x.filename,
            "created_at": x.created_at,
            "sha256": x.sha256,
            "records": [{"line": n, "text": s} for n, s in x.records],
            "kept_until": x.kept_until.isoformat(),
        }
        for x in files
    ]


def _naming(content: bytes, filename: str, payers: set[int]) -> list[int]:
    """The lines of the file whose records carry one of ``payers``."""
    try:
        parsed = parse_autogiro(content, filename, lenient=True)
    except BankFileInvalid:
        padded = {f"{p:016d}" for p in payers}
        return [
            n
            for n, line in enumerate(content.decode(_ENCODING).splitlines(), 1)
            if any(p in line for p in padded)
        ]
    found = []
    for record in parsed.records:
        number = getattr(record, "payer_number", None)
        if number and str(number).isdigit() and int(number) in payers:
            found.append(int(record.line))  # type: ignore[attr-defined]
    return found


def _kept_until(conn: Connection, day: date) -> date:
    """The end of the seventh calendar year after the fiscal year ``day`` falls in (a calendar
    year when no fiscal year holds it)."""
    fy = t.fiscal_years.c
    end = conn.scalar(select(func.max(fy.end_date)).where(fy.start_date <= day, fy.end_date >= day))
    return date((end or day).year + RETENTION_YEARS, 12, 31)
