"""Pledges against a real database: instalments and their OCR references, validation that names
each field, and statuses that follow what the ledger receives (bankgiro, invoice, card)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import PledgeInvalid
from ledger.money import Money
from ledger.references import is_valid_reference
from ledger.services import expected, invoices, pledge_status, pledges, posting
from tests.support.invoicing import add_network, add_org


@pytest.fixture
def org(engine):
    with engine.begin() as conn:
        add_network(conn)
        return add_org(conn)


def _pledge(engine, org, **overrides):
    form = {
        "contributor_id": str(org),
        "network": "fred",
        "amount": "1 500",
        "period": "month",
        "start_date": "2027-01-31",
        "instalments": "3",
        "payment_way": "bankgiro",
        **overrides,
    }
    with engine.begin() as conn:
        return pledges.create(conn, pledges.validate(form))


def test_a_bankgiro_pledge_gives_every_instalment_its_own_ocr_reference(engine, org):
    pledge_id = _pledge(engine, org)
    with engine.connect() as conn:
        view = pledge_status.get(conn, pledge_id, today=date(2027, 1, 1))
        kinds = conn.execute(select(t.expected_payments.c.kind)).scalars().all()
    assert [i.due_date for i in view.instalments] == [
        date(2027, 1, 31),
        date(2027, 2, 28),  # the 31st falls on the month's last day
        date(2027, 3, 31),
    ]
    refs = [i.reference for i in view.instalments]
    assert len(set(refs)) == 3 and all(r and is_valid_reference(r) for r in refs)
    assert kinds == ["pledge"] * 3
    assert view.promised == Money(450_000)
    assert view.status == "open"


def test_an_invoice_pledge_gets_its_references_only_when_invoiced(engine, org):
    pledge_id = _pledge(engine, org, payment_way="invoice", period="quarter", instalments="4")
    with engine.connect() as conn:
        view = pledge_status.get(conn, pledge_id, today=date(2027, 1, 1))
        count = conn.execute(select(func.count()).select_from(t.expected_payments)).scalar()
    assert count == 0
    assert [i.due_date.month for i in view.instalments] == [1, 4, 7, 10]
    assert all(i.reference is None and i.status == "open" for i in view.instalments)


def test_an_end_date_decides_how_many_instalments_there_are(engine, org):
    pledge_id = _pledge(
        engine, org, period="year", start_date="2027-03-01", end_date="2030-02-28", instalments=""
    )
    with engine.connect() as conn:
        view = pledge_status.get(conn, pledge_id, today=date(2027, 1, 1))
    assert [i.due_date.year for i in view.instalments] == [2027, 2028, 2029]
    assert view.instalment_count == 3


def test_a_bad_pledge_names_every_field_in_swedish():
    with pytest.raises(PledgeInvalid) as caught:
        pledges.validate(
            {
                "contributor_id": "x",
                "amount": "tusen",
                "period": "week",
                "start_date": "31/1/2027",
                "payment_way": "cash",
                "instalments": "3",
            }
        )
    errors = caught.value.errors
    assert set(errors) == {"contributor_id", "amount", "period", "start_date", "payment_way"}
    assert "ÅÅÅÅ-MM-DD" in errors["start_date"]
    assert caught.value.field == "contributor_id"


def test_a_pledge_needs_an_end_or_a_count_but_not_both():
    base = {"contributor_id": 1, "amount_ore": 100, "period": "month", "payment_way": "card"}
    with pytest.raises(PledgeInvalid) as neither:
        pledges.validate({**base, "start_date": "2027-01-01"})
    assert "end_date" in neither.value.errors
    with pytest.raises(PledgeInvalid) as both:
        pledges.validate(
            {**base, "start_date": "2027-01-01", "end_date": "2027-12-31", "instalments": 2}
        )
    assert "instalments" in both.value.errors


def test_an_unknown_network_or_contributor_is_refused_and_nothing_is_stored(engine, org):
    with pytest.raises(PledgeInvalid) as caught:
        _pledge(engine, org, network="saknas")
    assert caught.value.field == "network"
    with pytest.raises(PledgeInvalid) as who:
        _pledge(engine, org + 99)
    assert who.value.field == "contributor_id"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.pledges)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(t.expected_payments)).scalar() == 0


def test_bankgiro_instalments_follow_their_receipts_and_the_calendar(engine, org):
    pledge_id = _pledge(engine, org)
    with engine.connect() as conn:
        first, second, _ = pledge_status.get(conn, pledge_id, today=date(2027, 1, 1)).instalments
    for inst, ore, key in ((first, 150_000, "bank:1"), (second, 50_000, "bank:2")):
        with engine.begin() as conn:
            entry = posting.post(
                conn,
                Draft(
                    date(2027, 2, 1),
                    "OCR",
                    (LineDraft("1930", ore, 0), LineDraft("3993", 0, ore, network="fred")),
                    series="B",
                    source_key=key,
                ),
            )
            ep = expected.by_reference(conn, inst.reference)
            expected.record_receipt(
                conn,
                ep.id,
                entry_id=entry.id,
                amount=Money(ore),
                source_key=key,
                received_on=date(2027, 2, 1),
            )
    with engine.connect() as conn:
        early = pledge_status.get(conn, pledge_id, today=date(2027, 2, 15))
        late = pledge_status.get(conn, pledge_id, today=date(2027, 3, 5))
    assert [i.status for i in early.instalments] == ["paid", "partly_paid", "open"]
    assert [i.status for i in late.instalments] == ["paid", "overdue", "open"]
    assert late.paid == Money(200_000)
    assert late.overdue == Money(100_000)
    assert late.status == "overdue"


def test_card_instalments_are_paid_oldest_first_by_the_contributors_card_gifts(engine, org):
    pledge_id = _pledge(engine, org, payment_way="card", amount="100")
    with engine.begin() as conn:
        for n, ore in enumerate((10_000, 5_000), 1):
            posting.post(
                conn,
                Draft(
                    date(2027, 2, n),
                    "Kortgåva",
                    (
                        LineDraft("1580", ore, 0),
                        LineDraft("3993", 0, ore, network="fred", contributor_id=org),
                    ),
                    series="K",
                    source_key=f"stripe:test:{n}",
                ),
            )
        # a card gift to another network does not count
        posting.post(
            conn,
            Draft(
                date(2027, 2, 3),
                "Kortgåva",
                (LineDraft("1580", 9_900, 0), LineDraft("3993", 0, 9_900, contributor_id=org)),
                series="K",
                source_key="stripe:test:other",
            ),
        )
    with engine.connect() as conn:
        view = pledge_status.get(conn, pledge_id, today=date(2027, 3, 1))
    assert [(i.paid_ore, i.status) for i in view.instalments] == [
        (10_000, "paid"),
        (5_000, "overdue"),
        (0, "open"),
    ]
    assert view.paid == Money(15_000)


def test_a_wholly_credited_invoice_writes_off_its_instalment(engine, org):
    from ledger.services import invoice_run

    pledge_id = _pledge(engine, org, payment_way="invoice", instalments="2")
    with engine.begin() as conn:
        first = conn.execute(
            select(t.pledge_instalments.c.id).order_by(t.pledge_instalments.c.seq)
        ).scalar()
        invoice, _ = invoice_run.issue_instalment(conn, first, on=date(2027, 1, 2), due_days=30)
        invoices.credit(conn, invoice.number, on=date(2027, 1, 5), reason="Fel belopp")
    with engine.connect() as conn:
        view = pledge_status.get(conn, pledge_id, today=date(2027, 6, 1))
    assert view.instalments[0].status == "written_off"
    assert view.instalments[0].invoiced_ore == 0
    assert view.invoiced == Money(0)
    assert view.overdue == Money(0)
