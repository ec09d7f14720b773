"""The chart of accounts (BAS) Kassan starts from, the voucher series, and the posting rules.

The accounts are seeded by the first migration; ``POSTING_RULES`` is the one place that says
which accounts an event moves, so that handlers never spell account numbers themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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


# BAS 2026 names, Swedish as the bookkeeping program shows them.
BAS_ACCOUNTS: tuple[AccountDef, ...] = (
    AccountDef("1510", "Kundfordringar", AccountType.ASSET),
    AccountDef("1580", "Fordringar för kontokort och kuponger", AccountType.ASSET),
    AccountDef("1910", "Kassa", AccountType.ASSET),
    AccountDef("1930", "Företagskonto/checkkonto/affärskonto", AccountType.ASSET),
    AccountDef("2069", "Årets resultat (ideell förening)", AccountType.EQUITY),
    AccountDef("2070", "Ändamålsbestämda medel", AccountType.EQUITY),
    AccountDef("2099", "Årets resultat", AccountType.EQUITY),
    AccountDef(
        "2890", "Övriga kortfristiga skulder (oidentifierade inbetalningar)", AccountType.LIABILITY
    ),
    AccountDef("3993", "Erhållna gåvor och bidrag", AccountType.INCOME),
    AccountDef("6570", "Bankkostnader", AccountType.EXPENSE),
)

# Voucher series: one per kind of source, so an auditor can follow each stream on its own.
SERIES: dict[str, str] = {
    "M": "Manuella verifikationer",
    "B": "Bank och bankgiro",
    "K": "Kortbetalningar (Stripe)",
    "S": "Swish",
    "F": "Fakturor",
    "A": "Allokeringar",
}


# event -> (debit account, credit account). Amount and dimensions come from the event.
POSTING_RULES: dict[str, tuple[str, str]] = {
    "card_gift": ("1580", "3993"),
    "card_fee": ("6570", "1580"),
    "card_payout": ("1930", "1580"),
    "card_refund": ("3993", "1580"),
    "card_dispute": ("3993", "1580"),
    "swish_gift": ("1930", "3993"),
    "bankgiro_gift": ("1930", "3993"),
    "invoice_issued": ("1510", "3993"),
    "invoice_paid": ("1930", "1510"),
    "unidentified_payment": ("1930", "2890"),
    "matched_to_income": ("2890", "3993"),
    "matched_to_receivable": ("2890", "1510"),
}
