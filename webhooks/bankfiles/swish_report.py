"""The bank's Swish report (Handelsbanken's CSV format, v3.1.x): how Swish payments to our Swish
number reached the bank account, one record per payment.

Records: ``01`` start (created, report date, and the cut-off time in the intraday report),
``02`` one per transaction (organisation number, bank account, BIC, Swish number, date, type,
amount, currency, payer's mobile number, payer's name, payment reference, message, order id,
timestamp), ``03`` the count. Two variants: comma-separated with a decimal point, and
semicolon-separated with a decimal comma. Some files put a blank before the payment reference.

A payment is keyed by its 16-digit Swish payment reference (``swish:<ref>``), the same key a
camt.053 entry for the same Swish payment carries, so the payment books once whichever report
comes first. Type ``SWR`` is a refund (money out): its amount is booked negative.
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime

from ledger.money import Money, parse_amount
from webhooks.bankfiles.records import SWISH, BankFile, BankLine, ControlTotal, ParsedFile
from webhooks.bankfiles.text import ocr_reference, read_lines
from webhooks.errors import ParseError

__all__ = ["FORMAT", "parse_swish_report"]

FORMAT = "swish-report"
_REFUND_TYPES = frozenset({"SWR"})
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_REFERENCE = re.compile(r"^[0-9A-Za-z]{1,35}$")
_FIXED = 12  # fields before the message; the message may hold the delimiter unquoted


def _day(value: str) -> date:
    return datetime.strptime(value.strip(), "%Y-%m-%d").date()


class _Reader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[ParseError] = []
        self.lines: list[BankLine] = []
        self.created_at: datetime | None = None
        self.report_date: date | None = None
        self.declared_count: int | None = None
        self.seen = 0  # 02 records read, good or bad, for the count in 03
        self.accounts: list[str] = []
        self.keys: set[str] = set()
        self.currency = "SEK"

    def error(self, line: int | None, fieldname: str | None, message: str) -> None:
        self.errors.append(ParseError(self.filename, line, fieldname, message))

    def read(self, text: str) -> None:
        rows = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if not rows or rows[0][1][:3] not in ("01,", "01;"):
            self.error(1, "startpost", "filen börjar inte med Swish-rapportens startpost (01)")
            return
        delimiter = rows[0][1][2]
        for line_no, line in rows:
            fields = next(csv.reader([line], delimiter=delimiter))
            record = fields[0].strip()
            if self.declared_count is not None:
                self.error(line_no, "post", "post efter slutposten (03)")
            elif record == "01":
                self.start(line_no, fields)
            elif record == "02":
                self.transaction(line_no, fields, delimiter)
            elif record == "03":
                self.end(line_no, fields)
            else:
                self.error(line_no, "posttyp", f"okänd posttyp {record!r}")
        if self.declared_count is None:
            self.error(None, "slutpost", "filen saknar slutpost (03)")

    def start(self, line_no: int, fields: list[str]) -> None:
        if self.report_date is not None:
            self.error(line_no, "startpost", "en andra startpost (01)")
            return
        try:
            created = _day(fields[1])
            self.report_date = _day(fields[2]) if len(fields) > 2 and fields[2] else created
            cutoff = fields[3].strip() if len(fields) > 3 else ""
            clock = datetime.strptime(cutoff, "%H:%M").time() if cutoff else None
        except (ValueError, IndexError):
            self.error(line_no, "startpost", f"startposten har inga giltiga datum: {fields!r}")
            return
        self.created_at = datetime.combine(
            self.report_date if clock else created, clock or datetime.min.time()
        )

    def transaction(self, line_no: int, fields: list[str], delimiter: str) -> None:
        self.seen += 1
        stamp_at = next(
            (i for i in range(len(fields) - 1, _FIXED, -1) if _TIMESTAMP.match(fields[i])), None
        )
        if len(fields) < _FIXED + 3 or stamp_at is None:
            self.error(
                line_no,
                "transaktion",
                f"transaktionen har {len(fields)} fält, väntade minst 15 med en tidsstämpel",
            )
            return
        f = [value.strip() for value in fields]
        # A message holding the delimiter unquoted spreads over several fields: join them back.
        message = delimiter.join(fields[_FIXED : stamp_at - 1]).strip()
        before = len(self.errors)
        booked: date | None = None
        amount: Money | None = None
        try:
            booked = _day(f[5])
        except ValueError:
            self.error(line_no, "datum", f"transaktionsdatum är inget datum: {f[5]!r}")
        currency = f[8] or "SEK"
        if not f[7]:
            self.error(line_no, "belopp", "beloppet saknas")
        else:
            try:
                amount = parse_amount(f[7], currency)
            except ValueError:
                self.error(line_no, "belopp", f"beloppet är inget belopp: {f[7]!r}")
        if not _REFERENCE.match(f[11]):
            self.error(
                line_no,
                "betalningsreferens",
                f"betalningsreferensen saknas eller är felaktig: {f[11]!r}",
            )
        key = f"swish:{f[11]}"
        if key in self.keys:
            self.error(
                line_no, "betalningsreferens", f"betalningsreferensen {f[11]} finns två gånger"
            )
        if len(self.errors) > before or booked is None or amount is None:
            return
        self.keys.add(key)
        if f[6] in _REFUND_TYPES and amount.ore > 0:
            amount = -amount
        self.currency = currency
        if f[4] not in self.accounts:
            self.accounts.append(f[4])
        raw = {
            "org_no": f[1],
            "bank_account": f[2],
            "bic": f[3],
            "type": f[6],
            "order_id": f[stamp_at - 1],
            "timestamp": f[stamp_at],
            "extra": ";".join(f[stamp_at + 1 :]),
        }
        self.lines.append(
            BankLine(
                line_no=len(self.lines) + 1,
                source_line=line_no,
                key=key,
                booking_date=booked,
                value_date=booked,
                amount=amount,
                channel=SWISH,
                account=f[4] or None,
                reference=ocr_reference(message),
                message=message or None,
                payer_name=f[10] or None,
                payer_account=f[9] or None,
                raw=tuple((k, v) for k, v in raw.items() if v),
            )
        )

    def end(self, line_no: int, fields: list[str]) -> None:
        value = fields[1].strip() if len(fields) > 1 else ""
        self.declared_count = int(value) if value.isdigit() else 0
        if not value.isdigit():
            self.error(line_no, "antal", f"slutpostens antal är inget tal: {value!r}")
        elif self.declared_count != self.seen:
            self.error(
                line_no, "antal", f"slutposten säger {value} transaktioner, filen har {self.seen}"
            )


def parse_swish_report(data: bytes, filename: str = "swish-report.csv") -> ParsedFile:
    """Every Swish payment in the report, or ``BankFileInvalid`` listing every fault found."""
    reader = _Reader(filename)
    lines = read_lines(reader, data)
    zero = Money.zero(reader.currency)
    # Totals only for a report in one currency (as for BgMax): kronor and euro do not add up.
    single = len({x.amount.currency for x in lines}) <= 1
    return ParsedFile(
        file=BankFile(
            format=FORMAT,
            created_at=reader.created_at,
            accounts=tuple(reader.accounts),
            currency=reader.currency,
            period_start=reader.report_date,
            period_end=reader.report_date,
            controls=(ControlTotal("antal transaktioner", reader.declared_count or 0, len(lines)),),
            line_count=len(lines),
            credit_total=sum((x.amount for x in lines if x.amount.ore > 0), zero)
            if single
            else None,
            debit_total=sum((x.amount for x in lines if x.amount.ore < 0), zero)
            if single
            else None,
        ),
        lines=lines,
    )
