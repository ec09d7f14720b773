"""Applying a demo plan through the ledger's services, any number of times: networks and
contributors are looked up before they are created, budgets are upserted, the staff logins made
once, every bankgiro gift carries the source key ``demo:gift:<n>`` and every card gift its
charge's (``cards``), and the monthly givers' gifts are found by their public ids
(``monthly``), so a second run books nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select

from kassan.demo import bankfile, cards, manual, monthly, pledges, workplace
from kassan.demo.plan import START, GiftSpec, Plan
from ledger.chart import POSTING_RULES
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.services import bank_accounts, dimensions, periods, posting
from ledger.services import users as user_service
from webhooks.stripe import bookings

BATCH_SIZE = 500  # small enough for the progress bar to move, big enough for the bulk path

# Fixed demo passwords: printed on the console, for a laptop demo only.
DEMO_USERS = (
    ("admin@kassan.example", "admin", "demo-admin-2026"),
    ("ekonomi@kassan.example", "finance", "demo-ekonomi-2026"),
    ("ledning@kassan.example", "leadership", "demo-ledning-2026"),
)


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    role: str
    password: str
    created: bool  # made by this run
    works: bool  # the printed password logs in (someone may have changed it since)


@dataclass(slots=True)
class SeedSummary:
    networks: int = 0
    networks_created: int = 0
    budgets: int = 0
    contributors: int = 0
    contributors_created: int = 0
    gifts_posted: int = 0
    gifts_already: int = 0
    gifts_ore: int = 0
    card_gifts: int = 0  # of the gifts booked now
    payouts: int = 0
    monthly_givers: int = 0
    pledges_made: int = 0
    invoices_issued: int = 0
    swish_gifts: int = 0  # gift rows written now; the bank file pays them
    collections_started: int = 0
    manual_entries: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


def _drafts(
    plan: Plan, gifts: Iterable[GiftSpec], ids: list[int], names: dict[str, str]
) -> Iterator[Draft]:
    debit, credit = POSTING_RULES["bankgiro_gift"]
    for g in gifts:
        who = plan.contributors[g.contributor]
        target = names[g.network] if g.network else "där behovet är störst"
        if who.kind == "organisation":
            text = f"Gåva från {who.name} via bankgiro, {target}"
        elif g.monthly:
            text = f"Månadsgåva via bankgiro, {target}"
        else:
            text = f"Gåva via bankgiro, {target}"
        amount = Money(g.ore)
        yield Draft(
            date=g.day,
            text=text,
            series="B",
            source_kind="demo",
            source_key=f"demo:gift:{g.n}",
            lines=(
                LineDraft.debit(debit, amount),
                LineDraft.credit(
                    credit, amount, network=g.network, contributor_id=ids[g.contributor]
                ),
            ),
        )


def _booked(conn: Connection, batch: Sequence[GiftSpec]) -> set[int]:
    """The numbers of the gifts booked before, by bankgiro or card: a gift's number is its
    identity, so a plan for more gifts (whose channels fall differently) books none twice."""
    keys = {f"demo:gift:{g.n}": g.n for g in batch}
    keys.update({bookings.key("charge", cards.charge_id(g)): g.n for g in batch})
    e = t.journal_entries.c
    found = conn.scalars(select(e.source_key).where(e.source_key.in_(list(keys))))
    return {keys[key] for key in found}


# The demo's own bank account (the IBAN of ISO 13616's Swedish example): its statements are
# imported; the bankgiro and Swish number are ours through KASSAN_BANKGIRO and SWISH_PAYEE_NUMBER.
DEMO_BANK_ACCOUNTS = (("SE45 5000 0000 0583 9825 7466", "1930", "Företagskonto"),)


def seed(
    conn: Connection,
    plan: Plan,
    *,
    config: Mapping[str, object],
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SeedSummary:
    """Apply the plan in the caller's transaction; whatever exists already is left as it is.

    ``config`` is the app's (the PII key of the gift rows, the monthly givers' receipts);
    ``today`` (default: the last gift's day) is when Stripe's payouts stop."""
    summary = SeedSummary()
    network_ids: dict[str, int] = {}
    for spec in plan.networks:
        found = dimensions.get_network_by_slug(conn, spec.slug)
        if found is None:
            network_id = dimensions.create_network(conn, spec.slug, spec.name)
            summary.networks_created += 1
        else:
            network_id = found.id
        network_ids[spec.slug] = network_id
        for year, need, sida in spec.budgets:
            dimensions.set_budget(conn, network_id, year, need, sida)
            summary.budgets += 1
    summary.networks = len(plan.networks)

    ids = []
    for who_spec in plan.contributors:
        who = dimensions.find_contributor_by_email(conn, who_spec.email)
        if who is None:
            ids.append(
                dimensions.create_contributor(conn, who_spec.kind, who_spec.name, who_spec.email)
            )
            summary.contributors_created += 1
        else:
            ids.append(who.id)
    summary.contributors = len(ids)

    for email, role, password in DEMO_USERS:
        created = user_service.get_user_by_email(conn, email) is None
        if created:
            user_service.create_user(conn, email, password, role)
        works = created or user_service.authenticate(conn, email, password) is not None
        summary.logins.append(DemoLogin(email, role, password, created, works))

    ours = bank_accounts.ledger_accounts(conn)
    for number, ledger_account, name in DEMO_BANK_ACCOUNTS:
        if bank_accounts.normalise(number) not in ours:
            bank_accounts.add(conn, number, ledger_account, name)

    # The demo books its history from 2025 on (gifts, bank file, manual entries) and pledges
    # into next year; a new ledger opens only this year and next.
    if plan.gifts:
        through = (today or max(g.day for g in plan.gifts)).year + 1
        for year in range(START.year, through + 1):
            periods.open_year(conn, year)

    names = {spec.slug: spec.name for spec in plan.networks}
    labels = {spec.contributor: monthly.public_id(spec.contributor) for spec in plan.monthly}
    # In batches of the plan's order, bankgiro and card gifts alike, so the progress bar moves
    # evenly whichever channel a batch holds.
    for start in range(0, len(plan.gifts), batch_size):
        batch = plan.gifts[start : start + batch_size]
        there = _booked(conn, batch)
        by_bank = [g for g in batch if g.channel == "bankgiro" and g.n not in there]
        by_card = [g for g in batch if g.channel == "card" and g.n not in there]
        result = posting.post_many(conn, _drafts(plan, by_bank, ids, names), batch_size=batch_size)
        booked = cards.book_charges(conn, by_card, ids, labels)
        summary.card_gifts += booked
        summary.gifts_posted += result.posted + booked
        summary.gifts_already += len(batch) - result.posted - booked
        if progress is not None:
            progress(start + len(batch))
    last = today or max((g.day for g in plan.gifts), default=date.min)
    summary.payouts = cards.book_payouts(conn, [g for g in plan.gifts if g.channel == "card"], last)
    monthly.book(conn, plan, network_ids, config)
    summary.monthly_givers = len(plan.monthly)
    if plan.gifts:
        by_name = {who.name: ids[k] for k, who in enumerate(plan.contributors)}
        summary.pledges_made, summary.invoices_issued = pledges.book(conn, by_name, last)
        summary.invoices_issued += bankfile.issue_overdue_invoice(conn, by_name, last)
        summary.swish_gifts = bankfile.make_swish_gifts(conn, plan, last, network_ids, config)
        summary.collections_started = workplace.book(conn, network_ids, last)
        summary.manual_entries = manual.book(conn, last)
    summary.gifts_ore = sum(g.ore for g in plan.gifts)
    return summary
