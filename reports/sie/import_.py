"""Importing a SIE 4 file: the chart of accounts and the opening balances it carries.

Only a file of this organisation is read: its ``#ORGNR`` must be ours
(``KASSAN_ORGANISATION_NUMBER``, compared through ``ledger.organisation``). Everything is
checked before anything is written: the file's own problems (a voucher that does not balance,
a field that cannot be read), the opening balances (#IB 0) against the chart, and their sum,
and that the books hold no opening balances for that year yet (no stacking of two files'
balances, nor of a file's on the balances the ledger itself carries into the year). Then, in
the caller's transaction, the accounts Kassan lacks are added (ours are left as they are) and
the opening balances are booked as one entry in series M through ``ledger.services.posting``,
under a source key naming the organisation and year, so importing the same file twice books
nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select, text

from ledger import organisation
from ledger.chart import NORMAL_SIDE, AccountType
from ledger.db import tables as t
from ledger.entries import MAX_ORE, Draft, LineDraft, PostedLine
from ledger.services import journal, posting
from reports.errors import SieImportInvalid
from reports.sie.model import (
    CARRIED_RESULT_ACCOUNT,
    SieAccount,
    SieFile,
    SieProblem,
    is_balance_account,
    kr,
)
from reports.sie.parse import parse

SOURCE_KIND = "sie_ib"

_KTYP_TYPES = {
    "T": AccountType.ASSET,
    "K": AccountType.EXPENSE,
    "I": AccountType.INCOME,
}


@dataclass(slots=True)
class SieImportResult:
    filename: str
    company: str
    org_number: str
    year_start: str
    encoding: str
    accounts_created: list[str] = field(default_factory=list)
    accounts_kept: int = 0
    accounts_skipped: list[str] = field(default_factory=list)
    voucher: str | None = None  # the opening-balance entry, "M1"
    booked_now: bool = False
    opening_ore: int = 0  # sum of the debit side of the opening balances
    carried_result_ore: int = 0  # last year's result booked to CARRIED_RESULT_ACCOUNT


def account_type(account: SieAccount) -> AccountType:
    """The account's type from #KTYP, or from its BAS class when the file gives none."""
    code = account.code
    if account.ktyp == "S":
        return AccountType.EQUITY if code.startswith("20") else AccountType.LIABILITY
    if account.ktyp in _KTYP_TYPES:
        return _KTYP_TYPES[account.ktyp]
    if code.startswith("1"):
        return AccountType.ASSET
    if code.startswith("20"):
        return AccountType.EQUITY
    if code.startswith("2"):
        return AccountType.LIABILITY
    # BAS 80-83: financial and other income; the rest of class 8 are costs and appropriations
    if code.startswith("3") or code[:2] in ("80", "81", "82", "83"):
        return AccountType.INCOME
    return AccountType.EXPENSE


def _kassan_account(code: str) -> bool:
    """Kassan's chart holds four-digit BAS accounts (classes 1-8); others are statistics."""
    return len(code) == 4 and code.isdigit() and code[0] in "12345678"


def _source_key(sie: SieFile, year: int) -> str:
    return f"sie-ib:{sie.org_number.replace(' ', '')[:150]}:{year}"


def _foreign(sie: SieFile, ours: str) -> SieProblem | None:
    """A file without our organisation number is another organisation's books, or nobody's."""
    if not sie.org_number:
        return SieProblem(
            sie.org_number_line or 1,
            f"filen anger inget organisationsnummer (#ORGNR); Kassan läser bara in SIE-filer "
            f"för den egna organisationen, {ours} (KASSAN_ORGANISATION_NUMBER)",
        )
    if organisation.same(sie.org_number, ours):
        return None
    return SieProblem(
        sie.org_number_line,
        f"filen gäller organisationsnummer {sie.org_number}, men bokföringen är för "
        f"{ours} (KASSAN_ORGANISATION_NUMBER); en annan organisations balanser läses inte in",
    )


