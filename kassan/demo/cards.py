"""The demo's card payments, booked as the Stripe webhook handlers book them, without Stripe.

Each card gift of the plan becomes a Stripe-shaped charge with its balance transaction (the fee
Stripe takes on a Swedish card: 1.5 % plus 1.80 kr) and goes through
``webhooks.stripe.bookings.book_charge`` (series K: 1580/3993, the fee 6570/1580); each month's
net is paid out to the bank early the next month through ``book_payout`` (1930/1580). The ids
(``ch_demo_<n>``, ``txn_demo_<n>``, ``po_demo_<yyyymm>``) name the same facts on every run, so
the source keys book each once however often the demo is seeded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from kassan.demo.plan import GiftSpec
from webhooks.stripe import bookings

_STOCKHOLM = ZoneInfo("Europe/Stockholm")
PAYOUT_DAY = 3  # Stripe pays a month's card gifts out early in the next month


def fee_ore(amount_ore: int) -> int:
    """Stripe's fee on a European card in Sweden: 1.5 % plus 1.80 kr, in whole öre."""
    return amount_ore * 15 // 1000 + 180


def _unix(day: date) -> int:
    return int(datetime.combine(day, time(12), _STOCKHOLM).timestamp())


def charge_id(gift: GiftSpec) -> str:
    return f"ch_demo_{gift.n}"


def charge(gift: GiftSpec) -> dict[str, Any]:
    """The gift as Stripe reports a paid charge, its balance transaction expanded."""
    created = _unix(gift.day)
    return {
        "id": charge_id(gift),
        "object": "charge",
        "amount": gift.ore,
        "currency": "sek",
        "created": created,
        "paid": True,
        "balance_transaction": {
            "id": f"txn_demo_{gift.n}",
            "object": "balance_transaction",
            "amount": gift.ore,
            "fee": fee_ore(gift.ore),
            "net": gift.ore - fee_ore(gift.ore),
            "currency": "sek",
            "created": created,
        },
    }


def payouts(gifts: list[GiftSpec], today: date) -> list[dict[str, Any]]:
    """One payout per month of card gifts, of the month's net, arriving on the 3rd of the next
    month; a month whose payout day has not come yet stays in the Stripe balance (1580)."""
    net: dict[date, int] = defaultdict(int)
    for g in gifts:
        net[g.day.replace(day=1)] += g.ore - fee_ore(g.ore)
    out = []
    for month, ore in sorted(net.items()):
        arrival = date(month.year + month.month // 12, month.month % 12 + 1, PAYOUT_DAY)
        if arrival > today:
            continue
        out.append(
            {
                "id": f"po_demo_{month:%Y%m}",
                "object": "payout",
                "amount": ore,
                "currency": "sek",
                "arrival_date": _unix(arrival),
                "created": _unix(arrival),
            }
        )
    return out


def book_charges(
    conn: Connection, gifts: list[GiftSpec], contributor_ids: list[int], labels: Mapping[int, str]
) -> int:
    """Book the card gifts with their fees; how many were booked now. ``labels`` names the gift
    of each card subscription (person index -> the gift's public id)."""
    booked = 0
    for g in gifts:
        if bookings.gift_dimensions(conn, charge_id(g)) is not None:
            continue
        bookings.book_charge(
            conn,
            charge(g),
            network=g.network,
            contributor_id=contributor_ids[g.contributor],
            label=labels[g.contributor] if g.monthly else f"demo-{g.n}",
        )
        booked += 1
    return booked


def book_payouts(conn: Connection, gifts: list[GiftSpec], today: date) -> int:
    """Book the monthly payouts of these card gifts due by ``today``; how many were booked now."""
    return sum(bookings.book_payout(conn, payout) for payout in payouts(gifts, today))
