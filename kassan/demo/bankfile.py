"""The demo's bank file: what reached the demo's bankgiro, imported as finance staff import it.

``swish_gifts`` plans gifts given through the donor page's Swish QR code (one every few days
since the demo starts; each day, amount and giver is fixed by its number, so a later day only
adds); ``make_swish_gifts`` writes their gift rows and expected payments in the seed's
transaction, as the donor page does. After that transaction ``build`` reads from the database
what the bank would report and ``import_`` imports it through
``webhooks.bankfiles.importer.import_file``, so the matcher and the bank-line bookings do the
work:

* each Swish gift, with its reference in the Swish message and Swish's payment reference as the
  clearing reference (series S, the gift paid);
* every instalment of the federations' bankgiro pledges due by today, on its OCR reference;
* every invoice of the pledges that fell due before today, on its OCR reference; the one
  invoice the demo issued by hand (``OVERDUE_TEXT``) stays unpaid and overdue;
* the colleagues' gifts on the workplace collections' references (``workplace``);
* a few payments with no reference for the finance desk's queue (booked to 2890).

Every payment carries a bank reference made from what it pays (``DEMO-PL-<instalment>``,
``DEMO-INV-<number>``, ...) and the file is built from rows whatever their status, so the same
day gives the same bytes: the importer refuses the file as already imported, which is "already
there". On another day the file is another file, and its payments confirm what is booked.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from kassan.demo import workplace
from kassan.demo.camt import Payment, camt054
from kassan.demo.plan import PERSONS, START, Plan
from ledger.db import tables as t
from ledger.money import Money
from ledger.references import is_valid_reference
from ledger.services import expected, gifts, invoices, pii
from webhooks.bankfiles.importer import import_file
from webhooks.errors import BankFileConflict
from webhooks.stripe import gift_state

DEMO_BANKGIRO = "991-2346"  # the Makefile's KASSAN_BANKGIRO: Bankgirot's example number
SWISH_EVERY_DAYS = 9
_SWISH_KR = (100, 150, 200, 200, 250, 300, 500)
# (days after the demo starts, kronor, payer, message): bank transfers nobody can place.
_UNKNOWN = (
    (130, 2_500, "K. Lindqvist", "Till arbetet"),
    (400, 800, "Okänd insättare", None),
    (610, 15_000, "Seko klubb Posten Syd", "Insamling mars"),
    (680, 1_200, "Aina och Bo", "Gåva"),
)
OVERDUE_TEXT = "Stödgalan 1 maj, andel av biljettintäkter"
OVERDUE_FROM = "Kommunal"  # an organisation in names.toml
OVERDUE_DAYS = (45, 30)  # issued this many days before today, due after this many days


@dataclass(frozen=True, slots=True)
class SwishSpec:
    k: int
    day: date
    person: int  # index into Plan.contributors
    network: str | None  # slug; None: where it is needed most
    ore: int


def swish_gifts(plan: Plan, today: date) -> tuple[SwishSpec, ...]:
    """The Swish gifts given by ``today`` (none for a plan without gifts)."""
    if not plan.gifts:
        return ()
    slugs = [n.slug for n in plan.networks]
    out = []
    k = 0
    while (day := START + timedelta(days=3 + SWISH_EVERY_DAYS * k)) <= today:
        rng = random.Random(f"demo:swish:{k}")
        network = rng.choice(slugs) if rng.randrange(100) >= 15 else None
        out.append(SwishSpec(k, day, rng.randrange(PERSONS), network, rng.choice(_SWISH_KR) * 100))
        k += 1
    return tuple(out)


def swish_public_id(k: int) -> str:
    return hashlib.sha256(f"demo:swish:{k}".encode()).hexdigest()[:32]


def make_swish_gifts(
    conn: Connection,
    plan: Plan,
    today: date,
    network_ids: Mapping[str, int],
    config: Mapping[str, object],
) -> int:
    """Write the Swish gifts not written before, each with its expected payment (its
    reference); how many were written now."""
    crypt = pii.cipher(config)
    made = 0
    for spec in swish_gifts(plan, today):
        pid = swish_public_id(spec.k)
        gift = gifts.get_gift(conn, pid)
        if gift is None:
            who = plan.contributors[spec.person]
            draft = who.gift_draft(spec.ore, "once", "swish")
            network_id = network_ids[spec.network] if spec.network else None
            gifts.create_gift(
                conn, draft, network_id=network_id, crypt=crypt, public_id=pid, channel="swish"
            )
            gift = gifts.get_gift(conn, pid)
            if gift is None:  # pragma: no cover - just inserted in this transaction
                raise LookupError(pid)
            gift_state.contributor_for(conn, gift)
            made += 1
        expected.for_gift(
            conn, gift_id=gift.id, amount=Money(gift.amount_ore), network_id=gift.network_id,
            monthly=False,
        )  # fmt: skip
    return made


def issue_overdue_invoice(conn: Connection, contributor_ids: Mapping[str, int], today: date) -> int:
    """The invoice nobody has paid yet, issued once; 1 when issued now."""
    contributor_id = contributor_ids[OVERDUE_FROM]
    i, ln = t.invoices.c, t.invoice_lines.c
    there = conn.scalar(
        select(i.id)
        .join(t.invoice_lines, ln.invoice_id == i.id)
        .where(i.contributor_id == contributor_id, ln.description == OVERDUE_TEXT)
    )
    if there is not None:
        return 0
    before, due_days = OVERDUE_DAYS
    invoices.issue(
        conn,
        contributor_id=contributor_id,
        network=None,
        lines=[(OVERDUE_TEXT, Money(18_400_00))],
        issue_date=today - timedelta(days=before),
        due_days=due_days,
    )
    return 1


def _swish_payments(conn: Connection, plan: Plan, today: date) -> list[Payment]:
    out = []
    for spec in swish_gifts(plan, today):
        gift = gifts.get_gift(conn, swish_public_id(spec.k))
        payment = expected.by_gift(conn, gift.id) if gift is not None else None
        if gift is None or payment is None:
            continue  # seeded for fewer gifts: not given in this demo
        out.append(
            Payment(
                ref=f"DEMO-SW-{spec.k}",
                day=spec.day,
                ore=spec.ore,
                name=plan.contributors[spec.person].name,
                message=payment.reference,
                swish_ref=f"{4469_4114_0000_0000 + spec.k:016d}",
            )
        )
    return out


def _pledge_payments(conn: Connection, today: date) -> list[Payment]:
    p, i, e, c = t.pledges.c, t.pledge_instalments.c, t.expected_payments.c, t.contributors.c
    rows = conn.execute(
        select(i.id, i.due_date, i.amount_ore, e.reference, c.name)
        .join(t.pledges, p.id == i.pledge_id)
        .join(t.expected_payments, e.id == i.expected_payment_id)
        .join(t.contributors, c.id == p.contributor_id)
        .where(p.payment_way == "bankgiro", i.due_date <= today)
        .order_by(i.due_date, i.id)
    )
    return [Payment(f"DEMO-PL-{r.id}", r.due_date, int(r.amount_ore), r.name, ocr=r.reference)
            for r in rows]  # fmt: skip


def _invoice_payments(conn: Connection, today: date) -> list[Payment]:
    i, e = t.invoices.c, t.expected_payments.c
    rows = conn.execute(
        select(i.number, i.due_date, i.total_ore, i.recipient_name, e.reference)
        .join(t.expected_payments, e.id == i.expected_payment_id)
        .where(i.kind == "invoice", i.pledge_instalment_id.is_not(None), i.due_date < today)
        .order_by(i.due_date, i.number)
    )
    # paid a few days before the due date, as a treasurer with a standing routine pays
    return [
        Payment(f"DEMO-INV-{r.number}", min(r.due_date - timedelta(days=3), today),
                int(r.total_ore), r.recipient_name, ocr=r.reference)
        for r in rows
    ]  # fmt: skip


def _unknown_payments(today: date) -> list[Payment]:
    out = []
    for n, (days, kr, name, message) in enumerate(_UNKNOWN):
        day = START + timedelta(days=days)
        if day <= today:
            out.append(Payment(f"DEMO-UN-{n}", day, kr * 100, name, message=message))
    return out


def build(conn: Connection, plan: Plan, today: date, bankgiro: str) -> bytes | None:
    """The camt.054 of everything the demo's bankgiro received by ``today``; None without
    gifts."""
    if not plan.gifts:
        return None
    payments = (
        _swish_payments(conn, plan, today)
        + _pledge_payments(conn, today)
        + _invoice_payments(conn, today)
        + workplace.payments(conn, today)
        + _unknown_payments(today)
    )
    for p in payments:
        if p.ocr is not None and not is_valid_reference(p.ocr):  # pragma: no cover
            raise ValueError(f"{p.ref}: {p.ocr} is no OCR reference")
    payments.sort(key=lambda p: (p.day, p.ref))
    digits = "".join(ch for ch in bankgiro if ch.isdigit())
    return camt054(digits, datetime.combine(today, time(6, 0)), payments)


@dataclass(frozen=True, slots=True)
class Imported:
    lines: int  # in the file
    booked: int  # booked now (0: the file was imported before)
    unmatched: int  # of those booked now, to suspense for the finance desk


def filename(today: date) -> str:
    return f"demo-camt054-{today.isoformat()}.xml"


def import_(
    engine: Engine, plan: Plan, today: date, config: Mapping[str, object]
) -> Imported | None:
    """Build the day's file and import it, after the seed's transaction (the importer runs its
    own); None without gifts or without a bankgiro of ours (``KASSAN_BANKGIRO``, which
    ``make demo`` sets to ``DEMO_BANKGIRO``): the importer takes files for our accounts only.
    A file imported before books nothing: ``booked`` is 0."""
    bankgiro = str(config.get("BANKGIRO") or "")
    if not bankgiro:
        return None
    with engine.connect() as conn:
        data = build(conn, plan, today, bankgiro)
    if data is None:
        return None
    lines = data.count(b"<Ntry>")
    try:
        result: Any = import_file(engine, data, filename(today), mail_config=config)
    except BankFileConflict:  # this very file was imported before: already there
        return Imported(lines, 0, 0)
    counts = result.counts
    return Imported(counts.line_count, counts.booked_count, counts.unmatched_count)
