"""The demo's plan: a pure function of the number of gifts and today's date (one
``random.Random(2026)``), so the same day always gives the same networks with budgets,
contributors, gifts (each by bankgiro or card) and the monthly givers behind the monthly ones."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from kassan.demo.names import MEN, NETWORKS, ORGANISATIONS, SURNAMES, WOMEN
from ledger.services.gifts import GiftDraft

START = date(2025, 1, 1)
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

    def gift_draft(self, ore: int, frequency: str, channel: str) -> GiftDraft:
        """This giver's gift as the donor page sends it: Swedish, no identity numbers, no
        consent to be contacted."""
        return GiftDraft(
            amount_ore=ore,
            frequency=frequency,
            donor_kind=self.kind,
            donor_name=self.name,
            donor_email=self.email,
            organisation_number=None,
            personnummer=None,
            consent_contact=False,
            locale="sv",
            channel=channel,
        )


@dataclass(frozen=True, slots=True)
class GiftSpec:
    n: int
    day: date
    contributor: int  # index into Plan.contributors
    network: str | None  # slug; None: where it is needed most
    ore: int
    monthly: bool
    channel: str = "bankgiro"  # or "card"


@dataclass(frozen=True, slots=True)
class MonthlySpec:
    """One person's monthly gift: a standing bankgiro transfer or a card subscription."""

    contributor: int
    network: str | None
    ore: int
    channel: str  # "bankgiro" or "card"
    stopped: bool  # the donor stopped it before today


@dataclass(frozen=True, slots=True)
class Plan:
    networks: tuple[NetworkSpec, ...]
    contributors: tuple[ContributorSpec, ...]
    gifts: tuple[GiftSpec, ...]
    monthly: tuple[MonthlySpec, ...] = ()


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
        first = rng.choice(WOMEN if rng.random() < 0.52 else MEN)
        name = f"{first} {rng.choice(SURNAMES)}"
        base = ".".join(_ascii(part) for part in name.split())
        email, k = f"{base}@example.org", 1
        while email in emails:
            k += 1
            email = f"{base}{k}@example.org"
        emails.add(email)
        specs.append(ContributorSpec("person", name, email))
    for name in ORGANISATIONS:
        specs.append(ContributorSpec("organisation", name, f"kassor@{_ascii(name)}.example.org"))
    return tuple(specs)


def _months(today: date) -> list[date]:
    out, d = [], START
    while d <= today:
        out.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def _gifts(
    rng: random.Random, count: int, today: date
) -> tuple[tuple[GiftSpec, ...], tuple[MonthlySpec, ...]]:
    if today < START or count == 0:
        return (), ()
    slugs = [slug for slug, _, _ in NETWORKS]
    weights = [w for _, _, w in NETWORKS]

    def network(unrestricted_pct: int) -> str | None:
        if rng.randrange(100) < unrestricted_pct:
            return None
        return rng.choices(slugs, weights=weights)[0]

    raw: list[tuple[date, int, str | None, int, bool, str]] = []
    givers: list[MonthlySpec] = []
    # Monthly givers: about 55% of the gifts, each on a fixed pay-day from its start month,
    # two in five by card subscription, the others by standing bankgiro transfer.
    months = _months(today)
    wanted = count * 55 // 100
    for person in rng.sample(range(PERSONS), PERSONS):
        if wanted <= 0:
            break
        start = 0 if rng.randrange(100) < 35 else rng.randrange(len(months))
        stop = rng.randrange(start + 1, len(months) + 1) if rng.randrange(100) < 20 else None
        payday = rng.choice((1, 10, 25, 27, 28))
        target, kr = network(15), _pick(rng, _MONTHLY_KR)
        channel = "card" if rng.randrange(5) < 2 else "bankgiro"
        paid = 0
        for month in months[start:stop]:
            day = month.replace(day=payday)
            if day > today or wanted <= 0:
                break
            raw.append((day, person, target, kr * 100, True, channel))
            wanted -= 1
            paid += 1
        if paid:
            stopped = stop is not None and stop < len(months)
            givers.append(MonthlySpec(person, target, kr * 100, channel, stopped))
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
        channel = "card" if rng.randrange(100) < 35 else "bankgiro"
        raw.append((some_day(), who, network(12), _pick(rng, _ONCE_KR) * 100, False, channel))
    for _ in range(orgs):
        who = PERSONS + rng.randrange(len(ORGANISATIONS))
        raw.append((some_day(), who, network(10), _pick(rng, _ORG_KR) * 100, False, "bankgiro"))
    ordered = sorted(enumerate(raw), key=lambda item: (item[1][0], item[0]))
    gifts = tuple(GiftSpec(n, *gift) for n, (_, gift) in enumerate(ordered, start=1))
    return gifts, tuple(givers)


def build_plan(gifts: int, today: date) -> Plan:
    """The whole demo data set for ``gifts`` gifts dated 2025-01-01 through ``today``.

    Budgets run through next year, so that in December the board sees next year's need."""
    rng = random.Random(2026)
    years = range(START.year, max(2026, today.year) + 2)
    networks, contributors = _networks(rng, years), _contributors(rng)
    planned, monthly = _gifts(rng, gifts, today)
    return Plan(networks, contributors, planned, monthly)
