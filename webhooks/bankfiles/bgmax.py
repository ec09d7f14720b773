"""BgMax, Bankgirot's "Bankgiro Inbetalningar" file: 80-character records, each opening with a
two-digit transaction code (TK).

Layout (Bankgiro Inbetalningar, teknisk manual): 01 start, then per deposit 05 opening, the
payments (20 payment, 21 deduction, each followed by its 22/23 extra references, 25 information
lines, 26 name, 27 and 28 address, 29 organisation number), 15 deposit with its date, sum and
count; at the end 70 with the file's counts. Records come one per line (LF or CRLF, trailing
blanks sometimes cut) or back to back with no line break at all.

The file's own totals are checked against what was read: each deposit's sum (payments minus
deductions) and count, and the four counts of TK70. Bankgirot says to skip record types one
does not know, so unknown two-digit codes are passed over; anything else is an error.
"""

from __future__ import annotations

from datetime import date, datetime

from ledger.money import Money
from webhooks.bankfiles.bgmax_payment import Deposit, Payment, bank_line
from webhooks.bankfiles.records import (
    BankFile,
    BankLine,
    ControlTotal,
    ExtraReference,
    ParsedFile,
)
from webhooks.bankfiles.text import read_lines
from webhooks.errors import ParseError

__all__ = ["FORMAT", "parse_bgmax"]

FORMAT = "bgmax"
RECORD = 80


def records(text: str) -> list[tuple[int, str]]:
    """(record number, 80-character record) pairs, from lines or from records back to back."""
    if "\n" in text or "\r" in text:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return [(n, line.ljust(RECORD)) for n, line in enumerate(lines, 1) if line.strip()]
    return [
        (n, text[i : i + RECORD].ljust(RECORD))
        for n, i in enumerate(range(0, len(text), RECORD), 1)
        if text[i : i + RECORD].strip()
    ]


def _digits(value: str) -> str:
    """A zero-padded number field without its padding (``0009912346`` -> ``9912346``)."""
    return value.strip().lstrip("0")


