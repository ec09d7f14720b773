"""What a Swish payment books (``webhooks.swish.bookings``) beyond the plain case: the network
and the donor on the income and on a surplus, and a payment the bank reported first, taken as
the callback's own booking only when it is that payment: the same expected payment, amount and
currency, not reversed, not claimed by another request."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, func, select, text

from ledger.db import tables as t
from ledger.services import dimensions, expected, posting, users
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Tx, camt_bytes
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)
from webhooks.swish import bookings, refunds

DAY = date(2026, 12, 1)


def _lines_of(engine: Engine, prefix: str) -> list[tuple]:
    """(account, debit, credit, network slug, contributor id) of the entries keyed ``prefix``."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT l.account, l.debit_ore, l.credit_ore, n.slug, l.contributor_id "
                "FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id "
                "LEFT JOIN networks n ON n.id = l.network_id "
                "WHERE e.source_key LIKE :p ORDER BY e.id, l.line_no"
            ),
            {"p": f"{prefix}%"},
        )
        return [tuple(r) for r in rows]


def _contributor(engine: Engine, public_id: str) -> int:
    with engine.connect() as conn:
        found = conn.scalar(
            select(t.gifts.c.contributor_id).where(t.gifts.c.public_id == public_id)
        )
    assert found is not None
    return int(found)


def _bank_first(swish, engine: Engine, gift: str, ore: int, ref: str, day: date = DAY) -> int:
    """The bank's camt reports a Swish payment for ``gift`` before any callback: its entry."""
    reference = swish.expected_of(gift).reference
    tx = Tx(ore, ref, message=reference, clearing_ref="44694114760934" + ref[-2:])
    import_ours(engine, camt_bytes([Entry((tx,), day, f"N-{ref}", swish=True)]), f"{ref}.xml")
    with engine.connect() as conn:
        entry = conn.scalar(
            select(t.bank_lines.c.entry_id).where(t.bank_lines.c.key.like("swish:%" + ref[-2:]))
        )
    assert entry is not None
    return int(entry)


def test_a_swish_gift_is_income_of_its_network_and_its_donor(swish, engine):
    gift = swish.gift(25_000, network="palestina")
    instruction_id = swish.start(gift)
    assert swish.fake.complete(instruction_id, "PAID") == 200
    who = _contributor(engine, gift)
    assert _lines_of(engine, "swish:") == [
        ("1930", 25_000, 0, None, None),
        ("3993", 0, 25_000, "palestina", who),
    ]


def test_a_surplus_leaves_the_networks_income_of_that_donor(swish, engine):
    gift = swish.gift(10_000, network="palestina")
    first = swish.start(gift, payer="0701234567")
    second = swish.start(gift, payer="0731234567")
    swish.fake.complete(first, "PAID")
    swish.fake.complete(second, "PAID")
    who = _contributor(engine, gift)
    assert _lines_of(engine, "swish-surplus:") == [
        ("3993", 10_000, 0, "palestina", who),
        ("2890", 0, 10_000, None, None),
    ]


def test_a_bank_report_of_another_gift_is_not_taken_for_this_callbacks_payment(swish, engine):
    reported = swish.gift(30_000)
    swish.start(reported)
    _bank_first(swish, engine, reported, 30_000, "SW11")
    other = swish.gift(30_000)
    instruction_id = swish.start(other)
    assert swish.fake.complete(instruction_id, "PAID") == 200
    assert len(_lines_of(engine, "swish:")) == 4  # two payments, two entries
    assert swish.expected_of(other).paid_ore == 30_000


def test_a_bank_report_of_another_amount_is_not_taken_for_the_callbacks_payment(swish, engine):
    gift = swish.gift(30_000)
    instruction_id = swish.start(gift)
    bank_entry = _bank_first(swish, engine, gift, 20_000, "SW12")
    assert swish.fake.complete(instruction_id, "PAID") == 200
    assert swish.payment(instruction_id).entry_id != bank_entry


