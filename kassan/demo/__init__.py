"""Demo data for ``make demo``: solidarity networks with budgets, contributors, staff logins and
two years of bankgiro gifts, all booked through the ledger's services.

``build_plan`` (``plan``) is a pure function of the number of gifts and today's date (one
``random.Random(2026)``), so the same day always gives the same data; ``seed`` (``seeding``)
applies a plan and can run any number of times: networks and contributors are looked up before
they are created, budgets are upserted and every gift carries the source key ``demo:gift:<n>``,
so a second run books nothing twice. The names come from ``names.toml`` (``names``); the command
is ``kassan.cli.demo``.
"""

from __future__ import annotations

from kassan.demo.names import NETWORKS, ORGANISATIONS
from kassan.demo.plan import PERSONS, START, Plan, build_plan
from kassan.demo.seeding import DEMO_USERS, DemoLogin, SeedSummary, seed

__all__ = [
    "DEMO_USERS",
    "NETWORKS",
    "ORGANISATIONS",
    "PERSONS",
    "START",
    "DemoLogin",
    "Plan",
    "SeedSummary",
    "build_plan",
    "seed",
]