class _Reader:
    """Walks the records once, collecting lines, totals and every error."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[ParseError] = []
        self.lines: list[BankLine] = []
        self.controls: list[ControlTotal] = []
        self.created_at: datetime | None = None
        self.test = False
        self.deposit: Deposit | None = None
        self.deposits = 0
        self.dates: list[date] = []
        self.accounts: list[str] = []
        self.currency = "SEK"
        self.counts = {"20": 0, "21": 0, "22": 0, "15": 0}
        self.keys: dict[str, int] = {}
        self.ended = False

    def error(self, record_no: int | None, fieldname: str | None, message: str) -> None:
        self.errors.append(ParseError(self.filename, record_no, fieldname, message))

    def number(self, record_no: int, value: str, fieldname: str) -> int | None:
        if not value.strip():
            self.error(record_no, fieldname, f"{fieldname} saknas")
            return None
        if not value.strip().isdigit():
            self.error(record_no, fieldname, f"{fieldname} är inte ett tal: {value.strip()!r}")
            return None
        return int(value)

    def day(self, record_no: int, value: str, fieldname: str) -> date | None:
        try:
            return datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            self.error(record_no, fieldname, f"{fieldname} är inget datum: {value!r}")
            return None

    def current(self, record_no: int, tk: str) -> Payment | None:
        if self.deposit is None or not self.deposit.payments:
            self.error(record_no, "transaktionskod", f"TK{tk} utan föregående betalningspost")
            return None
        return self.deposit.payments[-1]

    def read(self, text: str) -> None:
        recs = records(text)
        if not recs or recs[0][1][:2] != "01" or recs[0][1][2:22].strip() != "BGMAX":
            self.error(1, "startpost", "filen börjar inte med en BgMax-startpost (01BGMAX)")
            return
        for record_no, rec in recs:
            if self.ended:
                self.error(record_no, "transaktionskod", "post efter slutposten (TK70)")
                break
            if len(rec) > RECORD:
                self.error(record_no, None, f"posten är {len(rec)} tecken lång, inte {RECORD}")
                continue
            handler = getattr(self, f"tk{rec[:2]}", None)
            if handler is not None:
                handler(record_no, rec)
            elif not rec[:2].isdigit():
                self.error(record_no, "transaktionskod", f"okänd post: {rec[:2]!r}")
        if self.deposit is not None:
            self.error(self.deposit.record_no, "insättningspost", "insättningen saknar TK15")
        if not self.ended:
            self.error(None, "slutpost", "filen saknar slutpost (TK70)")

    def tk01(self, record_no: int, rec: str) -> None:
        stamp = rec[24:44]
        try:
            self.created_at = datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(
                microsecond=int(stamp[14:20])
            )
        except ValueError:
            self.error(record_no, "skrivdag", f"skrivdag är ingen tidpunkt: {stamp!r}")
        self.test = rec[44] == "T"

    def tk05(self, record_no: int, rec: str) -> None:
        if self.deposit is not None:
            self.error(self.deposit.record_no, "insättningspost", "insättningen saknar TK15")
        bankgiro = _digits(rec[2:12])
        if not bankgiro.isdigit():
            self.error(record_no, "mottagarbankgiro", "mottagarens bankgironummer saknas")
        self.currency = rec[22:25].strip() or "SEK"
        self.deposit = Deposit(record_no, bankgiro, self.currency)

    def payment(self, record_no: int, rec: str) -> None:
        if self.deposit is None:
            self.error(record_no, "transaktionskod", f"TK{rec[:2]} före öppningspost (TK05)")
            return
        amount = self.number(record_no, rec[37:55], "belopp")
        serial = rec[57:69].strip()
        if not serial:
            self.error(record_no, "BGC-löpnummer", "BGC-löpnumret saknas")
        self.counts[rec[:2]] += 1
        self.deposit.payments.append(
            Payment(
                record_no=record_no,
                code=rec[:2],
                sender=_digits(rec[2:12]),
                reference_text=rec[12:37].strip(),
                reference_code=rec[55],
                amount_ore=amount or 0,
                channel_code=rec[56],
                serial=serial,
                image=rec[69],
                deduction_code=rec[70].strip() if rec[:2] == "21" else "",
            )
        )

    tk20 = payment
    tk21 = payment

    def extra_reference(self, record_no: int, rec: str) -> None:
        payment = self.current(record_no, rec[:2])
        amount = self.number(record_no, rec[37:55], "belopp")
        self.counts["22"] += 1
        if payment is None or amount is None:
            return
        sign = -1 if rec[:2] == "23" else 1
        money = Money(sign * amount, self.currency) if amount else None
        payment.extra.append(ExtraReference(rec[12:37].strip(), money))

    tk22 = extra_reference
    tk23 = extra_reference

    def tk25(self, record_no: int, rec: str) -> None:
        payment = self.current(record_no, "25")
        if payment is not None and rec[2:52].strip():
            payment.info.append(rec[2:52].strip())

    def tk26(self, record_no: int, rec: str) -> None:
        payment = self.current(record_no, "26")
        if payment is not None:
            payment.details["name"] = " ".join(
                p for p in (rec[2:37].strip(), rec[37:72].strip()) if p
            )

    def tk27(self, record_no: int, rec: str) -> None:
        payment = self.current(record_no, "27")
        if payment is not None:
            payment.details.update(address=rec[2:37].strip(), postcode=rec[37:46].strip())

    def tk28(self, record_no: int, rec: str) -> None:
        payment = self.current(record_no, "28")
        if payment is not None:
            payment.details.update(
                city=rec[2:37].strip(), country=rec[37:72].strip(), country_code=rec[72:74].strip()
            )

    def tk29(self, record_no: int, rec: str) -> None:
        payment = self.current(record_no, "29")
        if payment is not None:
            payment.details["org_no"] = rec[2:14].strip()

    def tk15(self, record_no: int, rec: str) -> None:
        deposit, self.deposit = self.deposit, None
        if deposit is None:
            self.error(record_no, "insättningspost", "TK15 utan öppningspost (TK05)")
            return
        self.deposits += 1
        self.counts["15"] += 1
        paid = self.day(record_no, rec[37:45], "betalningsdag")
        declared_sum = self.number(record_no, rec[50:68], "insättningsbelopp")
        declared_count = self.number(record_no, rec[71:79], "antal betalningar")
        computed_sum = sum(p.amount_ore * (-1 if p.code == "21" else 1) for p in deposit.payments)
        n = self.deposits
        for what, declared, computed in (
            (f"insättning {n}: belopp (öre)", declared_sum, computed_sum),
            (f"insättning {n}: antal betalningar", declared_count, len(deposit.payments)),
        ):
            if declared is None:
                continue
            self.controls.append(ControlTotal(what, declared, computed))
            if declared != computed:
                self.error(
                    record_no,
                    "insättningspost",
                    f"{what}: filen säger {declared}, posterna ger {computed}",
                )
        if paid is None:
            return
        self.dates.append(paid)
        if deposit.bankgiro not in self.accounts:
            self.accounts.append(deposit.bankgiro)
        for payment in deposit.payments:
            self.lines.append(
                bank_line(
                    payment,
                    deposit,
                    paid,
                    rec[2:37].strip(),
                    rec[45:50],
                    line_no=len(self.lines) + 1,
                    keys=self.keys,
                )
            )

    def tk70(self, record_no: int, rec: str) -> None:
        self.ended = True
        for (what, start), counted in zip(
            (
                ("betalningsposter", 2),
                ("avdragsposter", 10),
                ("extra referensposter", 18),
                ("insättningsposter", 26),
            ),
            (self.counts["20"], self.counts["21"], self.counts["22"], self.counts["15"]),
            strict=True,
        ):
            declared = self.number(record_no, rec[start : start + 8], f"antal {what}")
            if declared is None:
                continue
            self.controls.append(ControlTotal(f"antal {what}", declared, counted))
            if declared != counted:
                self.error(
                    record_no,
                    "slutpost",
                    f"antal {what}: filen säger {declared}, filen har {counted}",
                )


def parse_bgmax(data: bytes, filename: str = "bgmax") -> ParsedFile:
    """Every payment in a BgMax file, or ``BankFileInvalid`` listing every fault found."""
    reader = _Reader(filename)
    lines = read_lines(reader, data)
    # A file may hold SEK and EUR deposits; totals are only shown for a file in one currency.
    single = len({line.amount.currency for line in lines}) <= 1
    zero = Money.zero(reader.currency)
    credits = sum((x.amount for x in lines if x.amount.ore > 0), zero) if single else None
    debits = sum((x.amount for x in lines if x.amount.ore < 0), zero) if single else None
    return ParsedFile(
        file=BankFile(
            format=FORMAT,
            created_at=reader.created_at,
            accounts=tuple(reader.accounts),
            currency=reader.currency,
            period_start=min(reader.dates, default=None),
            period_end=max(reader.dates, default=None),
            controls=tuple(reader.controls),
            line_count=len(lines),
            credit_total=credits,
            debit_total=debits,
            test=reader.test,
        ),
        lines=lines,
    )
