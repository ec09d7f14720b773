"""The demo's Autogiro givers, through the paths a real one takes: a monthly Autogiro gift made
as the gift form makes it and its mandate taken in by ``signup.sign_up``; the mandate file
written (``outgoing.mandates_out``); Bankgirot's mandate advice (all approved but the last, whose
account Bankgirot refuses) imported; then, for each of the last months whose debit day has
passed, the payment orders written (``outgoing.payments_out``) and Bankgirot's payment
specification for them imported (every debit approved but one, for insufficient funds, in the
latest month). Both reports go through ``kassan.autogiro_reports.import_report``, the call
``kassan import`` makes, so the series-G entries, the finance desk's Autogiro page and the
dashboard's monthly givers are what a real month leaves.

Every step finds what a run before made (the gifts by their public ids, the mandates by their
gift, a month's debits by mandate), so a second run imports nothing twice."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from stdnum import luhn

from kassan import autogiro_reports
from kassan.demo import bankgirot
from kassan.demo.plan import Plan
from ledger.banking_days import next_month
from ledger.db import tables as t
from ledger.errors import ConfigError
from ledger.services import dimensions, gifts, pii
from ledger.services.autogiro import signup
from ledger.statuses import DebitStatus, MandateStatus
from webhooks.autogiro import outgoing
from webhooks.autogiro.incoming import AutogiroImport

__all__ = ["GIVERS", "MONTHS", "Seeded", "public_id", "seed"]

GIVERS = 12
MONTHS = 3  # past months debited
AMOUNTS_KR = (100, 150, 200, 250, 300, 500)
# The demo's bank account (seeding.DEMO_BANK_ACCOUNTS), where Bankgirot pays the debits in.
DEPOSIT_ACCOUNT = "5000058398257466"
REFUSED_COMMENT = "23"  # felaktigt bankkontonummer


@dataclass(slots=True)
class Seeded:
    mandates: int = 0  # the demo's, in all
    mandates_new: int = 0  # taken in now
    approved: int = 0  # debits approved, in all
    failed: int = 0  # debits failed, in all
    refused: int = 0  # mandates Bankgirot refused, in all
    imports: list[AutogiroImport] = field(default_factory=list)  # the reports imported now


def public_id(k: int) -> str:
    """The demo Autogiro gift's public id, the same on every run."""
    return hashlib.sha256(f"demo:autogiro:{k}".encode()).hexdigest()[:32]


def _identity(k: int) -> str:
    """A personnummer that passes its check digit: born 1960-1995, serial by ``k``."""
    born = date(1960 + (k * 7) % 36, 1 + k % 12, 1 + (k * 5) % 28)
    serial = f"{born:%y%m%d}{(100 + k * 37) % 1000:03d}"
    return f"{born:%Y%m%d}-{serial[6:]}{luhn.calc_check_digit(serial)}"


def _givers(plan: Plan) -> list[int]:
    """The first persons of the plan who give monthly some other way: none."""
    monthly = {m.contributor for m in plan.monthly}
    people = [
        k for k, who in enumerate(plan.contributors) if who.kind == "person" and k not in monthly
    ]
    return people[:GIVERS]


def _take_in(
    conn: Connection, plan: Plan, config: Mapping[str, Any], today: date
) -> tuple[list[str], int]:
    """Make or find each giver's gift and mandate; their public ids and how many are new."""
    crypt = pii.cipher(config)
    slugs: list[str | None] = [n.slug for n in plan.networks] + [None]
    made, new = [], 0
    for i, k in enumerate(_givers(plan)):
        pid = public_id(k)
        who = plan.contributors[k]
        if gifts.get_gift(conn, pid) is None:
            slug = slugs[i % len(slugs)]
            network = dimensions.get_network_by_slug(conn, slug) if slug else None
            draft = who.gift_draft(AMOUNTS_KR[i % len(AMOUNTS_KR)] * 100, "monthly", "autogiro")
            gifts.create_gift(
                conn,
                draft,
                network_id=network.id if network else None,
                crypt=crypt,
                public_id=pid,
                channel="autogiro",
            )
            new += 1
        signup.sign_up(conn, crypt, config, pid, _identity(k), "8327-9", "9123456700", today)
        made.append(pid)
    return made, new


