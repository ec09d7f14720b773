"""The Stripe bookings on their own, below the webhook: what a charge, its fee and a payout book,
what a charge's booked gift says about its network and donor, and how a booked refund or payout
is undone (once, on the right day, with its own text, also when another applier was first)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ledger.entries import Draft, LineDraft
from ledger.errors import LedgerError
from ledger.services import dimensions, journal, posting
from tests.support.stripe_events import network_id_fixture  # noqa: F401 (fixture)
from webhooks.stripe import bookings

NOV_20 = int(datetime(2026, 11, 20, 10, 0, tzinfo=UTC).timestamp())
NOV_21_LATE = int(datetime(2026, 11, 21, 23, 30, tzinfo=UTC).timestamp())  # 00:30 on the 22nd


def _charge(charge_id: str, amount: int, fee: int, currency: str = "sek") -> dict:
    return {
        "id": charge_id,
        "amount": amount,
        "currency": currency,
        "created": NOV_20,
        "balance_transaction": {
            "id": f"txn_{charge_id}",
            "fee": fee,
            "currency": currency,
            "created": NOV_21_LATE,
        },
    }


def _lines(entry):
    return [(ln.account, ln.debit_ore, ln.credit_ore, ln.currency) for ln in entry.lines]


def _donor(conn) -> int:
    return dimensions.create_contributor(conn, "person", "Sara Lind", "sara@example.se")


def test_a_card_gift_in_euro_is_booked_in_euro_on_every_line_its_fee_too(engine, network_id):
    with engine.begin() as conn:
        bookings.book_charge(
            conn, _charge("ch_eur", 5_000, 190, "eur"), network=None, contributor_id=None, label="g"
        )
        gift = journal.find_by_source_key(conn, "stripe:charge:ch_eur")
        fee = journal.find_by_source_key(conn, "stripe:fee:txn_ch_eur")

    assert _lines(gift) == [("1580", 5_000, 0, "EUR"), ("3993", 0, 5_000, "EUR")]
    assert _lines(fee) == [("6570", 190, 0, "EUR"), ("1580", 0, 190, "EUR")]


def test_the_fee_is_booked_on_the_swedish_day_of_its_balance_transaction(engine, network_id):
    with engine.begin() as conn:
        bookings.book_charge(
            conn,
            _charge("ch_day", 50_000, 930),
            network="palestina",
            contributor_id=None,
            label="g",
        )
        gift = journal.find_by_source_key(conn, "stripe:charge:ch_day")
        fee = journal.find_by_source_key(conn, "stripe:fee:txn_ch_day")

    assert (gift.date, gift.text) == (date(2026, 11, 20), "Kortgåva g (ch_day)")
    assert (fee.date, fee.text) == (date(2026, 11, 22), "Stripe-avgift g (txn_ch_day)")


def test_a_charge_without_a_fee_books_the_gift_and_no_fee_entry(engine, network_id):
    with engine.begin() as conn:
        bookings.book_charge(
            conn, _charge("ch_free", 50_000, 0), network="palestina", contributor_id=None, label="g"
        )
        assert journal.find_by_source_key(conn, "stripe:fee:txn_ch_free") is None
        gift = journal.find_by_source_key(conn, "stripe:charge:ch_free")

    assert _lines(gift) == [("1580", 50_000, 0, "SEK"), ("3993", 0, 50_000, "SEK")]


def test_a_charges_gift_names_its_network_and_donor_and_an_unbooked_charge_none(engine, network_id):
    with engine.begin() as conn:
        donor = _donor(conn)
        bookings.book_charge(
            conn,
            _charge("ch_dims", 50_000, 930),
            network="palestina",
            contributor_id=donor,
            label="g",
        )
        bookings.book_charge(
            conn, _charge("ch_free", 20_000, 0), network=None, contributor_id=None, label="h"
        )

        assert bookings.gift_dimensions(conn, "ch_dims") == {
            "network": "palestina",
            "contributor_id": donor,
        }
        assert bookings.gift_dimensions(conn, "ch_free") == {
            "network": None,
            "contributor_id": None,
        }
        assert bookings.gift_dimensions(conn, "ch_never") is None
        entry_id, dims = bookings.booked_gift(conn, "ch_dims")
        booked = journal.find_by_source_key(conn, "stripe:charge:ch_dims")

    assert (entry_id, dims) == (booked.id, {"network": "palestina", "contributor_id": donor})


def test_a_charge_key_whose_entry_books_no_gift_income_is_refused_naming_the_key(engine):
    money = LineDraft("1580", 50_000, 0), LineDraft("2890", 0, 50_000)
    with engine.begin() as conn:
        wrong = posting.post(
            conn,
            Draft(
                date=date(2026, 11, 20),
                text="Fel konto",
                lines=money,
                series="K",
                source_kind="stripe",
                source_key="stripe:charge:ch_wrong",
            ),
        )
        with pytest.raises(LedgerError) as refused:
            bookings.gift_dimensions(conn, "ch_wrong")

    assert (refused.value.message, refused.value.field) == (
        f"entry {wrong.voucher} books no gift income",
        "source_key",
    )


def test_a_payout_is_booked_once_and_only_the_first_booking_says_so(engine):
    payout = {"id": "po_once", "amount": 49_070, "currency": "sek", "arrival_date": NOV_20}
    with engine.begin() as conn:
        first = bookings.book_payout(conn, payout)
        again = bookings.book_payout(conn, payout)
        booked = journal.find_by_source_key(conn, "stripe:payout:po_once")

    assert (first, again) == (True, False)
    assert _lines(booked) == [("1930", 49_070, 0, "SEK"), ("1580", 0, 49_070, "SEK")]


def _refund_booked(conn, network_id) -> int:
    donor = _donor(conn)
    bookings.book_charge(
        conn, _charge("ch_r", 50_000, 930), network="palestina", contributor_id=donor, label="g"
    )
    refund = {
        "id": "re_1",
        "charge": "ch_r",
        "amount": 20_000,
        "currency": "sek",
        "status": "pending",
        "created": NOV_20,
    }
    assert bookings.book_refund(conn, refund) is True
    return donor


def test_an_undone_refund_is_reversed_once_on_the_day_heard_with_its_own_text(engine, network_id):
    with engine.begin() as conn:
        donor = _refund_booked(conn, network_id)
        failed = {"id": "re_1", "charge": "ch_r", "status": "failed"}
        undone = bookings.book_refund(conn, failed, date(2026, 11, 25))
        again = bookings.book_refund(conn, failed, date(2026, 11, 26))
        refund = journal.find_by_source_key(conn, "stripe:refund:re_1")
        reversal = journal.find_by_source_key(conn, f"reversal:{refund.id}")
        key = bookings.reversal_key(conn, "stripe:refund:re_1")

    assert (undone, again) == (True, False)
    assert key == f"reversal:{refund.id}"
    assert reversal.date == date(2026, 11, 25)
    assert reversal.text == "Återbetalning misslyckades, gåvan står kvar (ch_r, re_1)"
    assert [
        (ln.account, ln.debit_ore, ln.credit_ore, ln.network_id, ln.contributor_id)
        for ln in reversal.lines
    ] == [
        ("3993", 0, 20_000, network_id, donor),
        ("1580", 20_000, 0, None, None),
    ]


def test_an_undoing_heard_before_the_entrys_day_is_dated_on_the_entrys_day(engine, network_id):
    with engine.begin() as conn:
        _refund_booked(conn, network_id)
        assert bookings.undo(conn, "stripe:refund:re_1", date(2026, 11, 1), "Ångrad") is True
        refund = journal.find_by_source_key(conn, "stripe:refund:re_1")
        reversal = journal.find_by_source_key(conn, f"reversal:{refund.id}")

    assert (reversal.date, reversal.text) == (date(2026, 11, 20), "Ångrad")


def test_nothing_booked_and_nothing_reversed_has_no_reversal_and_is_not_undone(engine, network_id):
    with engine.begin() as conn:
        _refund_booked(conn, network_id)
        assert bookings.reversal_key(conn, "stripe:refund:re_never") is None
        assert bookings.reversal_key(conn, "stripe:refund:re_1") is None
        assert bookings.undo(conn, "stripe:refund:re_never", date(2026, 11, 25), "x") is False


def test_an_entry_another_applier_reversed_first_is_not_reversed_again(
    engine, network_id, monkeypatch
):
    with engine.begin() as conn:
        _refund_booked(conn, network_id)
        # what this applier read before the other one reversed the refund
        stale = journal.find_by_source_key(conn, "stripe:refund:re_1")
        assert bookings.undo(conn, "stripe:refund:re_1", date(2026, 11, 25), "först") is True
        find = journal.find_by_source_key
        monkeypatch.setattr(
            journal,
            "find_by_source_key",
            lambda c, k: stale if k == "stripe:refund:re_1" else find(c, k),
        )

        assert bookings.undo(conn, "stripe:refund:re_1", date(2026, 11, 26), "sedan") is False
        monkeypatch.undo()
        reversal = journal.find_by_source_key(conn, f"reversal:{stale.id}")
        assert journal.find_by_source_key(conn, f"reversal:{reversal.id}") is None

    assert (reversal.date, reversal.text) == (date(2026, 11, 25), "först")
