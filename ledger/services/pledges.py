"""Pledges (åtaganden): a contributor's promise to give an amount per month, quarter or year to a
network (or unrestricted), for a number of periods, paid by invoice, bankgiro with OCR or a card
subscription.

Creating a pledge creates its instalments at once. A bankgiro instalment gets its expected
payment (kind ``pledge``, with its own OCR reference) at once; an invoice instalment gets one
when its invoice is issued (``ledger.services.invoices``); a card instalment is paid by the card
gifts booked for that contributor and network. What each instalment has received is read from
the ledger's side (expected payments, card entries), never kept here, so the status always
follows the books.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.db import tables as t
from ledger.errors import PledgeInvalid
from ledger.money import Money, parse_amount
from ledger.services import expected

__all__ = ["MAX_INSTALMENTS", "PERIODS", "WAYS", "PledgeDraft", "add_months", "create", "validate"]

PERIODS = {"month": 1, "quarter": 3, "year": 12}  # months per period
WAYS = ("invoice", "bankgiro", "card")
MAX_INSTALMENTS = 600  # fifty years of months: beyond that it is a typo
_MAX_ORE = 10**12


@dataclass(frozen=True, slots=True)
class PledgeDraft:
    contributor_id: int
    network: str | None  # network slug; None: unrestricted ("där behovet är störst")
    amount: Money  # per period
    period: str
    start_date: date
    end_date: date | None
    instalments: int
    payment_way: str
    note: str | None


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` ahead; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    return date.fromisoformat(text)  # ValueError for anything but YYYY-MM-DD


def _amount(data: Mapping[str, Any], errors: dict[str, str]) -> Money | None:
    raw_ore = data.get("amount_ore")
    try:
        if raw_ore is not None and raw_ore != "":
            if isinstance(raw_ore, bool) or not isinstance(raw_ore, int):
                raise ValueError(raw_ore)
            money = Money(raw_ore, "SEK")
        else:
            money = parse_amount(str(data.get("amount") or ""))
    except ValueError:
        errors["amount"] = "Skriv beloppet per period i kronor, till exempel 1 500 eller 1 500,50."
        return None
    if not 0 < money.ore <= _MAX_ORE:
        errors["amount"] = "Beloppet per period måste vara större än noll (och rimligt)."
        return None
    return money


def validate(data: Mapping[str, Any]) -> PledgeDraft:
    """A pledge from a form or an API body; raises ``PledgeInvalid`` naming every bad field.

    ``end_date`` or ``instalments`` says how long it runs (one of them, not both).
    """
    errors: dict[str, str] = {}
    contributor_id = data.get("contributor_id")
    if isinstance(contributor_id, str) and contributor_id.strip().isdigit():
        contributor_id = int(contributor_id)
    if isinstance(contributor_id, bool) or not isinstance(contributor_id, int):
        errors["contributor_id"] = "Välj vem som lovar att ge."
    network = str(data.get("network") or "").strip() or None
    amount = _amount(data, errors)
    period = str(data.get("period") or "")
    if period not in PERIODS:
        errors["period"] = "Välj period: månad, kvartal eller år."
    way = str(data.get("payment_way") or "")
    if way not in WAYS:
        errors["payment_way"] = "Välj betalsätt: faktura, bankgiro med OCR eller kort."
    dates: dict[str, date | None] = {}
    for name in ("start_date", "end_date"):
        try:
            dates[name] = _date(data.get(name))
        except ValueError:
            errors[name] = "Skriv datumet som ÅÅÅÅ-MM-DD."
            dates[name] = None
    start, end = dates["start_date"], dates["end_date"]
    if start is None and "start_date" not in errors:
        errors["start_date"] = "Skriv när den första perioden börjar (ÅÅÅÅ-MM-DD)."
    raw_count = data.get("instalments")
    count: int | None = None
    if raw_count not in (None, ""):
        text = str(raw_count).strip()
        if isinstance(raw_count, bool) or not text.isdigit() or int(text) < 1:
            errors["instalments"] = "Antalet perioder är ett heltal, minst 1."
        else:
            count = int(text)
    if end is not None and count is not None:
        errors["instalments"] = "Ange antingen slutdatum eller antal perioder, inte båda."
    elif end is None and count is None and "end_date" not in errors:
        if "instalments" not in errors:
            errors["end_date"] = "Ange ett slutdatum eller hur många perioder åtagandet gäller."
    elif start is not None and end is not None:
        if end < start:
            errors["end_date"] = "Slutdatumet kan inte vara före startdatumet."
        elif period in PERIODS:
            count = _count_until(start, end, PERIODS[period])
    if count is not None and count > MAX_INSTALMENTS:
        errors["instalments"] = f"Ett åtagande har högst {MAX_INSTALMENTS} perioder."
    note = str(data.get("note") or "").strip() or None
    if note is not None and len(note) > 500:
        errors["note"] = "Anteckningen får vara högst 500 tecken."
    if errors:
        raise PledgeInvalid(errors)
    if start is None or amount is None or count is None or not isinstance(contributor_id, int):
        raise PledgeInvalid({"start_date": "Uppgifterna räcker inte för ett åtagande."})
    return PledgeDraft(
        contributor_id=contributor_id,
        network=network,
        amount=amount,
        period=period,
        start_date=start,
        end_date=end,
        instalments=count,
        payment_way=way,
        note=note,
    )


def _count_until(start: date, end: date, months: int) -> int:
    count = 0
    while count <= MAX_INSTALMENTS and add_months(start, count * months) <= end:
        count += 1
    return count


def due_dates(start: date, period: str, count: int) -> list[date]:
    """The due date of each instalment: the first day of each period, from ``start``."""
    return [add_months(start, i * PERIODS[period]) for i in range(count)]


def create(conn: Connection, draft: PledgeDraft, *, created_by: int | None = None) -> int:
    """Store the pledge and its instalments (with OCR references for bankgiro); its id."""
    c = t.contributors.c
    who = conn.execute(select(c.id, c.merged_into).where(c.id == draft.contributor_id)).first()
    if who is None:
        raise PledgeInvalid({"contributor_id": f"Det finns ingen givare {draft.contributor_id}."})
    if who.merged_into is not None:
        raise PledgeInvalid(
            {
                "contributor_id": f"Givare {draft.contributor_id} är sammanslagen med "
                f"givare {who.merged_into}; välj den."
            }
        )
    network_id = None
    if draft.network is not None:
        network_id = conn.execute(
            select(t.networks.c.id).where(t.networks.c.slug == draft.network)
        ).scalar()
        if network_id is None:
            raise PledgeInvalid({"network": f"Det finns inget nätverk {draft.network!r}."})
    pledge_id = conn.execute(
        t.pledges.insert()
        .values(
            contributor_id=draft.contributor_id,
            network_id=network_id,
            amount_ore=draft.amount.ore,
            currency=draft.amount.currency,
            period=draft.period,
            start_date=draft.start_date,
            end_date=draft.end_date,
            instalment_count=draft.instalments,
            payment_way=draft.payment_way,
            note=draft.note,
            created_by=created_by,
            created_at=datetime.now(UTC),
        )
        .returning(t.pledges.c.id)
    ).scalar_one()
    rows = []
    for seq, due in enumerate(due_dates(draft.start_date, draft.period, draft.instalments), 1):
        expected_id = None
        if draft.payment_way == "bankgiro":
            expected_id = expected.create(
                conn,
                kind="pledge",
                amount=draft.amount,
                network_id=network_id,
                contributor_id=draft.contributor_id,
                due_date=due,
            ).id
        rows.append(
            {
                "pledge_id": pledge_id,
                "seq": seq,
                "due_date": due,
                "amount_ore": draft.amount.ore,
                "currency": draft.amount.currency,
                "expected_payment_id": expected_id,
            }
        )
    conn.execute(t.pledge_instalments.insert(), rows)
    return int(pledge_id)


def exists(conn: Connection, pledge_id: int) -> bool:
    return bool(
        conn.execute(
            select(func.count()).select_from(t.pledges).where(t.pledges.c.id == pledge_id)
        ).scalar()
    )
