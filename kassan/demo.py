"""Demo data for ``make demo``: solidarity networks with budgets, contributors, staff logins and
two years of bankgiro gifts, all booked through the ledger's services.

``build_plan`` is a pure function of the number of gifts and today's date (one
``random.Random(2026)``), so the same day always gives the same data; ``seed`` applies a plan
and can run any number of times: networks and contributors are looked up before they are
created, budgets are upserted and every gift carries the source key ``demo:gift:<n>``, so a
second run books nothing twice.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import Connection

from kassan.web.app import get_engine
from ledger.chart import POSTING_RULES
from ledger.entries import Draft, LineDraft
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.services import dimensions, posting
from ledger.services import users as user_service
from reports.display import format_money

START = date(2025, 1, 1)
DEFAULT_GIFTS = 5_000
BATCH_SIZE = 500  # small enough for the progress bar to move, big enough for the bulk path
LOGIN_URL = "http://127.0.0.1:5000/login"

# slug, name, weight (how often gifts go to it)
NETWORKS = (
    ("palestina", "Palestina", 26),
    ("colombia", "Colombia", 14),
    ("filippinerna", "Filippinerna", 11),
    ("myanmar", "Myanmar", 10),
    ("ostafrika", "Östafrika", 14),
    ("bolivia", "Bolivia", 10),
    ("sydafrika", "Södra Afrika", 15),
)

# Fixed demo passwords: printed on the console, for a laptop demo only.
DEMO_USERS = (
    ("admin@kassan.example", "admin", "demo-admin-2026"),
    ("ekonomi@kassan.example", "finance", "demo-ekonomi-2026"),
    ("ledning@kassan.example", "leadership", "demo-ledning-2026"),
)

_WOMEN = (
    "Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Kerstin", "Emma", "Ingrid", "Marie", "Malin",
    "Johanna", "Linnéa", "Elin", "Sofia", "Ida", "Hanna", "Birgitta", "Ulla", "Jenny", "Annika",
    "Susanne", "Camilla", "Elsa", "Astrid", "Maja", "Agneta", "Gunilla", "Åsa", "Louise",
    "Anna-Karin", "Fatima", "Amina", "Leila", "Yasmin"
)  # fmt: skip

_MEN = (
    "Lars", "Mikael", "Johan", "Anders", "Per", "Erik", "Karl", "Peter", "Jan", "Thomas", "Hans",
    "Daniel", "Fredrik", "Stefan", "Mats", "Magnus", "Nils", "Olof", "Björn", "Gustav", "Oskar",
    "Axel", "Sven", "Bengt", "Göran", "Leif", "Jonas", "Kent", "Ali", "Mohammed", "Ahmed", "Omar",
    "Hassan", "Juan", "Carlos"
)  # fmt: skip

_SURNAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson",
    "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Lindström", "Olofsson", "Lindqvist",
    "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren", "Lundqvist",
    "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson", "Forsberg", "Sjöberg",
    "Wallin", "Engström", "Eklund", "Danielsson", "Lundin", "Håkansson", "Björk", "Bergman",
    "Gunnarsson", "Holm", "Wikström", "Samuelsson", "Isaksson", "Fransson", "Nyström", "Holmberg",
    "Arvidsson", "Löfgren", "Söderberg", "Nyberg", "Blomqvist", "Claesson", "Mårtensson",
    "Hussein", "Ahmadi", "Yilmaz", "Rodríguez", "Nguyen"
)  # fmt: skip

_ORGANISATIONS = (
    # förbund
    "IF Metall", "Kommunal", "Seko", "Handelsanställdas förbund", "Byggnads",
    "Fastighetsanställdas förbund", "Livsmedelsarbetareförbundet", "GS-facket",
    "Hotell- och restaurangfacket", "Svenska Transportarbetareförbundet",
    "Svenska Elektrikerförbundet", "Svenska Målareförbundet",
    # LO-distrikt och bildningsförbund
    "LO-distriktet i Stockholms län", "LO-distriktet i Västsverige", "LO-distriktet i Skåne",
    "LO-distriktet i Norr", "ABF Stockholm", "ABF Göteborg", "ABF Malmö",
    # avdelningar
    "IF Metall avd 3 Stockholm", "IF Metall avd 18 Göteborg", "IF Metall avd 9 Malmö",
    "IF Metall avd 25 Norrbotten", "IF Metall avd 33 Bergslagen", "Handels avd 1 Stockholm",
    "Handels avd 15 Göteborg", "Handels avd 20 Malmö", "Byggnads Väst", "Byggnads Skåne",
    "Byggnads Norr", "Transport avd 1 Stockholm", "Transport avd 2 Göteborg",
    "Fastighets avd 1 Stockholm", "Livs avd 2 Göteborg", "Elektrikerna avd Sydöst",
    "Målarna avd Norr",
    # sektioner
    "Kommunal sektion Malmö", "Kommunal sektion Göteborg centrum", "Kommunal sektion Umeå",
    "Kommunal sektion Uppsala", "Kommunal sektion Örebro", "Kommunal sektion Linköping",
    "Kommunal sektion Sundsvall", "Kommunal sektion Gävle",
    # klubbar
    "Seko klubb Posten Göteborg", "Seko klubb SJ Stockholm", "Seko klubb Tunnelbanan",
    "Seko klubb Telia Luleå", "IF Metall-klubben Volvo Torslanda",
    "IF Metall-klubben Scania Södertälje", "IF Metall-klubben SKF Göteborg",
    "IF Metall-klubben Sandvik Sandviken", "IF Metall-klubben SSAB Borlänge",
    "IF Metall-klubben LKAB Kiruna", "IF Metall-klubben ABB Västerås",
    "Livs klubb Arla Jönköping", "GS-klubben Stora Enso Skutskär",
    "Handels klubb IKEA Kungens Kurva", "Kommunal klubb Sahlgrenska",
    "Byggnads klubb Skanska Stockholm",
)  # fmt: skip
PERSONS = 240

# (kronor, weight); integers only, money never passes through a float.
_ONCE_KR = ((50, 4), (100, 10), (150, 4), (200, 10), (250, 4), (300, 7), (400, 2), (500, 8),
            (750, 1), (1000, 3))  # fmt: skip
_MONTHLY_KR = ((50, 4), (100, 20), (150, 10), (200, 22), (250, 8), (300, 14), (400, 3), (500, 6))
_ORG_KR = ((5_000, 12), (7_500, 6), (10_000, 14), (15_000, 8), (20_000, 9), (25_000, 7),
           (30_000, 5), (40_000, 3), (50_000, 5), (75_000, 2), (100_000, 2))  # fmt: skip
# One-off gifts cluster around 8 March, 1 May and Christmas (out of 10).
_MONTH_WEIGHT = {3: 5, 5: 6, 11: 6, 12: 10}


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    slug: str
    name: str
    budgets: tuple[tuple[int, int, int], ...]  # (year, need_ore, sida_ore)


@dataclass(frozen=True, slots=True)
class ContributorSpec:
    kind: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class GiftSpec:
    n: int
    day: date
    contributor: int  # index into Plan.contributors
    network: str | None  # slug; None: where it is needed most
    ore: int
    monthly: bool


@dataclass(frozen=True, slots=True)
class Plan:
    networks: tuple[NetworkSpec, ...]
    contributors: tuple[ContributorSpec, ...]
    gifts: tuple[GiftSpec, ...]


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


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _pick(rng: random.Random, table: tuple[tuple[int, int], ...]) -> int:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _networks(rng: random.Random, years: range) -> tuple[NetworkSpec, ...]:
    specs = []
    for slug, name, _ in NETWORKS:
        need_kr = rng.randrange(40, 251) * 10_000
        budgets = []
        for year in years:
            sida_kr = need_kr * rng.randrange(60, 91) // 100 // 1_000 * 1_000
            budgets.append((year, need_kr * 100, sida_kr * 100))
            # next year's need moves a little, within the same range
            need_kr = min(2_500_000, max(400_000, need_kr * rng.randrange(95, 116) // 100))
            need_kr = need_kr // 10_000 * 10_000
        specs.append(NetworkSpec(slug, name, tuple(budgets)))
    return tuple(specs)


def _contributors(rng: random.Random) -> tuple[ContributorSpec, ...]:
    specs, emails = [], set()
    for _ in range(PERSONS):
        first = rng.choice(_WOMEN if rng.random() < 0.52 else _MEN)
        name = f"{first} {rng.choice(_SURNAMES)}"
        base = ".".join(_ascii(part) for part in name.split())
        email, k = f"{base}@example.org", 1
        while email in emails:
            k += 1
            email = f"{base}{k}@example.org"
        emails.add(email)
        specs.append(ContributorSpec("person", name, email))
    for name in _ORGANISATIONS:
        specs.append(ContributorSpec("organisation", name, f"kassor@{_ascii(name)}.example.org"))
    return tuple(specs)


def _months(today: date) -> list[date]:
    out, d = [], START
    while d <= today:
        out.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def _gifts(rng: random.Random, count: int, today: date) -> tuple[GiftSpec, ...]:
    if today < START or count == 0:
        return ()
    slugs = [slug for slug, _, _ in NETWORKS]
    weights = [w for _, _, w in NETWORKS]

    def network(unrestricted_pct: int) -> str | None:
        if rng.randrange(100) < unrestricted_pct:
            return None
        return rng.choices(slugs, weights=weights)[0]

    raw: list[tuple[date, int, str | None, int, bool]] = []
    # Monthly givers: about 55% of the gifts, each on a fixed pay-day from its start month.
    months = _months(today)
    wanted = count * 55 // 100
    for person in rng.sample(range(PERSONS), PERSONS):
        if wanted <= 0:
            break
        start = 0 if rng.randrange(100) < 35 else rng.randrange(len(months))
        stop = rng.randrange(start + 1, len(months) + 1) if rng.randrange(100) < 20 else None
        payday = rng.choice((1, 10, 25, 27, 28))
        target, kr = network(15), _pick(rng, _MONTHLY_KR)
        for month in months[start:stop]:
            day = month.replace(day=payday)
            if day > today or wanted <= 0:
                break
            raw.append((day, person, target, kr * 100, True))
            wanted -= 1
    span = (today - START).days + 1

    def some_day() -> date:
        while True:
            day = START + timedelta(days=rng.randrange(span))
            if rng.randrange(10) < _MONTH_WEIGHT.get(day.month, 4):
                return day

    orgs = count * 4 // 100
    ones = count - len(raw) - orgs
    donor_weight = [rng.randrange(1, 20) ** 2 for _ in range(PERSONS)]  # a few give often
    persons = range(PERSONS)
    for _ in range(ones):
        who = rng.choices(persons, weights=donor_weight)[0]
        raw.append((some_day(), who, network(12), _pick(rng, _ONCE_KR) * 100, False))
    for _ in range(orgs):
        who = PERSONS + rng.randrange(len(_ORGANISATIONS))
        raw.append((some_day(), who, network(10), _pick(rng, _ORG_KR) * 100, False))
    ordered = sorted(enumerate(raw), key=lambda item: (item[1][0], item[0]))
    return tuple(GiftSpec(n, *gift) for n, (_, gift) in enumerate(ordered, start=1))


def build_plan(gifts: int, today: date) -> Plan:
    """The whole demo data set for ``gifts`` gifts dated 2025-01-01 through ``today``."""
    rng = random.Random(2026)
    years = range(START.year, max(2026, today.year) + 1)
    return Plan(_networks(rng, years), _contributors(rng), _gifts(rng, gifts, today))


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


def render_summary(s: SeedSummary) -> str:
    lines = [
        f"networks:     {s.networks} ({s.networks_created} new), {s.budgets} budgets set",
        f"contributors: {s.contributors} ({s.contributors_created} new)",
        f"staff logins: {len(s.logins)} ({sum(u.created for u in s.logins)} new)",
        f"gifts:        {s.gifts_posted} booked now, {s.gifts_already} already there "
        f"(demo gifts in all: {format_money(Money(s.gifts_ore))})",
        "",
        f"Demo logins at {LOGIN_URL}:",
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
        raise click.ClickException("refusing to seed demo data: KASSAN_ENV is production")
    plan = build_plan(gifts, date.today())
    try:
        with (
            get_engine(current_app).begin() as conn,
            click.progressbar(length=len(plan.gifts), label="Booking demo gifts") as bar,
        ):
            shown = 0

            def progress(done: int) -> None:
                nonlocal shown
                bar.update(done - shown)
                shown = done

            summary = seed(conn, plan, progress=progress)
    except LedgerError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(render_summary(summary))
