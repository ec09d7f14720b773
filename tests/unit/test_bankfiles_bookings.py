"""What a bank line books (``webhooks.bankfiles.bookings``), without a database: the accounts,
the network and contributor the income carries, the series and the text."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from ledger.entries import LineDraft
from ledger.money import Money
from ledger.services.expected import ExpectedPayment
from webhooks.bankfiles.bookings import cash_draft, surplus_draft
from webhooks.bankfiles.records import BANKGIRO, SWISH, BankLine

DAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
SLUGS = {3: "palestina", 4: "colombia"}


def _line(ore: int = 500_00, channel: str = BANKGIRO) -> BankLine:
    return BankLine(
        line_no=1,
        source_line=1,
        key="bgc:9912346:2026-03-16:0001",
        booking_date=DAY,
        amount=Money(ore, "SEK"),
        channel=channel,
    )


def _expected(kind: str = "gift", network_id: int | None = 3) -> ExpectedPayment:
    return ExpectedPayment(
        id=7,
        reference="123456782",
        kind=kind,
        gift_id=None,
        network_id=network_id,
        contributor_id=None,
        amount_ore=500_00,
        currency="SEK",
        due_date=None,
        repeating=False,
        status="open",
        paid_ore=0,
        payer_name="Metall klubb 12",
        payer_id=21,
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_gift_books_the_bank_against_income_of_its_network_and_contributor():
    draft = cash_draft(_line(), _expected(), SLUGS)
    assert draft.lines == (
        LineDraft("1930", 500_00, 0, "SEK"),
        LineDraft("3993", 0, 500_00, "SEK", network="palestina", contributor_id=21),
    )
    assert (draft.series, draft.source_kind, draft.source_key) == (
        "B",
        "bank",
        "bgc:9912346:2026-03-16:0001",
    )
    assert draft.text == "Gåva 123456782, bankrad bgc:9912346:2026-03-16:0001"
    assert draft.date == DAY


def test_a_gift_to_where_it_is_needed_most_carries_no_network():
    draft = cash_draft(_line(), _expected(network_id=None), {None: "fel"})  # type: ignore[dict-item]
    assert draft.lines[1] == LineDraft("3993", 0, 500_00, "SEK", contributor_id=21)


def test_an_invoice_payment_books_the_bank_against_receivables_of_the_payer():
    draft = cash_draft(_line(), _expected("invoice"), SLUGS, bank="1940")
    assert draft.lines == (
        LineDraft("1940", 500_00, 0, "SEK"),
        LineDraft("1510", 0, 500_00, "SEK", contributor_id=21),
    )
    assert draft.text.startswith("Fakturabetalning 123456782, bankrad ")


def test_a_swish_line_books_in_the_swish_series():
    assert cash_draft(_line(channel=SWISH), None, SLUGS).series == "S"
    assert cash_draft(_line(channel=BANKGIRO), None, SLUGS).series == "B"


def test_an_unmatched_line_books_to_suspense_and_money_out_from_suspense():
    money_in = cash_draft(_line(), None, SLUGS)
    assert money_in.lines == (
        LineDraft("1930", 500_00, 0, "SEK"),
        LineDraft("2890", 0, 500_00, "SEK"),
    )
    assert money_in.text == "Oidentifierad inbetalning, bankrad bgc:9912346:2026-03-16:0001"
    money_out = cash_draft(_line(-500_00), _expected(), SLUGS)
    assert money_out.lines == (
        LineDraft("2890", 500_00, 0, "SEK"),
        LineDraft("1930", 0, 500_00, "SEK"),
    )
    assert money_out.text == "Utbetalning, bankrad bgc:9912346:2026-03-16:0001, ej fördelad"


def test_a_surplus_moves_back_from_the_networks_income_to_suspense():
    draft = surplus_draft(_line(600_00), _expected(), Money(100_00, "SEK"), SLUGS)
    assert draft.lines == (
        LineDraft("3993", 100_00, 0, "SEK", network="palestina", contributor_id=21),
        LineDraft("2890", 0, 100_00, "SEK"),
    )
    assert draft.source_key == "bank-surplus:bgc:9912346:2026-03-16:0001"
    assert draft.text == "Inbetalning utöver det väntade, 123456782"
    assert draft.series == "B"


def test_an_entry_text_is_cut_at_500_characters():
    long_ref = dataclasses.replace(_expected(), reference="1" * 600)
    assert len(surplus_draft(_line(), long_ref, Money(1, "SEK"), SLUGS).text) == 500
    assert len(cash_draft(_line(), long_ref, SLUGS).text) == 500
