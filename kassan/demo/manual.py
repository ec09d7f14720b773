"""The demo's manual entries (series M), as finance staff book them at the desk through the
posting service: cash collected at a meeting, that cash paid into the bank, and the year's
bankgiro fees. Each has the source key ``demo:manual:<n>``, so a second run books none again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from ledger.chart import BANK, FEES, GIFT_INCOME, PETTY_CASH
from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.services import posting


@dataclass(frozen=True, slots=True)
class ManualSpec:
    day: date
    text: str
    debit: str  # account
    credit: str
    kr: int
    network: str | None = None  # slug, on the income line


MANUAL = (
    ManualSpec(date(2025, 5, 1), "Kontant insamling vid 1 maj-mötet i Folkets hus",
               PETTY_CASH, GIFT_INCOME, 3_840, "palestina"),
    ManualSpec(date(2025, 5, 5), "Insättning på banken av kontanterna från 1 maj-mötet",
               BANK, PETTY_CASH, 3_840),
    ManualSpec(date(2025, 12, 31), "Bankgiroavgifter 2025 enligt bankens årsbesked",
               FEES, BANK, 1_250),
)  # fmt: skip


def book(conn: Connection, today: date) -> int:
    """Book the entries dated by ``today`` not booked before; how many were booked now."""
    booked = 0
    for n, spec in enumerate(MANUAL, start=1):
        if spec.day > today:
            continue
        amount = Money(spec.kr * 100)
        draft = Draft(
            date=spec.day,
            text=spec.text,
            series="M",
            source_kind="manual",
            source_key=f"demo:manual:{n}",
            lines=(
                LineDraft.debit(spec.debit, amount),
                LineDraft.credit(spec.credit, amount, network=spec.network),
            ),
        )
        _, new = posting.post_once(conn, draft)
        booked += new
    return booked