def _already_opened(
    conn: Connection, sie: SieFile, start: date, key: str, lines: list[LineDraft]
) -> SieProblem | None:
    """Opening balances for the year that the books already hold, from this file or another.

    The same file again (same key, same lines) is no problem: it books nothing. The same key
    with other amounts, another file's opening entry for the year, or entries before the year
    (whose balances the ledger carries into it) would stack one set of balances on another.
    """
    e = t.journal_entries.c
    line = min((b.line for b in sie.balances if b.kind == "IB" and b.year == 0), default=1)
    for other_key in conn.scalars(
        select(e.source_key).where(e.source_kind == SOURCE_KIND, e.date == start)
    ):
        booked = journal.find_by_source_key(conn, other_key)
        if booked is None:
            continue
        if other_key == key and _same_lines(booked.lines, lines):
            return None
        return SieProblem(
            line,
            f"ingående balanser för räkenskapsåret som börjar {start.isoformat()} finns redan "
            f"i bokföringen ({booked.voucher}: {booked.text}) med andra belopp eller från en "
            "annan fil; de läggs inte ovanpå varandra",
        )
    earlier = conn.scalar(select(e.date).where(e.date < start).order_by(e.date).limit(1))
    if earlier is not None:
        return SieProblem(
            line,
            f"bokföringen har redan verifikationer före {start.isoformat()} (från "
            f"{earlier.isoformat()}), och deras saldon är årets ingående balanser; filens "
            "ingående balanser läggs inte ovanpå dem",
        )
    return None


def _same_lines(booked: Sequence[PostedLine], lines: list[LineDraft]) -> bool:
    def amounts(rows: Iterable[PostedLine | LineDraft]) -> list[tuple[str, int, int]]:
        return sorted((r.account, r.debit_ore, r.credit_ore) for r in rows)

    return amounts(booked) == amounts(lines)


def _opening_lines(
    sie: SieFile, chart: set[str], problems: list[SieProblem]
) -> tuple[list[LineDraft], int]:
    """The #IB 0 records as debit/credit lines, and the year-before result they leave over."""
    latest = {b.account: b for b in sie.balances if b.kind == "IB" and b.year == 0}
    lines: list[LineDraft] = []
    for code, ib in sorted(latest.items()):
        if not _kassan_account(code):
            problems.append(SieProblem(ib.line, f"#IB på konto {code}: inte ett BAS-konto"))
        elif not is_balance_account(code):
            if ib.ore:
                problems.append(
                    SieProblem(
                        ib.line,
                        f"#IB på resultatkonto {code} ({kr(ib.ore)}): ingående balanser finns "
                        "bara på balanskonton (klass 1 och 2)",
                    )
                )
        elif code not in chart:
            problems.append(SieProblem(ib.line, f"#IB på konto {code}, som saknas i kontoplanen"))
        elif abs(ib.ore) > MAX_ORE:
            problems.append(SieProblem(ib.line, f"#IB på konto {code}: beloppet är orimligt"))
        elif ib.ore:
            lines.append(LineDraft(code, max(ib.ore, 0), max(-ib.ore, 0)))
    total = sum(ln.debit_ore - ln.credit_ore for ln in lines)
    if not total:
        return lines, 0
    # Books not closed for the year before: the opening balances are off by exactly that
    # year's result, which the file states in #RES -1, plus whatever the year before's own
    # opening balances (#IB -1) were already off by (BL Administration's files carry two
    # unclosed years so). Anything else is an error in the file.
    result_before = sum(sie.balances_of("RES", -1).values())
    off_before = sum(
        ore for account, ore in sie.balances_of("IB", -1).items() if is_balance_account(account)
    )
    if (result_before or off_before) and total == off_before - result_before:
        lines.append(LineDraft(CARRIED_RESULT_ACCOUNT, max(-total, 0), max(total, 0)))
        return lines, -total
    first = min(latest.values(), key=lambda b: b.line)
    problems.append(
        SieProblem(
            first.line,
            f"de ingående balanserna (#IB 0) balanserar inte: debet och kredit skiljer sig "
            f"med {kr(total)}",
        )
    )
    return lines, 0


