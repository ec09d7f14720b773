"""Refunds of Swish gifts through the API and ``kassan swish refund``: sent to the fake Swish,
booked only when Swish's fetched-back refund says PAID, never beyond what was paid."""

from __future__ import annotations

import pytest

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