def test_a_bank_report_already_claimed_by_one_request_is_not_taken_by_another(swish, engine):
    gift = swish.gift(10_000)
    first = swish.start(gift, payer="0701234567")
    second = swish.start(gift, payer="0731234567")
    bank_entry = _bank_first(swish, engine, gift, 10_000, "SW13")
    swish.fake.complete(first, "PAID")
    swish.fake.complete(second, "PAID")
    claimed = [swish.payment(first).entry_id, swish.payment(second).entry_id]
    assert claimed.count(bank_entry) == 1
    assert None not in claimed


def test_a_new_swish_donor_becomes_a_contributor_with_the_gifts_name_kind_and_e_mail(swish, engine):
    gift = swish.gift(25_000)
    swish.fake.complete(swish.start(gift), "PAID")
    who = _contributor(engine, gift)
    with engine.connect() as conn:
        row = conn.execute(
            select(t.contributors.c.kind, t.contributors.c.name, t.contributors.c.email).where(
                t.contributors.c.id == who
            )
        ).one()
    assert tuple(row) == ("person", "Sara Lind", "sara@example.se")
    assert _lines_of(engine, "swish:")[1][4] == who


def test_a_returning_swish_donor_is_booked_to_the_contributor_of_their_first_gift(swish, engine):
    first = swish.gift(25_000)
    swish.fake.complete(swish.start(first), "PAID")
    second = swish.gift(15_000, network="colombia")
    swish.fake.complete(swish.start(second), "PAID")
    who = _contributor(engine, first)
    assert _contributor(engine, second) == who
    assert _lines_of(engine, "swish:") == [
        ("1930", 25_000, 0, None, None),
        ("3993", 0, 25_000, "palestina", who),
        ("1930", 15_000, 0, None, None),
        ("3993", 0, 15_000, "colombia", who),
    ]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.contributors)) == 1


def test_a_swish_gift_is_booked_on_the_swedish_day_it_was_paid_with_its_reference(swish, engine):
    gift = swish.gift(25_000)
    instruction_id = swish.start(gift)
    obj = swish.fake.payments[instruction_id]
    obj.update(status="PAID", paymentReference="A" * 32, datePaid="2026-12-01T23:30:00Z")
    assert swish.fake.notify(obj) == 200
    reference = swish.payment(instruction_id).payee_payment_reference
    with engine.connect() as conn:
        row = conn.execute(
            select(
                t.journal_entries.c.date,
                t.journal_entries.c.text,
                t.journal_entries.c.series,
                t.journal_entries.c.source_kind,
            ).where(t.journal_entries.c.source_key == "swish:" + "A" * 32)
        ).one()
    assert tuple(row) == (date(2026, 12, 2), f"Swishgåva {reference} ({'A' * 32})", "S", "swish")
    assert swish.gift_status(gift) == "paid"


def _known_donors(engine: Engine, gift: str, *, gifts: str | None, expects: str) -> dict[str, int]:
    """Contributors named before the payment: ``expects`` on the gift's expected payment (a
    donor finance knows), ``gifts`` (if given) already on the gift itself; their ids by name."""
    with engine.begin() as conn:
        ids = {
            name: dimensions.create_contributor(conn, "organisation", name, f"{name}@example.se")
            for name in filter(None, (gifts, expects))
        }
        gift_id = conn.scalar(select(t.gifts.c.id).where(t.gifts.c.public_id == gift))
        conn.execute(
            t.expected_payments.update()
            .where(t.expected_payments.c.gift_id == gift_id)
            .values(contributor_id=ids[expects])
        )
        if gifts is not None:
            conn.execute(
                t.gifts.update().where(t.gifts.c.id == gift_id).values(contributor_id=ids[gifts])
            )
    return ids


def _contributor_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.contributors)) or 0)


def test_a_swish_gift_is_income_of_the_donor_its_expected_payment_names(swish, engine):
    gift = swish.gift(25_000)
    ids = _known_donors(engine, gift, gifts=None, expects="kyrkan")
    assert swish.fake.complete(swish.start(gift), "PAID") == 200
    assert _lines_of(engine, "swish:") == [
        ("1930", 25_000, 0, None, None),
        ("3993", 0, 25_000, "palestina", ids["kyrkan"]),
    ]
    assert _contributor(engine, gift) == ids["kyrkan"]  # the gift learns its donor too
    assert _contributor_count(engine) == 1  # nobody new made from the gift's e-mail


