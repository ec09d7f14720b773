"""Applying a demo plan through the ledger's services, any number of times: networks and
contributors are looked up before they are created, budgets are upserted, the staff logins made
once, and every gift carries the source key ``demo:gift:<n>``, so a second run books nothing
twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection

from kassan.demo.plan import Plan
from ledger.chart import POSTING_RULES
from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.services import dimensions, posting
from ledger.services import users as user_service

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
    logins: list[DemoLogin] = field(default_factory=list)


def _drafts(plan: Plan, ids: list[int], names: dict[str, str]) -> Iterator[Draft]:
    debit, credit = POSTING_RULES["bankgiro_gift"]
    for g in plan.gifts:
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


def seed(
    conn: Connection,
    plan: Plan,
    *,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SeedSummary:
    """Apply the plan in the caller's transaction; whatever exists already is left as it is."""
    summary = SeedSummary()
    for spec in plan.networks:
        found = dimensions.get_network_by_slug(conn, spec.slug)
        if found is None:
            network_id = dimensions.create_network(conn, spec.slug, spec.name)
            summary.networks_created += 1
        else:
            network_id = found.id
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

    names = {spec.slug: spec.name for spec in plan.networks}
    result = posting.post_many(
        conn, _drafts(plan, ids, names), batch_size=batch_size, progress=progress
    )
    summary.gifts_posted, summary.gifts_already = result.posted, result.duplicates
    summary.gifts_ore = sum(g.ore for g in plan.gifts)
    return summary