def import_sie(
    conn: Connection, data: bytes, filename: str, *, organisation_number: str
) -> SieImportResult:
    """Check the file whole, then add missing accounts and book the opening balances.

    ``organisation_number`` is ours (``KASSAN_ORGANISATION_NUMBER``); a file for another is
    refused before anything else is looked at.
    """
    sie = parse(data)
    foreign = _foreign(sie, organisation_number)
    if foreign is not None:
        raise SieImportInvalid(filename, [foreign])
    problems = list(sie.problems)
    year0 = sie.years.get(0)
    if year0 is None:
        problems.append(SieProblem(1, "#RAR 0 saknas: filen säger inte vilket räkenskapsår"))
    if sie.currency != "SEK":
        problems.append(SieProblem(1, f"filen är i {sie.currency}; Kassan läser SIE i SEK"))

    ours = journal.account_codes(conn)
    result = SieImportResult(
        filename=filename,
        company=sie.company_name,
        org_number=sie.org_number,
        year_start=year0.start.isoformat() if year0 else "",
        encoding=sie.encoding,
    )
    new_accounts: list[tuple[str, str, AccountType]] = []
    for code, acc in sorted(sie.accounts.items()):
        if code in ours:
            result.accounts_kept += 1
        elif not _kassan_account(code):
            result.accounts_skipped.append(code)
        else:
            name = acc.name or f"Konto {code}"
            new_accounts.append((code, name[:200], account_type(acc)))
    chart = ours | {code for code, _, _ in new_accounts}
    lines, carried = _opening_lines(sie, chart, problems)
    if problems or year0 is None:
        raise SieImportInvalid(filename, problems)
    key = _source_key(sie, year0.start.year)
    stacked = _already_opened(conn, sie, year0.start, key, lines) if lines else None
    if stacked is not None:
        raise SieImportInvalid(filename, [stacked])

    for code, name, kind in new_accounts:
        created = conn.execute(
            text(
                "INSERT INTO accounts (code, name, type, normal_side, active) "
                "VALUES (:c, :n, :t, :s, :a) ON CONFLICT (code) DO NOTHING"
            ),
            {"c": code, "n": name, "t": kind.value, "s": NORMAL_SIDE[kind].value, "a": True},
        ).rowcount
        if created:
            result.accounts_created.append(code)
        else:
            result.accounts_kept += 1
    if lines:
        who = sie.company_name or sie.org_number or filename
        draft = Draft(
            date=year0.start,
            text=f"Ingående balanser {year0.start.year} från SIE ({who})"[:500],
            series="M",
            source_kind=SOURCE_KIND,
            source_key=key,
            lines=tuple(lines),
        )
        entry, booked = posting.post_once(conn, draft)
        result.voucher, result.booked_now = entry.voucher, booked
        result.opening_ore = sum(ln.debit_ore for ln in lines)
        result.carried_result_ore = carried
    return result


def render(result: SieImportResult) -> str:
    """The import's outcome for the terminal, in Swedish."""
    out = [
        f"SIE-import: {result.filename} ({result.encoding})",
        f"  företag:          {result.company} {result.org_number}".rstrip(),
        f"  räkenskapsår:     från {result.year_start}",
        f"  nya konton:       {len(result.accounts_created)} {_some(result.accounts_created)}",
        f"  befintliga konton: {result.accounts_kept} (lämnade som de är)",
    ]
    if result.accounts_skipped:
        out.append(
            f"  ej BAS-konton:    {len(result.accounts_skipped)} lästes inte in "
            f"{_some(result.accounts_skipped)}"
        )
    if result.voucher is None:
        out.append("  ingående balanser: inga i filen")
    elif result.booked_now:
        out.append(f"  ingående balanser: bokförda som {result.voucher}, {kr(result.opening_ore)}")
    else:
        out.append(f"  ingående balanser: redan bokförda som {result.voucher}; inget bokfört nu")
    if result.carried_result_ore:
        what = "vinst" if result.carried_result_ore < 0 else "förlust"
        out.append(
            f"  föregående års {what}, {kr(abs(result.carried_result_ore))}, bokfördes på "
            f"{CARRIED_RESULT_ACCOUNT} (vinst eller förlust från föregående år): de ingående "
            "balanserna skilde sig med just det, året före var inte bokslutat i filen"
        )
    return "\n".join(out).rstrip()


def _some(codes: list[str]) -> str:
    if not codes:
        return ""
    more = ", ..." if len(codes) > 12 else ""
    return f"({', '.join(codes[:12])}{more})"
