"""Expected payments in the database: references unique and never reused, receipts recorded
once per payment in the world, and the status following what the ledger received."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from kassan.web.errors import status_of
from ledger.db import tables as t
from ledger.errors import LedgerError, ReceiptConflict
from ledger.money import Money
from ledger.references import is_valid_reference
from ledger.services import expected, gifts, pii, posting
from tests.support.ledger import add_contributor, add_network, gift

CRYPT = pii.cipher({"KASSAN_ENV": "test"})
ON = date(2026, 3, 2)


def _book(conn, ore: int, key: str) -> int:
    return posting.post(conn, gift(ore, on=ON, key=key)).id


def _receive(conn, payment, ore: int, key: str):
    return expected.record_receipt(
        conn,
        payment.id,
        entry_id=_book(conn, ore, key),
        amount=Money(ore),
        source_key=key,
        received_on=ON,
    )


def _invoice(conn, ore: int | None = 500_00, **kw):
    return expected.create(
        conn,
        kind=kw.pop("kind", "invoice"),
        amount=None if ore is None else Money(ore),
        network_id=kw.pop("network_id", None),
        contributor_id=kw.pop("contributor_id", None),
        **kw,
    )


def test_each_expected_payment_gets_its_own_valid_reference(engine):
    with engine.begin() as conn:
        network = add_network(conn, "fred")
        club = add_contributor(conn, "Verkstadsklubben", "organisation")
        first = _invoice(conn, network_id=network, contributor_id=club, due_date=date(2026, 4, 1))
        second = _invoice(conn, None, kind="collection", repeating=True)
    assert first.reference != second.reference
    assert all(is_valid_reference(p.reference) for p in (first, second))
    assert len(first.reference) >= 8 and first.reference[0] != "0"
    assert (first.status, first.paid_ore, first.amount, first.payer_name) == (
        "open",
        0,
        Money(500_00),
        "Verkstadsklubben",
    )
    with engine.connect() as conn:
        assert expected.by_reference(conn, first.reference[:4] + " " + first.reference[4:]) == (
            first
        )
        assert expected.by_id(conn, second.id) == second
        assert expected.by_reference(conn, "655968") is None  # fails the check digit


def test_a_reference_is_never_reused_after_a_rollback_or_a_refused_delete(engine):
    with engine.begin() as conn:
        kept = _invoice(conn)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        _invoice(conn)
        raise RuntimeError("the caller's transaction fails after taking a serial")
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(t.expected_payments.delete().where(t.expected_payments.c.id == kept.id))
    with engine.begin() as conn:
        later = _invoice(conn)
        references = conn.execute(select(t.expected_payments.c.reference)).scalars().all()
    assert later.reference != kept.reference
    assert sorted(references) == sorted([kept.reference, later.reference])
    # the serials come from the counter, not from the rows: a new row follows the last serial
    assert int(later.reference[:-2]) == int(kept.reference[:-2]) + 1


def test_the_database_refuses_a_second_row_with_the_same_reference(engine):
    with engine.begin() as conn:
        first = _invoice(conn)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE reference_counters SET last_value = last_value - 1"))
        _invoice(conn)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.expected_payments)).scalar() == 1
        assert expected.by_reference(conn, first.reference) == first


def test_a_gift_has_only_one_expected_payment_of_its_own(engine):
    with engine.begin() as conn:
        pid = gifts.create_gift(
            conn,
            gifts.validate(
                {
                    "amount": "200",
                    "frequency": "once",
                    "donor_kind": "person",
                    "donor_name": "Anna Andersson",
                    "donor_email": "anna@example.se",
                }
            ),
            network_id=None,
            crypt=CRYPT,
            channel="bankgiro",
        )
        gift_id = gifts.get_gift(conn, pid).id
        made = _invoice(conn, 200_00, kind="gift", gift_id=gift_id)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _invoice(conn, 200_00, kind="gift", gift_id=gift_id)
    with engine.connect() as conn:
        found = expected.by_gift(conn, gift_id)
    assert found == made and found.payer_name == "Anna Andersson"


def test_partial_then_full_payment_moves_open_to_partly_paid_to_paid(engine):
    with engine.begin() as conn:
        invoice = _invoice(conn, 500_00)
        part = _receive(conn, invoice, 200_00, "bank:1")
        assert (part.status, part.paid_ore, part.surplus_ore, part.new) == (
            "partly_paid",
            200_00,
            0,
            True,
        )
        assert part.outstanding == Money(300_00)
        rest = _receive(conn, invoice, 300_00, "bank:2")
    assert (rest.status, rest.paid_ore, rest.surplus) == ("paid", 500_00, Money(0))
    assert rest.outstanding == Money(0)


def test_the_same_payment_reported_twice_counts_once(engine):
    with engine.begin() as conn:
        invoice = _invoice(conn, 500_00)
        entry = _book(conn, 200_00, "swish:ABC")
        first = expected.record_receipt(
            conn,
            invoice.id,
            entry_id=entry,
            amount=Money(200_00),
            source_key="swish:ABC",
            received_on=ON,
        )
        again = expected.record_receipt(
            conn,
            invoice.id,
            entry_id=entry,
            amount=Money(200_00),
            source_key="swish:ABC",
            received_on=ON,
        )
    assert first.new and not again.new
    assert again.paid_ore == 200_00 and again.status == "partly_paid"
    with engine.connect() as conn:
        receipts = conn.execute(select(func.count()).select_from(t.expected_payment_receipts))
        assert receipts.scalar() == 1


def test_a_payment_recorded_against_one_cannot_be_recorded_against_another(engine):
    with engine.begin() as conn:
        one, other = _invoice(conn), _invoice(conn)
        _receive(conn, one, 100_00, "bank:9")
        with pytest.raises(ReceiptConflict) as caught:
            expected.record_receipt(
                conn,
                other.id,
                entry_id=1,
                amount=Money(100_00),
                source_key="bank:9",
                received_on=ON,
            )
    assert caught.value.field == "source_key" and status_of(caught.value) == 409


def test_an_overpayment_leaves_it_paid_and_returns_the_surplus(engine):
    with engine.begin() as conn:
        invoice = _invoice(conn, 500_00)
        _receive(conn, invoice, 400_00, "bank:1")
        over = _receive(conn, invoice, 250_00, "bank:2")
        assert (over.status, over.paid_ore, over.surplus) == ("paid", 500_00, Money(150_00))
        late = _receive(conn, invoice, 100_00, "bank:3")
        assert (late.status, late.paid_ore, late.surplus_ore) == ("paid", 500_00, 100_00)
        replay = expected.record_receipt(
            conn,
            invoice.id,
            entry_id=1,
            amount=Money(250_00),
            source_key="bank:2",
            received_on=ON,
        )
    # a replay gives the first answer, so the caller's suspense booking stays once-only too
    assert (replay.new, replay.surplus_ore) == (False, 150_00)


def test_a_repeating_payment_stays_open_and_adds_up(engine):
    with engine.begin() as conn:
        monthly = _invoice(conn, 200_00, kind="monthly_gift", repeating=True)
        for month in range(3):
            after = _receive(conn, monthly, 200_00, f"bank:m{month}")
        extra = _receive(conn, monthly, 350_00, "bank:extra")
    assert (after.status, after.paid_ore) == ("open", 600_00)
    assert (extra.status, extra.paid_ore, extra.surplus_ore) == ("open", 950_00, 0)
    assert extra.outstanding is None


def test_any_amount_is_paid_by_the_first_payment_and_the_next_is_surplus(engine):
    with engine.begin() as conn:
        open_amount = _invoice(conn, None, kind="gift")
        first = _receive(conn, open_amount, 123_45, "bank:1")
        second = _receive(conn, open_amount, 10_00, "bank:2")
    assert (first.status, first.paid_ore, first.surplus_ore) == ("paid", 123_45, 0)
    assert (second.status, second.paid_ore, second.surplus_ore) == ("paid", 123_45, 10_00)


def test_overdue_payments_are_marked_and_stay_overdue_until_paid_in_full(engine):
    with engine.begin() as conn:
        due = _invoice(conn, 500_00, due_date=date(2026, 3, 31))
        later = _invoice(conn, 500_00, due_date=date(2026, 5, 31))
        _invoice(conn, 200_00, kind="monthly_gift", repeating=True, due_date=date(2026, 1, 1))
        assert expected.mark_overdue(conn, date(2026, 3, 31)) == 0
        assert expected.mark_overdue(conn, date(2026, 4, 1)) == 1
        assert expected.by_id(conn, later.id).status == "open"
        part = _receive(conn, due, 100_00, "bank:1")
        assert (part.status, part.paid_ore) == ("overdue", 100_00)
        full = _receive(conn, due, 400_00, "bank:2")
    assert full.status == "paid"


def test_money_for_a_cancelled_payment_is_all_surplus(engine):
    with engine.begin() as conn:
        invoice = _invoice(conn, 500_00)
        conn.execute(
            t.expected_payments.update()
            .where(t.expected_payments.c.id == invoice.id)
            .values(status="cancelled")
        )
        after = _receive(conn, invoice, 500_00, "bank:1")
    assert (after.status, after.paid_ore, after.surplus_ore) == ("cancelled", 0, 500_00)


def test_open_payments_filter_by_amount_and_kind_for_matching(engine):
    with engine.begin() as conn:
        club = add_contributor(conn, "Byggnads avd 1", "organisation")
        five = _invoice(conn, 500_00, contributor_id=club)
        _invoice(conn, 300_00)
        anything = _invoice(conn, None, kind="collection", repeating=True)
        paid = _invoice(conn, 500_00)
        _receive(conn, paid, 500_00, "bank:1")
        found = expected.open_payments(conn, amount=Money(500_00))
        assert [p.id for p in found] == [five.id, anything.id]
        assert found[0].payer_name == "Byggnads avd 1"
        assert [p.id for p in expected.open_payments(conn, kind="collection")] == [anything.id]
        assert [p.id for p in expected.open_payments(conn, contributor_id=club)] == [five.id]


def test_bad_input_is_refused_with_the_field_named(engine):
    with engine.begin() as conn:
        invoice = _invoice(conn)
        with pytest.raises(LedgerError) as caught:
            _invoice(conn, 0)
        assert caught.value.field == "amount"
        with pytest.raises(LedgerError) as caught:
            expected.record_receipt(
                conn,
                invoice.id,
                entry_id=1,
                amount=Money(100, "EUR"),
                source_key="k",
                received_on=ON,
            )
        assert caught.value.field == "currency"
        with pytest.raises(LedgerError) as caught:
            expected.record_receipt(
                conn, 999_999, entry_id=1, amount=Money(100), source_key="k", received_on=ON
            )
        assert caught.value.field == "expected_payment_id"


def test_concurrent_creations_draw_distinct_serials(engine):
    made: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                with engine.begin() as conn:
                    made.append(_invoice(conn).reference)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    assert len(made) == 20 and len(set(made)) == 20


def _plans(conn) -> list:
    """Five kinds of expected payment: partly and fully paid, overpaid, repeating, any amount,
    cancelled."""
    plans = [
        _invoice(conn, 500_00),
        _invoice(conn, 300_00),
        _invoice(conn, 200_00, kind="monthly_gift", repeating=True),
        _invoice(conn, None, kind="gift"),
        _invoice(conn, 100_00),
    ]
    conn.execute(
        t.expected_payments.update()
        .where(t.expected_payments.c.id == plans[4].id)
        .values(status="cancelled")
    )
    return plans


# (which plan, amount, key suffix): a key twice is the same payment reported twice
PAYMENTS = [(0, 200_00, "a"), (1, 350_00, "b"), (0, 100_00, "c"), (2, 200_00, "d"),
            (3, 40_00, "e"), (2, 200_00, "f"), (3, 10_00, "g"), (4, 100_00, "h"),
            (0, 100_00, "c"), (0, 300_00, "i")]  # fmt: skip


def test_recording_many_receipts_at_once_gives_what_one_at_a_time_gives(engine):
    def fields(r):
        return (r.status, r.paid_ore, r.surplus_ore, r.new)

    with engine.begin() as conn:
        singly, batch = _plans(conn), _plans(conn)
        booked: dict[str, int] = {}

        def receipt(plans, prefix: str, i: int, ore: int, k: str) -> expected.Receipt:
            key = f"{prefix}:{k}"
            booked.setdefault(key, _book(conn, ore, key))
            return expected.Receipt(plans[i].id, booked[key], Money(ore), key, ON)

        for plans, prefix in ((singly, "one"), (batch, "many")):
            expected.record_receipts(conn, [receipt(plans, prefix, 1, 10_00, "before")])
        one = []
        for i, ore, k in PAYMENTS:
            x = receipt(singly, "one", i, ore, k)
            one.append(
                fields(
                    expected.record_receipt(
                        conn,
                        x.expected_id,
                        entry_id=x.entry_id,
                        amount=x.amount,
                        source_key=x.source_key,
                        received_on=ON,
                    )
                )
            )
        many = expected.record_receipts(
            conn, [receipt(batch, "many", *p) for p in [*PAYMENTS, (1, 10_00, "before")]]
        )
        assert [fields(r) for r in many[:-1]] == one
        assert fields(many[-1]) == ("paid", 300_00, 0, False)  # recorded before: nothing new
        assert fields(many[1]) == ("paid", 300_00, 60_00, True)  # 10 + 350 of 300 due
        assert [(p.status, p.paid_ore) for p in (expected.by_id(conn, x.id) for x in batch)] == [
            (p.status, p.paid_ore) for p in (expected.by_id(conn, x.id) for x in singly)
        ]
        count = conn.scalar(select(func.count()).select_from(t.expected_payment_receipts))
        assert count == 2 * (1 + len({k for _, _, k in PAYMENTS}))
        with pytest.raises(ReceiptConflict):
            expected.record_receipts(conn, [receipt(batch, "many", 0, 350_00, "b")])