def test_a_gifts_donor_already_recorded_is_never_replaced_by_its_payment(swish, engine):
    gift = swish.gift(25_000)
    ids = _known_donors(engine, gift, gifts="skolan", expects="kyrkan")
    assert swish.fake.complete(swish.start(gift), "PAID") == 200
    assert _contributor(engine, gift) == ids["skolan"]
    assert _lines_of(engine, "swish:")[1] == ("3993", 0, 25_000, "palestina", ids["kyrkan"])
    assert _contributor_count(engine) == 2


def test_a_payment_after_its_gift_was_refunded_is_suspense_and_the_gift_stays_refunded(
    swish, engine
):
    gift = swish.gift(10_000)
    first = swish.start(gift, payer="0701234567")
    second = swish.start(gift, payer="0731234567")
    assert swish.fake.complete(first, "PAID") == 200
    with engine.begin() as conn:
        refund_id = refunds.start(conn, swish.app.config, first, None)
    assert swish.fake.complete_refund(refund_id) == 200
    assert swish.gift_status(gift) == "refunded"

    assert swish.fake.complete(second, "PAID") == 200

    assert swish.gift_status(gift) == "refunded"  # a refunded gift is final
    who = _contributor(engine, gift)
    assert _lines_of(engine, "swish-surplus:") == [
        ("3993", 10_000, 0, "palestina", who),
        ("2890", 0, 10_000, None, None),
    ]
    assert swish.payment(second).status == "PAID"


def test_a_bank_booking_that_was_reversed_is_not_taken_for_the_callbacks_payment(swish, engine):
    gift = swish.gift(30_000)
    instruction_id = swish.start(gift)
    bank_entry = _bank_first(swish, engine, gift, 30_000, "SW21")
    with engine.begin() as conn:
        key = conn.scalar(select(t.bank_lines.c.key).where(t.bank_lines.c.entry_id == bank_entry))
        reversal = posting.reverse(conn, bank_entry, on=DAY, text_="Felbokad bankrad")
        expected.reverse_receipt(conn, str(key), reversal_entry_id=reversal.id)
    assert swish.expected_of(gift).paid_ore == 0

    assert swish.fake.complete(instruction_id, "PAID") == 200

    entry_id = swish.payment(instruction_id).entry_id
    assert entry_id not in (None, bank_entry, reversal.id)
    reference = swish.payment(instruction_id).payment_reference
    with engine.connect() as conn:
        assert (
            conn.scalar(
                select(t.journal_entries.c.source_key).where(t.journal_entries.c.id == entry_id)
            )
            == f"swish:{reference}"
        )
    assert (swish.expected_of(gift).paid_ore, swish.expected_of(gift).status) == (30_000, "paid")
    assert _lines_of(engine, "swish-surplus:") == []


