"""The two files Kassan sends to Bankgirot, made from the register in one transaction:

* ``mandates_out``: every new mandate (TK04) and every cancellation not yet sent (TK03) since
  the last mandate file; the mandates become "sent".
* ``payments_out``: one debit (TK82) per active mandate for a month, due on the organisation's
  debit day moved to the next banking day; a month already ordered for a mandate is left out,
  so a second run for the month writes nothing and says so (None).

Each file is read back by ``parse_autogiro`` before it is kept: a file Kassan cannot read
itself is never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from cryptography.fernet import MultiFernet
from sqlalchemy import Connection

from ledger.banking_days import debit_date
from ledger.errors import ConfigError
from ledger.services.autogiro import mandates, orders
from webhooks.bankfiles.autogiro import parse_autogiro
from webhooks.bankfiles.autogiro.writer import (
    DebitOrder,
    NewMandate,
    mandate_file,
    payment_order_file,
)

__all__ = ["OutgoingFile", "Settings", "due_day", "mandates_out", "payments_out", "settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    bankgiro: str
    customer_number: str
    debit_day: int


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    filename: str
    content: bytes
    new: int = 0  # TK04 (mandate file) or TK82 (payment orders)
    cancelled: int = 0  # TK03
    due: date | None = None


def settings(config: Mapping[str, object]) -> Settings:
    """Autogiro's settings from the app config; ``ConfigError`` when Autogiro is not set up."""
    bankgiro = str(config.get("BANKGIRO") or "")
    customer = str(config.get("AUTOGIRO_CUSTOMER_NUMBER") or "")
    if not bankgiro or not customer:
        raise ConfigError(
            "Autogiro är inte inställt: sätt KASSAN_BANKGIRO och KASSAN_AUTOGIRO_CUSTOMER_NUMBER"
        )
    digits = "".join(c for c in bankgiro if c.isdigit())
    return Settings(digits, customer, int(str(config.get("AUTOGIRO_DEBIT_DAY") or 28)))


def due_day(month: str, debit_day: int) -> date:
    """The month's debit day, moved to the next banking day when it is none."""
    return debit_date(month, debit_day)


def mandates_out(
    conn: Connection, crypt: MultiFernet, config: Settings, today: date
) -> OutgoingFile | None:
    new, cancelled = orders.to_send(conn)
    if not new and not cancelled:
        return None
    records = []
    for mandate in new:
        clear = mandates.secrets(conn, crypt, mandate.payer_number)
        records.append(
            NewMandate(
                str(mandate.payer_number), mandate.clearing, clear["account"], clear["identity"]
            )
        )
    content = mandate_file(
        today, config.customer_number, config.bankgiro, records, [str(p) for p in cancelled]
    )
    filename = f"autogiro-medgivanden-{today.isoformat()}.txt"
    parse_autogiro(content, filename)  # a file we cannot read ourselves is never sent
    file_id = orders.record_file(
        conn, "out", "mandates", filename, content, len(records) + len(cancelled)
    )
    orders.mark_sent(conn, file_id, filename, [m.payer_number for m in new], cancelled)
    return OutgoingFile(filename, content, new=len(new), cancelled=len(cancelled))


def payments_out(
    conn: Connection, config: Settings, month: str, today: date
) -> OutgoingFile | None:
    due = due_day(month, config.debit_day)
    planned = orders.due_this_month(conn, month)
    if not planned:
        return None
    content = payment_order_file(
        today,
        config.customer_number,
        config.bankgiro,
        [DebitOrder(str(p.payer_number), due, p.amount, p.reference) for p in planned],
    )
    filename = f"autogiro-betalningar-{month}-{today.isoformat()}.txt"
    parse_autogiro(content, filename)
    file_id = orders.record_file(conn, "out", "payments", filename, content, len(planned), month)
    orders.order_debits(conn, file_id, month, due, planned)
    return OutgoingFile(filename, content, new=len(planned), due=due)
