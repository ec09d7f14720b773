"""The demo's monthly givers as the donor page and the payment rails leave them: one gift row
(frequency monthly) per giver, on the channel the giver pays through.

* A standing bankgiro transfer: the gift's repeating expected payment gives the fixed OCR
  reference, and each monthly payment the plan booked (``demo:gift:<n>``, series B) is recorded
  on it as a receipt (``expected.record_receipts``); the giver's latest payment moves the gift
  to ``active`` and queues its receipt (``gift_payments.settle``), as a bank-file import does.
* A card subscription: the gift remembers its Stripe customer and subscription and is
  ``active``, as the Stripe webhooks leave it (``webhooks.stripe.gift_state``).

A giver who stopped is ``cancelled``. The gift's public id is made from the giver's place in the
plan, so a second run finds the gift rather than making another.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from kassan.demo.plan import ContributorSpec, MonthlySpec, Plan
from ledger.db import dialect
from ledger.db import tables as t
from ledger.money import Money
from ledger.services import expected, gift_payments, gifts, pii
from ledger.services.gifts import Gift
from ledger.statuses import GiftStatus
from webhooks.stripe import gift_state


def public_id(person: int) -> str:
    """The monthly gift's public id (32 hex digits), the same on every run."""
    return hashlib.sha256(f"demo:monthly:{person}".encode()).hexdigest()[:32]


def _gift(
    conn: Connection, spec: MonthlySpec, who: ContributorSpec, network_id: int | None, crypt: Any
) -> Gift:
    pid = public_id(spec.contributor)
    found = gifts.get_gift(conn, pid)
    if found is not None:
        return found
    draft = who.gift_draft(spec.ore, "monthly", spec.channel)
    gifts.create_gift(
        conn, draft, network_id=network_id, crypt=crypt, public_id=pid, channel=spec.channel
    )
    made = gifts.get_gift(conn, pid)
    if made is None:  # pragma: no cover - just inserted in this transaction
        raise LookupError(pid)
    gift_state.contributor_for(conn, made)
    return made


def _entry_ids(conn: Connection, keys: list[str]) -> dict[str, int]:
    e = t.journal_entries.c
    found: dict[str, int] = {}
    for part in dialect.chunks(keys):
        rows = conn.execute(select(e.source_key, e.id).where(e.source_key.in_(part)))
        found.update((r.source_key, int(r.id)) for r in rows)
    return found


def _standing_order(
    conn: Connection,
    gift: Gift,
    payments: list[tuple[str, int, Any]],
    entry_ids: dict[str, int],
    config: Mapping[str, object],
) -> None:
    """Record the giver's bankgiro payments on the gift's fixed reference (a payment a plan for
    fewer gifts booked by card is left out)."""
    payments = [p for p in payments if p[0] in entry_ids]
    if not payments:
        return
    payment = expected.for_gift(
        conn, gift_id=gift.id, amount=Money(gift.amount_ore), network_id=gift.network_id,
        monthly=True,
    )  # fmt: skip
    receipts = expected.record_receipts(
        conn,
        [
            expected.Receipt(payment.id, entry_ids[key], Money(ore), key, day)
            for key, ore, day in payments
        ],
    )
    if receipts and receipts[-1].new:
        key, ore, day = payments[-1]
        gift_payments.settle(conn, [(receipts[-1], key, ore, day)], config=config)


def book(
    conn: Connection,
    plan: Plan,
    network_ids: Mapping[str, int],
    config: Mapping[str, object],
) -> dict[int, str]:
    """Make or find each monthly giver's gift; the public ids by person index."""
    crypt = pii.cipher(config)
    paid: dict[int, list[tuple[str, int, Any]]] = defaultdict(list)
    for g in plan.gifts:
        if g.monthly and g.channel == "bankgiro":
            paid[g.contributor].append((f"demo:gift:{g.n}", g.ore, g.day))
    entry_ids = _entry_ids(conn, [key for rows in paid.values() for key, _, _ in rows])
    labels = {}
    for spec in plan.monthly:
        network_id = network_ids[spec.network] if spec.network else None
        gift = _gift(conn, spec, plan.contributors[spec.contributor], network_id, crypt)
        labels[spec.contributor] = gift.public_id
        if spec.channel == "card":
            ids = {"customer": f"cus_demo_{spec.contributor}"}
            gift_state.remember(conn, gift, subscription=f"sub_demo_{spec.contributor}", **ids)
            gift_state.move(conn, gift, GiftStatus.ACTIVE)
        else:
            _standing_order(conn, gift, paid[spec.contributor], entry_ids, config)
        if spec.stopped:
            gifts.mark_cancelled(conn, gift.public_id)
    return labels
