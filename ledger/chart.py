"""The chart of accounts (BAS) Kassan starts from, the voucher series, and the posting rules.

The accounts are seeded by the migrations (the first, and 0014 for 2068). Code names an account
by what it is for (``BANK``, ``GIFT_INCOME``, ``SUSPENSE``, ...), never by its number, and
``POSTING_RULES`` is the one place that says which accounts an event moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Final


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


NORMAL_SIDE = {
    AccountType.ASSET: Side.DEBIT,
    AccountType.EXPENSE: Side.DEBIT,
    AccountType.LIABILITY: Side.CREDIT,
    AccountType.EQUITY: Side.CREDIT,
    AccountType.INCOME: Side.CREDIT,
}


@dataclass(frozen=True, slots=True)
class AccountDef:
    code: str
    name: str
    type: AccountType

    @property
    def normal_side(self) -> Side:
        return NORMAL_SIDE[self.type]


# The accounts by what Kassan uses them for; code everywhere names these, never the numbers.
RECEIVABLES: Final = "1510"  # invoices issued to organisations and not yet paid
CARD_PROCESSOR: Final = "1580"  # the Stripe balance: card gifts until Stripe pays them out
PETTY_CASH: Final = "1910"
BANK: Final = "1930"  # the bank account; the ledger's balance here equals the bank's
PRIOR_RESULT: Final = "2068"  # earlier years' results not yet moved elsewhere (migration 0014)
YEAR_RESULT: Final = "2069"  # the year's result as a non-profit association books it
EARMARKED: Final = "2070"  # funds given for a purpose, where the organisation keeps them apart
YEAR_RESULT_COMPANY: Final = "2099"  # the same for a company; in the chart for imported files
SUSPENSE: Final = "2890"  # money in the bank that nobody has identified yet
GIFT_INCOME: Final = "3993"  # gifts and contributions received, with the network as dimension
FEES: Final = "6570"  # bank and card fees

# BAS 2026 names, Swedish as the bookkeeping program shows them.
BAS_ACCOUNTS: tuple[AccountDef, ...] = (
    AccountDef(RECEIVABLES, "Kundfordringar", AccountType.ASSET),
    AccountDef(CARD_PROCESSOR, "Fordringar för kontokort och kuponger", AccountType.ASSET),
    AccountDef(PETTY_CASH, "Kassa", AccountType.ASSET),
    AccountDef(BANK, "Företagskonto/checkkonto/affärskonto", AccountType.ASSET),
    AccountDef(PRIOR_RESULT, "Vinst eller förlust från föregående år", AccountType.EQUITY),
    AccountDef(YEAR_RESULT, "Årets resultat (ideell förening)", AccountType.EQUITY),
    AccountDef(EARMARKED, "Ändamålsbestämda medel", AccountType.EQUITY),
    AccountDef(YEAR_RESULT_COMPANY, "Årets resultat", AccountType.EQUITY),
    AccountDef(
        SUSPENSE,
        "Övriga kortfristiga skulder (oidentifierade inbetalningar)",
        AccountType.LIABILITY,
    ),
    AccountDef(GIFT_INCOME, "Erhållna gåvor och bidrag", AccountType.INCOME),
    AccountDef(FEES, "Bankkostnader", AccountType.EXPENSE),
)

# A Stripe payout reaches the bank within this of its arrival date: a bank line and a payout
# this close, of the same amount, are one movement of money.
PAYOUT_DAYS: Final = timedelta(days=2)

# Voucher series: one per kind of source, so an auditor can follow each stream on its own.
SERIES: dict[str, str] = {
    "M": "Manuella verifikationer",
    "B": "Bank och bankgiro",
    "K": "Kortbetalningar (Stripe)",
    "S": "Swish",
    "F": "Fakturor",
    "A": "Allokeringar",
    "G": "Autogiro",
}


# event -> (debit account, credit account). Amount and dimensions come from the event.
POSTING_RULES: dict[str, tuple[str, str]] = {
    "card_gift": (CARD_PROCESSOR, GIFT_INCOME),
    "card_fee": (FEES, CARD_PROCESSOR),
    "card_payout": (BANK, CARD_PROCESSOR),
    "card_refund": (GIFT_INCOME, CARD_PROCESSOR),
    "card_dispute": (GIFT_INCOME, CARD_PROCESSOR),
    "swish_gift": (BANK, GIFT_INCOME),
    "bankgiro_gift": (BANK, GIFT_INCOME),
    "autogiro_gift": (BANK, GIFT_INCOME),  # an approved debit (payment specification TK82)
    "autogiro_refund": (GIFT_INCOME, BANK),  # a payout or refund to the payer (TK32, TK77)
    "invoice_issued": (RECEIVABLES, GIFT_INCOME),
    "invoice_paid": (BANK, RECEIVABLES),
    "unidentified_payment": (BANK, SUSPENSE),
    "matched_to_income": (SUSPENSE, GIFT_INCOME),
    "matched_to_receivable": (SUSPENSE, RECEIVABLES),
}
