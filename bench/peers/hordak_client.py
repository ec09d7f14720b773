"""django-hordak's side of the peer benchmark: run by ``bench/peers/.venv/bin/python`` (its
own virtual environment, never Kassan's), one piece of work per call, the figures as one JSON
line on stdout. ``bench/peers/__init__.py`` runs it beside ``kassan_client`` on the same
PostgreSQL.

    hordak_client.py setup  --url URL               # migrate, open the four accounts
    hordak_client.py single --url URL --n 500       # one 2-leg transaction per db transaction
    hordak_client.py client --url URL --seconds 5 --start-at T   # one of the 4 clients
    hordak_client.py bulk   --url URL --entries N   # N 3-leg transactions in one transaction
    hordak_client.py tb     --url URL --calls 20    # every account's balance, one query

Each entry is what a hordak user writes: ``Transaction.objects.create`` and one
``Leg.objects.create`` per leg inside ``transaction.atomic()`` (as ``Account.transfer_to``
does); the bulk path uses ``bulk_create`` for both, hordak's fastest way in, with its
database triggers (legs balance, currencies match) still checking every transaction.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

ACCOUNTS = {
    "1930": ("Bank", "AS"),
    "1580": ("Stripe", "AS"),
    "3993": ("Gåvor", "IN"),
    "6570": ("Avgifter", "EX"),
}
DAY = date(2026, 6, 1)


def configure(url: str) -> None:
    import django
    from django.conf import settings

    u = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    settings.configure(
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": u.path.lstrip("/"),
                "USER": u.username or "",
                "PASSWORD": u.password or "",
                "HOST": u.hostname or "",
                "PORT": str(u.port or ""),
                "CONN_MAX_AGE": None,
            }
        },
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "mptt", "hordak"],
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        HORDAK_DEFAULT_CURRENCY="SEK",
        HORDAK_INTERNAL_CURRENCY="SEK",
        HORDAK_CURRENCIES=["SEK"],
        CURRENCIES=["SEK"],
    )
    django.setup()


def accounts() -> dict[str, Any]:
    from hordak.models import Account

    return {a.code: a for a in Account.objects.all()}


def setup(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command
    from hordak.models import Account

    call_command("migrate", verbosity=0)
    for code, (name, kind) in ACCOUNTS.items():
        Account.objects.create(code=code, name=name, type=kind, currencies=["SEK"])
    return {"accounts": len(ACCOUNTS)}


def _one(acc: dict[str, Any], k: int) -> None:
    from django.db import transaction
    from djmoney.money import Money
    from hordak.models import Leg, Transaction

    amount = Money(Decimal(10_000 + k) / 100, "SEK")
    with transaction.atomic():
        tx = Transaction.objects.create(date=DAY, description=f"Swish-gåva {k}")
        Leg.objects.create(transaction=tx, account=acc["1930"], debit=amount)
        Leg.objects.create(transaction=tx, account=acc["3993"], credit=amount)


def single(args: argparse.Namespace) -> dict[str, Any]:
    acc = accounts()
    times = []
    for k in range(args.offset, args.offset + args.n):
        t0 = time.perf_counter()
        _one(acc, k)
        times.append(time.perf_counter() - t0)
    return {"entries": args.n, "times": times}


def client(args: argparse.Namespace) -> dict[str, Any]:
    acc = accounts()
    _one(acc, args.offset)  # connect and warm up before the clock starts
    late = time.time() > args.start_at
    time.sleep(max(0.0, args.start_at - time.time()))
    end = args.start_at + args.seconds
    times, k = [], args.offset + 1
    while time.time() < end:
        t0 = time.perf_counter()
        _one(acc, k)
        times.append(time.perf_counter() - t0)
        k += 1
    return {"entries": len(times) + 1, "timed": len(times), "times": times, "late": late}


def bulk(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction
    from djmoney.money import Money
    from hordak.models import Leg, Transaction

    acc = accounts()
    t0 = time.perf_counter()
    with transaction.atomic():
        txs = Transaction.objects.bulk_create(
            [
                Transaction(date=DAY, description=f"Kortgåva ch_{k:012x}")
                for k in range(args.offset, args.offset + args.entries)
            ],
            batch_size=5_000,
        )
        legs = []
        for k, tx in zip(range(args.offset, args.offset + args.entries), txs, strict=True):
            gross = 5_000 + (k * 7_919) % 995_000
            fee = 180 + gross * 15 // 1000
            legs += [
                Leg(
                    transaction=tx,
                    account=acc["1580"],
                    debit=Money(Decimal(gross - fee) / 100, "SEK"),
                ),
                Leg(transaction=tx, account=acc["6570"], debit=Money(Decimal(fee) / 100, "SEK")),
                Leg(transaction=tx, account=acc["3993"], credit=Money(Decimal(gross) / 100, "SEK")),
            ]
        Leg.objects.bulk_create(legs, batch_size=5_000)
    seconds = time.perf_counter() - t0
    return {"entries": args.entries, "lines": len(legs), "seconds": seconds}


def tb(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from hordak.models import Account, Leg

    times, balances = [], []
    for k in range(args.calls + 1):
        t0 = time.perf_counter()
        balances = [(a.code, str(a.balance)) for a in Account.objects.with_balances()]
        if k:
            times.append(time.perf_counter() - t0)
        connection.close()  # a connection of its own per call, as a web request would
    debit, credit = Leg.objects.sum_to_debit_and_credit()
    return {
        "times": times,
        "balances": balances,
        "lines": Leg.objects.count(),
        "balanced": str(debit) == str(credit),
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="hordak_client.py")
    p.add_argument("work", choices=("setup", "single", "client", "bulk", "tb"))
    p.add_argument("--url", required=True)
    p.add_argument("--n", type=int, default=0)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--entries", type=int, default=0)
    p.add_argument("--seconds", type=float, default=0.0)
    p.add_argument("--start-at", type=float, default=0.0)
    p.add_argument("--calls", type=int, default=0)
    args = p.parse_args(argv)
    configure(args.url)
    work = {"setup": setup, "single": single, "client": client, "bulk": bulk, "tb": tb}
    print(json.dumps(work[args.work](args)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