def test_a_bank_booking_reversed_through_the_api_is_neither_counted_nor_taken_for_the_callback(
    swish, engine
):
    """A correction through ``POST /api/v1/entries/<id>/reverse`` takes back what the entry paid
    on its expected payment, as the desk's undo does: the gift is open again, and the callback
    that follows books the payment itself instead of confirming it against a reversed entry."""
    gift = swish.gift(30_000)
    instruction_id = swish.start(gift)
    bank_entry = _bank_first(swish, engine, gift, 30_000, "SW23")
    assert swish.expected_of(gift).paid_ore == 30_000
    with engine.begin() as conn:
        users.create_user(conn, "finance@kassan.test", "long-enough-password", "finance")
        token = users.create_token(conn, "finance@kassan.test", "test")

    answer = swish.app.test_client().post(
        f"/api/v1/entries/{bank_entry}/reverse",
        json={"date": DAY.isoformat(), "text": "Felbokad bankrad"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.get_json()
    reversal_id = answer.get_json()["id"]
    paid = swish.expected_of(gift)
    assert (paid.paid_ore, paid.status) == (0, "open")
    with engine.connect() as conn:
        assert conn.execute(
            select(
                t.expected_payment_receipts.c.entry_id,
                t.expected_payment_receipts.c.reversal_entry_id,
            ).where(t.expected_payment_receipts.c.entry_id == bank_entry)
        ).all() == [(bank_entry, reversal_id)]

    assert swish.fake.complete(instruction_id, "PAID") == 200

    entry_id = swish.payment(instruction_id).entry_id
    assert entry_id not in (None, bank_entry, reversal_id)
    reference = swish.payment(instruction_id).payment_reference
    donor = _contributor(engine, gift)
    assert _lines_of(engine, f"swish:{reference}") == [
        ("1930", 30_000, 0, None, None),
        ("3993", 0, 30_000, "palestina", donor),
    ]
    with engine.connect() as conn:
        assert (
            conn.scalar(
                select(t.journal_entries.c.id).where(
                    t.journal_entries.c.source_key == f"swish:{reference}"
                )
            )
            == entry_id
        )
    paid = swish.expected_of(gift)
    assert (paid.paid_ore, paid.status) == (30_000, "paid")


def test_two_bank_reports_of_one_gift_are_taken_by_its_two_callbacks_oldest_first(swish, engine):
    gift = swish.gift(10_000)
    first = swish.start(gift, payer="0701234567")
    second = swish.start(gift, payer="0731234567")
    early = _bank_first(swish, engine, gift, 10_000, "SW31")
    late = _bank_first(swish, engine, gift, 10_000, "SW32", day=date(2026, 12, 2))
    before = _lines_of(engine, "swish")
    assert swish.gift_status(gift) == "paid"  # the bank's import moved the gift already

    assert swish.fake.complete(first, "PAID") == 200
    assert swish.payment(first).entry_id == early
    assert swish.fake.complete(second, "PAID") == 200
    assert swish.payment(second).entry_id == late

    assert _lines_of(engine, "swish") == before  # nothing booked a second time
    assert swish.gift_status(gift) == "paid"


def test_a_bankgiro_payment_of_the_gift_is_not_taken_for_its_swish_callback(swish, engine):
    gift = swish.gift(30_000)
    instruction_id = swish.start(gift)
    reference = swish.expected_of(gift).reference
    tx = Tx(30_000, "BG1", ocr=reference)
    import_ours(engine, camt_bytes([Entry((tx,), DAY, "N-BG1")]), "bg.xml")
    with engine.connect() as conn:
        bank_entry = conn.scalar(select(t.bank_lines.c.entry_id))
    assert bank_entry is not None

    assert swish.fake.complete(instruction_id, "PAID") == 200

    assert swish.payment(instruction_id).entry_id not in (None, bank_entry)
    who = _contributor(engine, gift)
    assert _lines_of(engine, "swish-surplus:") == [  # paid twice: the Swish one is surplus
        ("3993", 30_000, 0, "palestina", who),
        ("2890", 0, 30_000, None, None),
    ]


def test_a_payment_is_booked_in_the_currency_of_its_request(swish, engine):
    """Swish itself pays only kronor (the fake refuses anything else, as Swish does), so this
    calls ``book_payment`` with a request in euro directly: the amount keeps its request's
    currency on both lines and on the receipt, never read as kronor."""
    gift = swish.gift(25_000)
    instruction_id = swish.start(gift)
    plan_id = swish.expected_of(gift).id
    with engine.begin() as conn:
        conn.execute(t.gifts.update().where(t.gifts.c.public_id == gift).values(currency="EUR"))
        conn.execute(
            t.swish_payments.update()
            .where(t.swish_payments.c.instruction_id == instruction_id)
            .values(currency="EUR")
        )
        conn.execute(
            t.expected_payments.update()
            .where(t.expected_payments.c.id == plan_id)
            .values(currency="EUR")
        )
        row = conn.execute(
            select(t.swish_payments).where(t.swish_payments.c.instruction_id == instruction_id)
        ).one()
        entry_id = bookings.book_payment(
            conn, row, {"paymentReference": "C" * 32, "datePaid": "2026-12-01T10:00:00Z"}
        )
        booked = conn.execute(
            select(t.journal_lines.c.account, t.journal_lines.c.currency)
            .where(t.journal_lines.c.entry_id == entry_id)
            .order_by(t.journal_lines.c.line_no)
        ).all()
    assert [tuple(r) for r in booked] == [("1930", "EUR"), ("3993", "EUR")]
    plan = swish.expected_of(gift)
    assert (plan.paid_ore, plan.currency, plan.status) == (25_000, "EUR", "paid")
