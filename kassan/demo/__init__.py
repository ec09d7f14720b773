"""Demo data for ``make demo``: solidarity networks with budgets (through next year),
contributors, staff logins, two years of gifts by bankgiro and card (with Stripe's fees and
payouts, ``cards``), monthly givers on a card subscription or a standing bankgiro transfer
(``monthly``) and federations' pledges with their invoices (``pledges``), all booked through
the ledger's services and the payment rails' own booking functions.

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
