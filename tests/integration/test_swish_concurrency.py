"""Swish's callback for one paid request, delivered 20 times at once over real HTTP, books one
entry: the row lock on the payment request (PostgreSQL) or the single writer (SQLite) queues
them, and the unique source key would refuse a second entry anyway."""

from __future__ import annotations

import threading

from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)

DELIVERIES = 20


def test_twenty_simultaneous_callbacks_for_one_payment_book_one_entry(swish):
    gift = swish.gift(20_000)
    instruction_id = swish.start(gift)
    payment = swish.fake.payments[instruction_id]
    payment["status"] = "PAID"
    payment["paymentReference"] = "1E2FC19E5E5E4E18916609B7F8911C12"
    payment["datePaid"] = "2026-11-28T09:30:00.000Z"
    start = threading.Barrier(DELIVERIES)
    statuses: list[int] = []

    def deliver() -> None:
        start.wait()
        statuses.append(swish.fake.notify(payment))

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [200] * DELIVERIES
    assert swish.fake.gets >= 1  # Swish was asked; no callback's body was trusted
    lines = swish.entries()
    assert {key for key, *_ in lines} == {"swish:1E2FC19E5E5E4E18916609B7F8911C12"}
    assert len(lines) == 2
    assert swish.expected_of(gift).paid_ore == 20_000
    assert swish.gift_status(gift) == "paid"