def _payers(
    conn: Connection, public_ids: list[str], status: MandateStatus | None = None
) -> list[Any]:
    m, g = t.autogiro_mandates.c, t.gifts.c
    query = (
        select(m.payer_number, m.amount_ore)
        .join_from(t.autogiro_mandates, t.gifts, g.id == m.gift_id)
        .where(g.public_id.in_(public_ids))
        .order_by(m.payer_number)
    )
    if status is not None:
        query = query.where(m.status == status)
    return list(conn.execute(query))


def _import(engine: Engine, config: Mapping[str, Any], data: bytes, name: str) -> AutogiroImport:
    return autogiro_reports.import_report(engine, config, io.BytesIO(data), name)


def _months(today: date, debit_day: int) -> list[str]:
    """The last ``MONTHS`` months whose debit day has passed, oldest first."""
    month = f"{today.year - 1}-{today.month:02d}"
    passed = []
    while month <= today.strftime("%Y-%m"):
        if outgoing.due_day(month, debit_day) < today:
            passed.append(month)
        month = next_month(month)
    return passed[-MONTHS:]


def seed(engine: Engine, plan: Plan, today: date, config: Mapping[str, Any]) -> Seeded | None:
    """Seed the demo's Autogiro givers; None when Autogiro is not set up (no customer number)."""
    try:
        settings = outgoing.settings(config)
    except ConfigError:
        return None
    result = Seeded()
    first = today - timedelta(days=MONTHS * 31 + signup.LEAD_DAYS)  # the mandates' day
    with engine.begin() as conn:
        ids, result.mandates_new = _take_in(conn, plan, config, first)
        outgoing.mandates_out(conn, pii.cipher(config), settings, first)
        sent = _payers(conn, ids, MandateStatus.SENT)
    if sent:
        rows = [bankgirot.AdviceRow(p.payer_number, "04", "32") for p in sent]
        rows[-1] = bankgirot.AdviceRow(sent[-1].payer_number, "04", REFUSED_COMMENT)
        advice = bankgirot.mandate_advice(
            first + timedelta(days=3), settings.customer_number, settings.bankgiro, rows
        )
        result.imports.append(_import(engine, config, advice, f"demo-medavi-{first}.txt"))
    months = _months(today, settings.debit_day)
    for month in months:
        due = outgoing.due_day(month, settings.debit_day)
        with engine.begin() as conn:
            made = outgoing.payments_out(conn, settings, month, due - timedelta(days=7))
            ordered = _ordered(conn, month) if made is not None else []
        if not ordered:
            continue
        debits = [bankgirot.Debit(payer, ore, ref) for payer, ore, ref in ordered]
        if month == months[-1]:  # the latest month: one payer's account was empty
            payer, ore, ref = ordered[0]
            debits[0] = bankgirot.Debit(payer, ore, ref, status="1")
        spec = bankgirot.payment_specification(
            due, settings.customer_number, settings.bankgiro, DEPOSIT_ACCOUNT, debits
        )
        result.imports.append(_import(engine, config, spec, f"demo-betspec-{month}.txt"))
    with engine.connect() as conn:
        _count(conn, ids, result)
    return result


def _ordered(conn: Connection, month: str) -> list[tuple[int, int, str]]:
    d = t.autogiro_debits.c
    rows = conn.execute(
        select(d.payer_number, d.amount_ore, d.reference)
        .where(d.month == month, d.status == DebitStatus.ORDERED)
        .order_by(d.payer_number)
    )
    return [(int(r.payer_number), int(r.amount_ore), str(r.reference)) for r in rows]


def _count(conn: Connection, ids: list[str], result: Seeded) -> None:
    payers = [int(p.payer_number) for p in _payers(conn, ids)]
    m, d = t.autogiro_mandates.c, t.autogiro_debits.c
    result.mandates = len(payers)
    result.refused = (
        conn.scalar(
            select(func.count()).where(
                m.payer_number.in_(payers), m.status == MandateStatus.REFUSED
            )
        )
        or 0
    )
    by_status: dict[str, int] = dict(
        conn.execute(
            select(d.status, func.count()).where(d.payer_number.in_(payers)).group_by(d.status)
        ).all()
    )
    result.approved = int(by_status.get(DebitStatus.APPROVED, 0))
    result.failed = int(by_status.get(DebitStatus.FAILED, 0))
