"""``kassan demo seed``: seed the demo data on a laptop (refused in production) and print what
was made, with the staff logins."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app

from kassan.cli.errors import AppGroup, Refusal
from kassan.demo import autogiro, bankfile
from kassan.demo.plan import build_plan
from kassan.demo.seeding import SeedSummary, seed
from kassan.web.app import get_engine
from ledger.money import Money
from reports.display import format_money

DEFAULT_GIFTS = 5_000


def render_summary(
    s: SeedSummary,
    base_url: str,
    imported: bankfile.Imported | None = None,
    ag: autogiro.Seeded | None = None,
) -> str:
    lines = [
        f"networks:     {s.networks} ({s.networks_created} new), {s.budgets} budgets set",
        f"contributors: {s.contributors} ({s.contributors_created} new)",
        f"staff logins: {len(s.logins)} ({sum(u.created for u in s.logins)} new)",
        f"gifts:        {s.gifts_posted} booked now, {s.gifts_already} already there "
        f"(demo gifts in all: {format_money(Money(s.gifts_ore))})",
        f"card:         {s.card_gifts} card gifts and {s.payouts} Stripe payouts booked now",
        f"monthly:      {s.monthly_givers} monthly givers (card and standing bankgiro transfer)",
        f"pledges:      {s.pledges_made} new, {s.invoices_issued} invoices issued now",
        f"swish:        {s.swish_gifts} Swish gifts given now (paid in the bank file)",
        f"collections:  {s.collections_started} workplace collections started now",
        f"manual:       {s.manual_entries} manual entries (series M) booked now",
    ]
    if imported is None:
        lines.append("bank file:    none (KASSAN_BANKGIRO is not set: no bankgiro to import for)")
    else:
        lines.append(
            f"bank file:    {imported.lines} payments, {imported.booked} booked now "
            f"({imported.unmatched} unmatched, for the finance desk)"
            if imported.booked
            else f"bank file:    {imported.lines} payments, already there"
        )
    if ag is None:
        lines.append("autogiro:     none (KASSAN_AUTOGIRO_CUSTOMER_NUMBER is not set)")
    else:
        lines.append(
            f"autogiro:     {ag.mandates} mandates ({ag.mandates_new} new, {ag.refused} refused), "
            f"{ag.approved} debits approved, {ag.failed} failed"
        )
    lines += [
        "",
        f"Demo logins at {base_url.rstrip('/')}/login:",
    ]
    for u in s.logins:
        note = "" if u.works else "  (existing user whose password was changed; left as it is)"
        lines.append(f"  {u.email:<26} {u.password:<20} {u.role}{note}")
    return "\n".join(lines)


demo_cli = AppGroup("demo", help="Demo data for trying Kassan out on a laptop.")


@demo_cli.command("seed")
@click.option(
    "--gifts",
    type=click.IntRange(min=0),
    default=DEFAULT_GIFTS,
    show_default=True,
    envvar="KASSAN_DEMO_GIFTS",
    help="How many gifts to book from 2025-01-01 through today (env KASSAN_DEMO_GIFTS).",
)
def seed_command(gifts: int) -> None:
    """Seed networks, budgets, contributors, staff logins and gifts; safe to run again."""
    if current_app.config.get("KASSAN_ENV") == "production":
        raise Refusal("lägger inte in demodata: KASSAN_ENV är production")
    today = date.today()
    plan = build_plan(gifts, today)
    with (
        get_engine(current_app).begin() as conn,
        click.progressbar(length=len(plan.gifts), label="Booking demo gifts") as bar,
    ):
        shown = 0

        def progress(done: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        summary = seed(conn, plan, config=current_app.config, today=today, progress=progress)
    imported = bankfile.import_(get_engine(current_app), plan, today, current_app.config)
    ag = autogiro.seed(get_engine(current_app), plan, today, current_app.config)
    base_url = str(current_app.config["PUBLIC_BASE_URL"])
    click.echo(render_summary(summary, base_url, imported, ag))
