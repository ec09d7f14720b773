"""What a matched or unmatched bank line books, through ``posting`` only.

================================ ==================== ==========================================
line                             source key           lines (series B; S for Swish)
================================ ==================== ==========================================
gift, collection, pledge         the line's key       1930 / 3993 (network, contributor)
invoice (kind ``invoice``)       the line's key       1930 / 1510 (contributor)
nothing matched                  the line's key       1930 / 2890
money out                        the line's key       2890 / 1930 (finance allocates it)
beyond what was expected         ``bank-surplus:<key>`` 3993 or 1510 / 2890
================================ ==================== ==========================================

1930 stands for the ledger account of the line's bank account (``bank_accounts``: 1930, 1940,
...; the bankgiro and Swish numbers book to 1930).

The key names the payment in the world (``bank:<AcctSvcrRef>``, ``swish:<16 digits>``,
``bgc:...``), so whichever file arrives first books it and the others confirm it. The entry text
names the line by that key, never by the payer: entries are hash-chained and kept for seven
years, while the payer's name and account stay on the bank line, where they can be erased.
"""

from __future__ import annotations

from ledger.chart import BANK, GIFT_INCOME, RECEIVABLES, SUSPENSE
from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.services.expected import ExpectedPayment
from webhooks.bankfiles.records import SWISH, BankLine

__all__ = ["SOURCE_KIND", "cash_draft", "surplus_draft"]

SOURCE_KIND = "bank"


def _series(line: BankLine) -> str:
    return "S" if line.channel == SWISH else "B"


def _credit_side(expected: ExpectedPayment, amount: Money, slugs: dict[int, str]) -> LineDraft:
    if expected.kind == "invoice":
        return LineDraft.credit(RECEIVABLES, amount, contributor_id=expected.payer_id)
    network = slugs.get(expected.network_id) if expected.network_id is not None else None
    return LineDraft.credit(GIFT_INCOME, amount, network=network, contributor_id=expected.payer_id)


def cash_draft(
    line: BankLine, expected: ExpectedPayment | None, slugs: dict[int, str], bank: str = BANK
) -> Draft:
    """The entry that books this line's money in (or out of) the bank account: ``bank``, the
    ledger account of the line's account (``bank_accounts``; 1930 by default)."""
    amount = Money(abs(line.amount.ore), line.amount.currency)
    if not line.is_credit:
        text = f"Utbetalning, bankrad {line.key}, ej fördelad"
        lines = (LineDraft.debit(SUSPENSE, amount), LineDraft.credit(bank, amount))
    elif expected is None:
        text = f"Oidentifierad inbetalning, bankrad {line.key}"
        lines = (LineDraft.debit(bank, amount), LineDraft.credit(SUSPENSE, amount))
    else:
        what = "Fakturabetalning" if expected.kind == "invoice" else "Gåva"
        text = f"{what} {expected.reference}, bankrad {line.key}"
        lines = (LineDraft.debit(bank, amount), _credit_side(expected, amount, slugs))
    return Draft(
        date=line.booking_date,
        text=text[:500],
        lines=lines,
        series=_series(line),
        source_kind=SOURCE_KIND,
        source_key=line.key,
    )


def surplus_draft(
    line: BankLine, expected: ExpectedPayment, surplus: Money, slugs: dict[int, str]
) -> Draft:
    """Move what the payment brought beyond what was due from income (or 1510) to 2890."""
    credit = _credit_side(expected, surplus, slugs)
    back = LineDraft(
        credit.account,
        surplus.ore,
        0,
        surplus.currency,
        network=credit.network,
        contributor_id=credit.contributor_id,
    )
    return Draft(
        date=line.booking_date,
        text=f"Inbetalning utöver det väntade, {expected.reference}"[:500],
        lines=(back, LineDraft.credit(SUSPENSE, surplus)),
        series=_series(line),
        source_kind=SOURCE_KIND,
        source_key=f"bank-surplus:{line.key}",
    )
