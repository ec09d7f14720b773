"""Writing a fiscal year as SIE 4 (type 4) for the bookkeeping program, streamed to a file.

The file follows the SIE 4B description: CP437 text (``#FORMAT PC8``), CR LF line ends,
fields separated by spaces, texts quoted with ``\\"`` for a quote inside them, amounts with
a decimal point, debit positive and credit negative. Each network is an object in the
standard dimension 6 (Projekt) and rides on every #TRANS row booked to it. Vouchers are
read from the database in chunks and written as they come, so a year of millions of lines
never sits in memory; each is checked to balance before it is written, and the first one
that does not stops the export (the caller then throws the partial file away).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from typing import BinaryIO, NamedTuple

from sqlalchemy import Connection, func, select

from ledger.chart import AccountType
from ledger.db import tables as t
from reports.errors import SieExportRefused
from reports.sie.model import CARRIED_RESULT_ACCOUNT, is_balance_account, kr, kronor

PROJECT_DIMENSION = "6"  # SIE's reserved dimension for projects
_YIELD = 5_000  # rows fetched per round trip while streaming vouchers
_PROGRESS_EVERY = 1_000

_KTYP = {
    AccountType.ASSET.value: "T",
    AccountType.LIABILITY.value: "S",
    AccountType.EQUITY.value: "S",
    AccountType.EXPENSE.value: "K",
    AccountType.INCOME.value: "I",
}


class VoucherRow(NamedTuple):
    """One journal line with what the #VER above it needs (rows come grouped by entry)."""

    entry_id: int
    series: str
    number: int
    date: date
    text: str
    account: str
    debit_ore: int
    credit_ore: int
    currency: str
    network_id: int | None


@dataclass(frozen=True, slots=True)
class SieExportSummary:
    year: int
    vouchers: int
    lines: int


def quote(value: str) -> str:
    """A SIE text field: quoted, quotes and backslashes escaped, no control characters."""
    clean = "".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in value)
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sie_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def _program_version() -> str:
    try:
        return version("kassan")
    except PackageNotFoundError:
        return "0"


def _years(conn: Connection, year: int) -> dict[int, tuple[date, date]]:
    fy = t.fiscal_years.c
    known = {
        r.year: (r.start_date, r.end_date)
        for r in conn.execute(
            select(fy.year, fy.start_date, fy.end_date).where(fy.year.in_([year, year - 1]))
        )
    }
    return {
        offset: known.get(year + offset, (date(year + offset, 1, 1), date(year + offset, 12, 31)))
        for offset in (0, -1)
    }


def _year_totals(conn: Connection, year: int) -> dict[str, dict[int, int]]:
    """Debit minus credit per account and fiscal year, for every year up to ``year``."""
    b = t.account_balances.c
    rows = conn.execute(
        select(b.account, b.fiscal_year, func.sum(b.debit_ore - b.credit_ore))
        .where(b.currency == "SEK", b.fiscal_year <= year)
        .group_by(b.account, b.fiscal_year)
    )
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for account, fiscal_year, net in rows:
        out[account][fiscal_year] = int(net)
    return out


def balance_records(conn: Connection, year: int) -> list[str]:
    """#IB and #UB (balance accounts) and #RES (result accounts) for the year and the one
    before, from the kept aggregates; earlier years' results are carried to equity."""
    totals = _year_totals(conn, year)
    out: list[str] = []
    for offset in (0, -1):
        y = year + offset
        carried = sum(
            net
            for account, per_year in totals.items()
            if not is_balance_account(account)
            for fy, net in per_year.items()
            if fy < y
        )
        opening: dict[str, int] = {}
        closing: dict[str, int] = {}
        for account, per_year in totals.items():
            if is_balance_account(account):
                opening[account] = sum(net for fy, net in per_year.items() if fy < y)
                closing[account] = opening[account] + per_year.get(y, 0)
        if carried:
            opening[CARRIED_RESULT_ACCOUNT] = opening.get(CARRIED_RESULT_ACCOUNT, 0) + carried
            closing[CARRIED_RESULT_ACCOUNT] = closing.get(CARRIED_RESULT_ACCOUNT, 0) + carried
        for account in sorted(opening):
            if opening[account] or closing[account]:
                out.append(f"#IB {offset} {account} {kronor(opening[account])}")
                out.append(f"#UB {offset} {account} {kronor(closing[account])}")
        for account, per_year in sorted(totals.items()):
            if not is_balance_account(account) and per_year.get(y, 0):
                out.append(f"#RES {offset} {account} {kronor(per_year[y])}")
    return out


