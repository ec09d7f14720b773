"""Only our accounts' money is imported (issue 11, rule 4), and each account's money books to
its own ledger account.

A camt statement or notification is for an account in ``bank_accounts`` (``kassan
bank-accounts add``), or for our bankgiro (``KASSAN_BANKGIRO``) when the bank names the
account by its bankgiro number; a BgMax file is for our bankgiro; a Swish report for one of our
Swish numbers (``SWISH_PAYEE_NUMBER``, ``SWISH_MERCHANT_NUMBER``). A line for any other account
refuses the whole file, naming the account, and nothing is stored.

The bankgiro and the Swish numbers are paid out to the organisation's main account, so their
lines book to 1930 (``chart.BANK``); a listed account books to the ledger account it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection

from ledger.chart import BANK
from ledger.errors import BankAccountInvalid
from ledger.services import bank_accounts
from webhooks.bankfiles.bgmax import FORMAT as BGMAX
from webhooks.bankfiles.records import BankLine
from webhooks.bankfiles.swish_report import FORMAT as SWISH_REPORT
from webhooks.errors import BankFileInvalid, ParseError

BOOK_CURRENCY = "SEK"  # the currency the books are kept in

__all__ = ["OurAccounts"]


def _digits(text: object) -> str:
    return re.sub(r"\D", "", str(text or ""))


def _number(account: str) -> str:
    """The account as ``bank_accounts`` stores it, or as given when it is neither form."""
    try:
        return bank_accounts.normalise(account)
    except BankAccountInvalid:
        return account.strip()


@dataclass(frozen=True, slots=True)
class OurAccounts:
    ledger_accounts: Mapping[str, str]  # normalised number: the ledger account it books to
    bankgiro: str | None  # digits only
    swish_numbers: frozenset[str]

    @classmethod
    def read(cls, conn: Connection, config: Mapping[str, object] | None) -> OurAccounts:
        """Our accounts from the database and the app's configuration (None: no bankgiro and
        no Swish number are ours)."""
        config = config or {}
        swish = {_digits(config.get(k)) for k in ("SWISH_PAYEE_NUMBER", "SWISH_MERCHANT_NUMBER")}
        return cls(
            bank_accounts.ledger_accounts(conn),
            _digits(config.get("BANKGIRO")) or None,
            frozenset(swish - {""}),
        )

    def ledger_account(self, fmt: str, account: str | None) -> str | None:
        """The ledger account ``account``'s money books to in a file of format ``fmt``; None
        when the account is not ours."""
        if account is None:
            return None
        if fmt == BGMAX:
            return BANK if self.bankgiro and _digits(account) == self.bankgiro else None
        if fmt == SWISH_REPORT:
            return BANK if _digits(account) in self.swish_numbers else None
        found = self.ledger_accounts.get(_number(account))
        if found is None and self.bankgiro and _digits(account) == self.bankgiro:
            return BANK
        return found

    def refuse_others(self, fmt: str, filename: str, lines: Iterable[BankLine]) -> None:
        """Raise ``BankFileInvalid`` naming the first account of ``lines`` that is not ours."""
        asked: set[str | None] = set()  # each account once: a file has one or a few
        for line in lines:
            if line.account in asked:
                continue
            asked.add(line.account)
            if self.ledger_account(fmt, line.account) is None:
                raise BankFileInvalid([_not_ours(fmt, filename, line.account, line.source_line)])

    def refuse_foreign_currency(self, filename: str, lines: Iterable[BankLine]) -> None:
        """Raise ``BankFileInvalid`` for the first line not in kronor: the books are kept in
        SEK, and money in another currency booked on 1930 would be left out of the trial
        balance (camt refuses such an account while parsing; this holds for every format,
        e.g. a BgMax deposit in EUR)."""
        for line in lines:
            if line.amount.currency != BOOK_CURRENCY:
                raise BankFileInvalid(
                    [
                        ParseError(
                            filename,
                            line.source_line,
                            "currency",
                            f"betalningen är i {line.amount.currency}, inte i kronor (SEK): "
                            "Kassans bokföring är i kronor och annan valuta stöds inte ännu; "
                            "inget bokfördes",
                        )
                    ]
                )

    def refuse_other_accounts(self, fmt: str, filename: str, accounts: Iterable[str]) -> None:
        """The same for the accounts a file's summary names (a statement without entries)."""
        for account in accounts:
            if self.ledger_account(fmt, account) is None:
                raise BankFileInvalid([_not_ours(fmt, filename, account, None)])


def _not_ours(fmt: str, filename: str, account: str | None, line: int | None) -> ParseError:
    if fmt == BGMAX:
        what = f"bankgirot {account} är inte vårt (KASSAN_BANKGIRO)"
    elif fmt == SWISH_REPORT:
        what = f"Swishnumret {account} är inte vårt (SWISH_PAYEE_NUMBER, SWISH_MERCHANT_NUMBER)"
    elif account is None:
        what = "filen säger inte vilket konto den gäller"
    else:
        what = (
            f"kontot {account} är inte vårt; lägg till det med "
            f"kassan bank-accounts add {_number(account)} --account 1930"
        )
    return ParseError(filename, line, "account", what + "; inget bokfördes")
