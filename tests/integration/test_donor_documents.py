"""Donor documents from the ledger: gifts net of refunds (card refund, reversal, credit note), the
year a refund belongs to, merged donors, and the receipt and annual statement PDFs read back with
pypdf, field by field; the tax sentence only for persons of an approved gift recipient."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.services import invoices, posting
from reports import donor_documents as docs
from reports import receipt_pdf
from reports.invoice_pdf import Letterhead
from tests.support.invoicing import CONFIG, add_network, add_org, pdf_text
from webhooks.stripe import bookings


def _person(conn, name="Alva Andersson", masked="19811218-****", email="alva@example.se"):
    return conn.execute(
        text(
            "INSERT INTO contributors (kind, name, personnummer_masked, email, created_at) "
            "VALUES ('person', :n, :m, :e, CURRENT_TIMESTAMP) RETURNING id"
        ),
        {"n": name, "m": masked, "e": email},
    ).scalar_one()


def _book(conn, key, kind, series, day, ore, who, *, network="fred", text_="Gåva", cash="1930"):
    """A gift (``ore`` > 0) or a refund (``ore`` < 0) on 3993 for contributor ``who``."""
    amount = Money(abs(ore))
    income = LineDraft(
        "3993",
        0 if ore > 0 else amount.ore,
        amount.ore if ore > 0 else 0,
        network=network,
        contributor_id=who,
    )
    other = LineDraft(cash, amount.ore if ore > 0 else 0, 0 if ore > 0 else amount.ore)
    return posting.post(
        conn,
        Draft(
            date=day,
            text=text_,
            series=series,
            source_kind=kind,
            source_key=key,
            lines=(other, income) if ore > 0 else (income, other),
        ),
    )


@pytest.fixture
def donor(engine):
    """Alva: a card gift in December 2025 refunded in part in January 2026, a bankgiro gift in
    January 2026, a gift that was reversed, and a gift given under a second record later merged."""
    with engine.begin() as conn:
        add_network(conn)
        add_network(conn, "klimat", "Rättvis klimatomställning")
        alva = _person(conn)
        card = _book(
            conn,
            "stripe:charge:ch_1A",
            "stripe",
            "K",
            date(2025, 12, 30),
            500_00,
            alva,
            text_="Kortgåva abc (ch_1A)",
            cash="1580",
        )
        # booked as the Stripe webhooks book it, with its link to the charge
        refunded_at = datetime(2026, 1, 5, 12, tzinfo=UTC)
        bookings.book_refund(
            conn,
            {
                "id": "re_1",
                "charge": "ch_1A",
                "status": "succeeded",
                "amount": 200_00,
                "currency": "sek",
                "created": int(refunded_at.timestamp()),
            },
        )
        bank = _book(
            conn, "bank:REF-1", "bank", "B", date(2026, 1, 2), 1_234_50, alva, network="klimat"
        )
        wrong = _book(conn, "manual:1", "manual", "M", date(2026, 3, 1), 300_00, alva)
        posting.reverse(conn, wrong.id, on=date(2026, 3, 2))
        twin = _person(conn, "Alva A.", None, None)
        _book(conn, "bank:REF-2", "bank", "S", date(2026, 2, 1), 150_00, twin, network=None)
        conn.execute(
            text("UPDATE contributors SET merged_into = :a WHERE id = :b"), {"a": alva, "b": twin}
        )
    return {"id": alva, "card": card, "bank": bank}


def test_a_refund_in_january_lowers_the_december_gift_not_january(engine, donor):
    with engine.connect() as conn:
        gifts = docs.donor_gifts(conn, donor["id"])
        alva = docs.get_donor(conn, donor["id"])
        y2025 = docs.annual_statement(conn, alva, 2025)
        y2026 = docs.annual_statement(conn, alva, 2026)
    card = next(g for g in gifts if g.entry_id == donor["card"].id)
    assert (card.gross, card.returned, card.net) == (Money(500_00), Money(200_00), Money(300_00))
    assert [g.net for g in y2025.gifts] == [Money(300_00)]
    assert y2025.total == Money(300_00)
    # bankgiro 1 234,50 + the merged record's Swish 150 + the reversed gift 0
    assert y2026.total == Money(1_384_50)
    assert sorted(g.net.ore for g in y2026.gifts) == [0, 150_00, 1_234_50]
    assert y2026.tax_basis == Money(1_234_50)  # 150 kr is below 200 kr a gift occasion
    assert docs.years(gifts) == [2026, 2025]


def test_each_gift_knows_its_channel_network_and_voucher(engine, donor):
    with engine.connect() as conn:
        gifts = {g.entry_id: g for g in docs.donor_gifts(conn, donor["id"])}
    card, bank = gifts[donor["card"].id], gifts[donor["bank"].id]
    assert (card.channel, card.network, card.voucher) == ("Kort", "Fred och demokrati", "K1")
    assert (bank.channel, bank.network) == ("Bankgiro", "Rättvis klimatomställning")
    swish = next(g for g in gifts.values() if g.gross == Money(150_00))
    assert (swish.channel, swish.network) == ("Swish", "Där behovet är störst")


def test_a_receipt_is_only_for_the_donors_own_gift(engine, donor):
    with engine.begin() as conn:
        other = _person(conn, "Bo Berg", None, "bo@example.se")
        assert docs.receipt(conn, other, donor["card"].id) is None
        assert docs.receipt(conn, donor["id"], donor["card"].id).net == Money(300_00)
        assert docs.receipt(conn, donor["id"], 999_999) is None


def test_a_credit_note_lowers_the_invoiced_gift_of_an_organisation(engine):
    with engine.begin() as conn:
        add_network(conn)
        org = add_org(conn)
        invoice, _ = invoices.issue(
            conn,
            contributor_id=org,
            network="fred",
            lines=[("Gåva", Money(2_234_50))],
            issue_date=date(2026, 12, 15),
            due_days=30,
        )
        invoices.credit(conn, invoice.number, on=date(2027, 1, 10), amount=Money(345_00))
        metall = docs.get_donor(conn, org)
        statement = docs.annual_statement(conn, metall, 2026)
        assert docs.annual_statement(conn, metall, 2027).gifts == ()
    (gift,) = statement.gifts
    assert (gift.channel, gift.net, statement.total) == (
        "Faktura",
        Money(1_889_50),
        Money(1_889_50),
    )
    assert metall.identity == "Org.nr 802002-1234"


@pytest.fixture
def letterhead():
    return Letterhead.from_config(CONFIG)


def test_the_receipt_pdf_carries_every_field(engine, donor, letterhead):
    with engine.connect() as conn:
        alva = docs.get_donor(conn, donor["id"])
        gift = docs.receipt(conn, donor["id"], donor["bank"].id)
    pdf = receipt_pdf.render_receipt(alva, gift, letterhead, tax=True)
    words = pdf_text(pdf)
    for expected in (
        "Kvitto på gåva",
        "Solidaritetsorganisationen",
        "Box 1234",
        "Org.nr 802000-0000",
        "Givare: Alva Andersson",
        "Personnummer 19811218-****",
        "Gåvodatum 2026-01-02",
        "Belopp 1 234,50 kr",
        "Till nätverk Rättvis klimatomställning",
        "Betalsätt Bankgiro",
        f"Verifikation {gift.voucher} (2026)",
        "Skattereduktion för gåvor",
        "25 procent",
        "högst 3 000,00 kr per år",
        "minst 200,00 kr",
        "minst 2 000,00 kr",
    ):
        assert expected in words, expected
    assert "19811218-" in words and "-****" in words
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert receipt_pdf.receipt_filename(gift) == "kvitto-B1-2026-01-02.pdf"


def test_a_refunded_receipt_shows_what_was_given_back(engine, donor, letterhead):
    with engine.connect() as conn:
        alva = docs.get_donor(conn, donor["id"])
        gift = docs.receipt(conn, donor["id"], donor["card"].id)
    words = pdf_text(receipt_pdf.render_receipt(alva, gift, letterhead, tax=False))
    for expected in (
        "Belopp 300,00 kr",
        "Ursprungligt belopp 500,00 kr",
        "Återbetalt 200,00 kr",
        "Betalsätt Kort",
        "Gåvodatum 2025-12-30",
    ):
        assert expected in words, expected
    assert "Skattereduktion" not in words


def test_the_annual_statement_lists_every_gift_and_the_total(engine, donor, letterhead):
    with engine.connect() as conn:
        alva = docs.get_donor(conn, donor["id"])
        statement = docs.annual_statement(conn, alva, 2026)
    words = pdf_text(receipt_pdf.render_statement(statement, letterhead, tax=True))
    for expected in (
        "Årsbesked 2026",
        "Givare: Alva Andersson",
        "Personnummer 19811218-****",
        "2026-01-02 Rättvis klimatomställning Bankgiro B1 1 234,50 kr",
        "2026-02-01 Där behovet är störst Swish S1 150,00 kr",
        "2026-03-01 Fred och demokrati Manuell bokföring M1 0,00 kr (av 300,00 kr)",
        "Summa 2026 1 384,50 kr",
        "Gåvor som räknas för skattereduktion (minst 200,00 kr per gåvotillfälle): 1 234,50 kr",
        "Vi lämnar uppgift om dina gåvor till Skatteverket",
        "Solidaritetsorganisationen",
        "Org.nr 802000-0000",
    ):
        assert expected in words, expected
    assert receipt_pdf.statement_filename(statement) == "arsbesked-2026.pdf"


def test_the_tax_sentence_is_for_persons_of_an_approved_recipient_only(engine, donor):
    with engine.begin() as conn:
        person = docs.get_donor(conn, donor["id"])
        org = docs.get_donor(conn, add_org(conn))
    approved = {**CONFIG, "TAX_APPROVED_RECIPIENT": True}
    assert receipt_pdf.tax_reduction_applies(approved, person)
    assert not receipt_pdf.tax_reduction_applies(approved, org)
    assert not receipt_pdf.tax_reduction_applies(CONFIG, person)