def voucher_rows(conn: Connection, year: int) -> Iterator[VoucherRow]:
    """The year's lines in voucher order, fetched a chunk at a time."""
    e, ln = t.journal_entries.c, t.journal_lines.c
    query = (
        select(
            e.id,
            e.series,
            e.number,
            e.date,
            e.text,
            ln.account,
            ln.debit_ore,
            ln.credit_ore,
            ln.currency,
            ln.network_id,
        )
        .join(t.journal_lines, ln.entry_id == e.id)
        .where(e.fiscal_year == year)
        .order_by(e.series, e.number, ln.line_no)
    )
    result = conn.execution_options(yield_per=_YIELD).execute(query)
    for row in result:
        yield VoucherRow._make(row)


def voucher_records(
    rows: Iterable[VoucherRow],
    slugs: dict[int, str],
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """#VER blocks from rows grouped by entry; refuses a voucher that does not balance."""
    current: list[VoucherRow] = []
    done = 0

    def block(lines: list[VoucherRow]) -> Iterator[str]:
        head = lines[0]
        name = f"{head.series}{head.number} ({head.date.isoformat()})"
        diff = 0
        out = [
            f"#VER {quote(head.series)} {head.number} {_sie_date(head.date)} {quote(head.text)}",
            "{",
        ]
        for r in lines:
            if r.currency != "SEK":
                raise SieExportRefused(
                    f"verifikation {name} har belopp i {r.currency}; SIE-filen förs i SEK",
                    "currency",
                )
            amount = r.debit_ore - r.credit_ore
            diff += amount
            objects = (
                f"{{{PROJECT_DIMENSION} {quote(slugs[r.network_id])}}}"
                if r.network_id is not None
                else "{}"
            )
            out.append(f"#TRANS {r.account} {objects} {kronor(amount)}")
        if diff:
            raise SieExportRefused(
                f"verifikation {name} balanserar inte (skillnad {kr(diff)}); ingen SIE-fil skrevs",
                "lines",
            )
        out.append("}")
        yield from out

    for row in rows:
        if current and row.entry_id != current[0].entry_id:
            yield from block(current)
            current = []
            done += 1
            if progress is not None and done % _PROGRESS_EVERY == 0:
                progress(done)
        current.append(row)
    if current:
        yield from block(current)
        done += 1
    if progress is not None:
        progress(done)


def count_vouchers(conn: Connection, year: int) -> int:
    e = t.journal_entries.c
    return conn.scalar(select(func.count()).where(e.fiscal_year == year)) or 0


def write_sie(
    conn: Connection,
    year: int,
    out: BinaryIO,
    *,
    org_name: str,
    org_number: str,
    generated: date,
    progress: Callable[[int], None] | None = None,
) -> SieExportSummary:
    """Write the fiscal year ``year`` as SIE 4 to ``out``; returns what was written."""
    counts = {"vouchers": 0, "lines": 0}

    def emit(line: str) -> None:
        # CP437 has no "€" or "ł": such letters become "?" rather than break the file.
        out.write(line.encode("cp437", errors="replace") + b"\r\n")

    years = _years(conn, year)
    header = [
        "#FLAGGA 0",
        f"#PROGRAM {quote('Kassan')} {quote(_program_version())}",
        "#FORMAT PC8",
        f"#GEN {_sie_date(generated)}",
        "#SIETYP 4",
    ]
    if org_number:
        header.append(f"#ORGNR {quote(org_number)}")
    header += [
        f"#FNAMN {quote(org_name)}",
        *(f"#RAR {o} {_sie_date(s)} {_sie_date(e)}" for o, (s, e) in sorted(years.items())[::-1]),
        "#KPTYP BAS2014",
        "#VALUTA SEK",
    ]
    for line in header:
        emit(line)
    a = t.accounts.c
    for code, name, kind in conn.execute(select(a.code, a.name, a.type).order_by(a.code)):
        emit(f"#KONTO {code} {quote(name)}")
        emit(f"#KTYP {code} {_KTYP[kind]}")
    n = t.networks.c
    networks = list(conn.execute(select(n.id, n.slug, n.name).order_by(n.slug)))
    emit(f"#DIM {PROJECT_DIMENSION} {quote('Projekt')}")
    for _, slug, name in networks:
        emit(f"#OBJEKT {PROJECT_DIMENSION} {quote(slug)} {quote(name)}")
    for line in balance_records(conn, year):
        emit(line)
    slugs = {nid: slug for nid, slug, _ in networks}
    for line in voucher_records(voucher_rows(conn, year), slugs, progress):
        if line.startswith("#VER"):
            counts["vouchers"] += 1
        elif line.startswith("#TRANS"):
            counts["lines"] += 1
        emit(line)
    return SieExportSummary(year, counts["vouchers"], counts["lines"])
