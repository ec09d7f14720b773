"""Our bank accounts: the accounts whose statements and notifications Kassan imports, each with
the ledger account its money books to (issue 11, rule 4). A file for any other account is
refused by the importer.

An account is named by its IBAN (checked with schwifty: country format and check digits) or,
for a Swedish account, by its clearing number and account number as the bank prints them
(``8327-9, 123 456 789-0``). Both are stored normalised (``number``): the IBAN compact and in
capitals, the Swedish account as ``clearing-account`` in digits only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from ledger.chart import BANK, AccountType
from ledger.db import tables as t
from ledger.errors import BankAccountConflict, BankAccountInvalid, BankAccountNotFound

__all__ = [
    "BankAccount",
    "add",
    "all_accounts",
    "ledger_account_of",
    "ledger_accounts",
    "normalise",
    "remove",
]

_IBAN_START = re.compile(r"^\s*[A-Za-z]{2}")
_SWEDISH = re.compile(r"^[0-9][0-9 ,.\-]*$")


@dataclass(frozen=True, slots=True)
class BankAccount:
    number: str
    ledger_account: str
    name: str


def normalise(text: str) -> str:
    """The account as stored: a compact IBAN or a Swedish ``clearing-account``.

    Raises ``BankAccountInvalid`` (in Swedish) for anything else."""
    if _IBAN_START.match(text):
        try:
            return IBAN(text).compact
        except SchwiftyException as exc:
            raise BankAccountInvalid(
                f"{text.strip()} är inte ett giltigt IBAN: {exc}", "iban"
            ) from exc
    if not _SWEDISH.match(text.strip()):
        raise BankAccountInvalid(
            f"{text.strip()!r} är varken ett IBAN eller ett svenskt clearing- och kontonummer",
            "iban",
        )
    digits = re.sub(r"\D", "", text)
    # Swedbank's clearing numbers (8xxx-x) carry a fifth digit, a check digit.
    clearing_length = 5 if digits.startswith("8") else 4
    clearing, account = digits[:clearing_length], digits[clearing_length:]
    if not 7 <= len(account) <= 10:
        raise BankAccountInvalid(
            f"{text.strip()}: ett svenskt kontonummer är clearingnummer ({clearing_length} "
            "siffror) och 7 till 10 siffror konto",
            "iban",
        )
    return f"{clearing}-{account}"


def _check_ledger_account(conn: Connection, code: str) -> None:
    a = t.accounts.c
    kind = conn.scalar(select(a.type).where(a.code == code))
    if kind is None:
        raise BankAccountInvalid(f"konto {code} finns inte i kontoplanen", "account")
    if kind != AccountType.ASSET:
        raise BankAccountInvalid(
            f"konto {code} är inte ett tillgångskonto; ett bankkonto bokförs på ett "
            "tillgångskonto (1930, 1940, ...)",
            "account",
        )


def add(conn: Connection, text: str, ledger_account: str, name: str = "") -> BankAccount:
    """Make the account ours, booking to ``ledger_account`` (an asset account in the chart)."""
    number = normalise(text)
    _check_ledger_account(conn, ledger_account)
    b = t.bank_accounts.c
    if conn.scalar(select(b.id).where(b.number == number)) is not None:
        raise BankAccountConflict(f"bankkontot {number} finns redan", "iban")
    try:
        with conn.begin_nested():
            conn.execute(
                t.bank_accounts.insert().values(
                    number=number, ledger_account=ledger_account, name=name.strip()[:200]
                )
            )
    except IntegrityError as exc:  # added by another process in the meantime
        raise BankAccountConflict(f"bankkontot {number} finns redan", "iban") from exc
    return BankAccount(number, ledger_account, name.strip()[:200])


def remove(conn: Connection, text: str) -> BankAccount:
    """Stop treating the account as ours; what was booked from it stays booked."""
    number = normalise(text)
    b = t.bank_accounts.c
    row = conn.execute(select(b.number, b.ledger_account, b.name).where(b.number == number)).first()
    if row is None:
        raise BankAccountNotFound(f"bankkontot {number} är inte vårt", "iban")
    conn.execute(t.bank_accounts.delete().where(b.number == number))
    return BankAccount(row.number, row.ledger_account, row.name)


def all_accounts(conn: Connection) -> list[BankAccount]:
    b = t.bank_accounts.c
    return [
        BankAccount(r.number, r.ledger_account, r.name)
        for r in conn.execute(select(b.number, b.ledger_account, b.name).order_by(b.number))
    ]


def ledger_account_of(conn: Connection, account: str | None) -> str:
    """The ledger account a bank line's ``account`` books to: its entry in ``bank_accounts``,
    else 1930 (our bankgiro and Swish numbers, or a line without an account)."""
    if account is None:
        return BANK
    try:
        number = normalise(account)
    except BankAccountInvalid:
        return BANK
    b = t.bank_accounts.c
    return conn.scalar(select(b.ledger_account).where(b.number == number)) or BANK


def ledger_accounts(conn: Connection) -> dict[str, str]:
    """Each of our accounts (normalised number) and the ledger account it books to."""
    b = t.bank_accounts.c
    return {r.number: r.ledger_account for r in conn.execute(select(b.number, b.ledger_account))}
