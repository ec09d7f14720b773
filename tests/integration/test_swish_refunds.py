"""Refunds of Swish gifts through the API and ``kassan swish refund``: sent to the fake Swish,
booked only when Swish's fetched-back refund says PAID, never beyond what was paid."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from kassan.cli.swish import swish_cli
from ledger.errors import LedgerError
from ledger.money import Money
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)
from webhooks.errors import SwishRefundRefused
from webhooks.swish import refunds


def _paid(swish, amount_ore: int = 30_000) -> tuple[str, str]:
    gift = swish.gift(amount_ore)
    instruction_id = swish.start(gift)
    assert swish.fake.complete(instruction_id, "PAID") == 200
    return gift, instruction_id


def _refund(swish, instruction_id: str, amount: Money | None = None) -> str:
    with swish.engine.begin() as conn:
        return refunds.start(conn, swish.app.config, instruction_id, amount)


def test_a_whole_refund_is_booked_when_swish_says_paid_and_the_gift_is_refunded(swish):
    gift, instruction_id = _paid(swish)
    refund_id = _refund(swish, instruction_id)
    sent = swish.fake.refunds[refund_id]
    assert sent["originalPaymentReference"] == swish.payment(instruction_id).payment_reference
    assert (sent["amount"], sent["payerAlias"]) == (300.0, swish.fake.merchant)
    assert swish.entries("swish-refund") == []  # asked for, not yet done

    assert swish.fake.complete_refund(refund_id) == 200

    reference = swish.fake.refunds[refund_id]["paymentReference"]
    lines = swish.entries("swish-refund")
    assert [(key, acc, d, c) for key, acc, d, c, _ in lines] == [
        (f"swish-refund:{reference}", "3993", 30_000, 0),
        (f"swish-refund:{reference}", "1930", 0, 30_000),
    ]
    gift_network = swish.entries("swish:")[1][4]
    assert lines[0][4] == gift_network  # taken back from the network that received it
    assert swish.gift_status(gift) == "refunded"
    assert swish.fake.notify(swish.fake.refunds[refund_id]) == 200  # again: nothing more
    assert len(swish.entries("swish-refund")) == 2


def test_a_partial_refund_from_the_cli_leaves_the_rest_refundable(swish, cli):
    gift, instruction_id = _paid(swish, 30_000)
    result = cli.invoke(swish_cli, ["refund", instruction_id, "--amount", "100,00"])
    assert result.exit_code == 0, result.output
    refund_id = next(iter(swish.fake.refunds))
    assert swish.fake.refunds[refund_id]["amount"] == 100.0
    swish.fake.complete_refund(refund_id)
    assert swish.gift_status(gift) == "paid"  # 200 kr of it is still a gift

    too_much = cli.invoke(swish_cli, ["refund", instruction_id, "--amount", "200,01"])
    assert too_much.exit_code == 1
    assert "200.00 SEK is left" in too_much.output
    assert len(swish.fake.refunds) == 1

    rest = cli.invoke(swish_cli, ["refund", instruction_id])
    assert rest.exit_code == 0, rest.output
    second = next(r for r in swish.fake.refunds if r != refund_id)
    assert swish.fake.refunds[second]["amount"] == 200.0
    swish.fake.complete_refund(second)
    booked = [(acc, d, c) for _, acc, d, c, _ in swish.entries("swish-refund")]
    assert sorted(booked) == sorted(
        [("3993", 10_000, 0), ("1930", 0, 10_000), ("3993", 20_000, 0), ("1930", 0, 20_000)]
    )
    assert swish.gift_status(gift) == "refunded"


def test_a_refund_swish_reports_as_error_books_nothing_and_frees_the_amount(swish):
    _, instruction_id = _paid(swish, 10_000)
    refund_id = _refund(swish, instruction_id)
    assert swish.fake.complete_refund(refund_id, "ERROR") == 200
    assert swish.entries("swish-refund") == []
    again = _refund(swish, instruction_id)
    assert again != refund_id
    assert swish.fake.refunds[again]["amount"] == 100.0


def test_an_unpaid_payment_cannot_be_refunded(swish, cli):
    instruction_id = swish.start(swish.gift(10_000))
    with pytest.raises(SwishRefundRefused):
        _refund(swish, instruction_id)
    result = cli.invoke(swish_cli, ["refund", instruction_id])
    assert result.exit_code == 1
    assert "CREATED, not PAID" in result.output
    with pytest.raises(LedgerError):
        _refund(swish, "0" * 32)
    assert swish.fake.refunds == {}


def _refund_paid_at(swish, refund_id: str, date_paid: str) -> None:
    """Swish settles the refund at ``date_paid`` (UTC) and posts its callback."""
    obj = swish.fake.refunds[refund_id]
    obj.update(status="PAID", paymentReference="F" * 32, datePaid=date_paid)
    assert swish.fake.notify(obj) == 200


def _entry_of(swish, key: str) -> tuple[str, str]:
    with swish.engine.connect() as conn:
        row = conn.execute(
            text("SELECT date, text FROM journal_entries WHERE source_key = :k"), {"k": key}
        ).one()
    return str(row[0]), str(row[1])


def test_a_refund_is_booked_on_the_swedish_day_swish_paid_it_with_the_gifts_reference(swish):
    gift, instruction_id = _paid(swish, 30_000)
    refund_id = _refund(swish, instruction_id)
    _refund_paid_at(swish, refund_id, "2026-12-01T23:30:00Z")  # 00:30 on 2 December in Sweden
    reference = swish.payment(instruction_id).payee_payment_reference
    assert _entry_of(swish, "swish-refund:" + "F" * 32) == (
        "2026-12-02",
        f"Återbetald Swishgåva {reference} ({'F' * 32})",
    )
    assert swish.gift_status(gift) == "refunded"
    with swish.engine.connect() as conn:
        taken_back, given = conn.execute(
            text(
                "SELECT l.contributor_id, g.contributor_id FROM journal_entries e "
                "JOIN journal_lines l ON l.entry_id = e.id JOIN gifts g ON g.public_id = :g "
                "WHERE e.source_key LIKE 'swish-refund:%' AND l.account = '3993'"
            ),
            {"g": gift},
        ).one()
    assert given is not None
    assert taken_back == given  # taken back from the donor who gave it


def test_a_refund_still_waiting_for_swish_does_not_count_as_refunded(swish):
    gift, instruction_id = _paid(swish, 30_000)
    _refund(swish, instruction_id, Money(10_000, "SEK"))  # asked for, never PAID
    second = _refund(swish, instruction_id, Money(10_000, "SEK"))
    assert swish.fake.complete_refund(second) == 200
    assert [(acc, d, c) for _, acc, d, c, _ in swish.entries("swish-refund")] == [
        ("3993", 10_000, 0),
        ("1930", 0, 10_000),
    ]
    assert swish.gift_status(gift) == "paid"  # 200 kr of it is still a gift


def test_another_gifts_refund_does_not_make_this_gift_refunded(swish):
    other, other_instruction = _paid(swish, 30_000)
    gift, instruction_id = _paid(swish, 30_000)
    assert swish.fake.complete_refund(_refund(swish, other_instruction)) == 200
    assert swish.fake.complete_refund(_refund(swish, instruction_id, Money(100, "SEK"))) == 200
    assert swish.gift_status(other) == "refunded"
    assert swish.gift_status(gift) == "paid"


def test_a_refund_of_all_but_one_krona_leaves_the_gift_paid_and_the_last_krona_refunds_it(swish):
    gift, instruction_id = _paid(swish, 30_000)
    assert swish.fake.complete_refund(_refund(swish, instruction_id, Money(29_900, "SEK"))) == 200
    assert swish.gift_status(gift) == "paid"
    assert swish.fake.complete_refund(_refund(swish, instruction_id)) == 200
    assert swish.gift_status(gift) == "refunded"
