"""Kassan's side of the peer benchmark: the same work as ``hordak_client.py``, through the
ledger's own services, one piece of work per call, the figures as one JSON line on stdout.

    python -m bench.peers.kassan_client setup  --url URL   # networks and contributors
    python -m bench.peers.kassan_client single --url URL --n 500
    python -m bench.peers.kassan_client client --url URL --seconds 5 --start-at T --offset K
    python -m bench.peers.kassan_client threads --url URL --threads 4 --seconds 5 --start-at T
    python -m bench.peers.kassan_client bulk   --url URL --entries N   # post_many, 3 lines each
    python -m bench.peers.kassan_client tb     --url URL --calls 20    # trial_balance()
    python -m bench.peers.kassan_client verify --url URL               # the verify service

A single entry is a Swish gift, 1930 debit / 3993 credit with network and contributor and a
source key, booked as the app books one: ``with engine.begin(): posting.post(...)``; the
``threads`` work posts from threads of one process through ``posting.submit`` (group
commit), as the API's ``POST /api/v1/entries`` does under gunicorn's gthread workers.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import date
from typing import Any

from bench import engine_for
from ledger.entries import Draft, LineDraft
from ledger.services import dimensions, posting
from ledger.services.verify import verify as verify_ledger
from reports.trial_balance import trial_balance

DAY = date(2026, 6, 1)
NETWORKS = ("stockholm", "goteborg", "malmo", "uppsala", "umea", "lund", "orebro", "gavle")
CONTRIBUTORS = 100


def _swish(k: int) -> Draft:
    net, who = NETWORKS[k % 8], 1 + k % CONTRIBUTORS
    return Draft(
        DAY,
        f"Swish-gåva {k}",
        (
            LineDraft("1930", 10_000 + k, 0, "SEK", net, who),
            LineDraft("3993", 0, 10_000 + k, "SEK", net, who),
        ),
        "S",
        "swish",
        f"swish:{k}",
    )


def _card(k: int) -> Draft:
    gross = 5_000 + (k * 7_919) % 995_000
    fee = 180 + gross * 15 // 1000
    net, who = NETWORKS[k % 8], 1 + k % CONTRIBUTORS
    return Draft(
        DAY,
        f"Kortgåva ch_{k:012x}",
        (
            LineDraft("1580", gross - fee, 0, "SEK", net, who),
            LineDraft("6570", fee, 0, "SEK", net),
            LineDraft("3993", 0, gross, "SEK", net, who),
        ),
        "K",
        "stripe",
        f"ch:{k}",
    )


def setup(args: argparse.Namespace) -> dict[str, Any]:
    engine = engine_for(args.url)
    with engine.begin() as conn:
        for slug in NETWORKS:
            dimensions.create_network(conn, slug, slug.title())
        for i in range(1, CONTRIBUTORS + 1):
            dimensions.create_contributor(conn, "person", f"Givare {i}", f"givare{i}@example.org")
    engine.dispose()
    return {"networks": len(NETWORKS), "contributors": CONTRIBUTORS}


def single(args: argparse.Namespace) -> dict[str, Any]:
    engine = engine_for(args.url)
    with engine.connect():
        pass  # connect before the clock starts
    times = []
    for k in range(args.offset, args.offset + args.n):
        draft = _swish(k)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            posting.post(conn, draft)
        times.append(time.perf_counter() - t0)
    engine.dispose()
    return {"entries": args.n, "times": times}


def client(args: argparse.Namespace) -> dict[str, Any]:
    engine = engine_for(args.url)
    with engine.begin() as conn:  # connect and warm up before the clock starts
        posting.post(conn, _swish(args.offset))
    late = time.time() > args.start_at
    time.sleep(max(0.0, args.start_at - time.time()))
    end = args.start_at + args.seconds
    times, k = [], args.offset + 1
    while time.time() < end:
        draft = _swish(k)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            posting.post(conn, draft)
        times.append(time.perf_counter() - t0)
        k += 1
    engine.dispose()
    return {"entries": len(times) + 1, "timed": len(times), "times": times, "late": late}


def threads(args: argparse.Namespace) -> dict[str, Any]:
    """``--threads`` threads of this process posting through the engine's sequencer from
    ``--start-at`` for ``--seconds``; also the batches the sequencer booked them in. With
    ``--via post`` each thread posts as ``client`` does (the same threads without group
    commit, to compare)."""
    engine = engine_for(args.url)
    sequencer = posting.sequencer_for(engine)
    sequencer.submit(_swish(args.offset))  # connect and warm up before the clock starts
    late = time.time() > args.start_at
    taken, batches = sequencer.taken, sequencer.batches
    times: list[list[float]] = [[] for _ in range(args.threads)]

    def post_for(i: int) -> None:
        time.sleep(max(0.0, args.start_at - time.time()))
        end = args.start_at + args.seconds
        k = args.offset + 1 + i * 10**6
        while time.time() < end:
            draft = _swish(k)
            t0 = time.perf_counter()
            if args.via == "submit":
                posting.submit(engine, draft)
            else:
                with engine.begin() as conn:
                    posting.post(conn, draft)
            times[i].append(time.perf_counter() - t0)
            k += 1

    workers = [threading.Thread(target=post_for, args=(i,)) for i in range(args.threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    taken, batches = sequencer.taken - taken, sequencer.batches - batches
    engine.dispose()
    flat = [t for per in times for t in per]
    return {
        "entries": len(flat) + 1,
        "timed": len(flat),
        "times": flat,
        "late": late,
        "mean_batch": taken / batches if batches else 0.0,
    }


def bulk(args: argparse.Namespace) -> dict[str, Any]:
    engine = engine_for(args.url)
    with engine.connect():
        pass
    t0 = time.perf_counter()
    with engine.begin() as conn:
        result = posting.post_many(
            conn, (_card(k) for k in range(args.offset, args.offset + args.entries))
        )
    seconds = time.perf_counter() - t0
    engine.dispose()
    if result.posted != args.entries or result.duplicates:
        raise RuntimeError(f"post_many booked {result}, expected {args.entries} new entries")
    return {"entries": result.posted, "lines": result.lines, "seconds": seconds}


def tb(args: argparse.Namespace) -> dict[str, Any]:
    engine = engine_for(args.url)
    times: list[float] = []
    report: dict[str, Any] = {}
    for k in range(args.calls + 1):
        t0 = time.perf_counter()
        with engine.connect() as conn:  # a connection of its own per call, as a request would
            report = trial_balance(conn)
        if k:
            times.append(time.perf_counter() - t0)
    with engine.connect() as conn:
        lines = conn.exec_driver_sql("SELECT count(*) FROM journal_lines").scalar()
    engine.dispose()
    totals = report["totals"]
    return {"times": times, "lines": lines, "balanced": totals["debit_ore"] == totals["credit_ore"]}


def verify(args: argparse.Namespace) -> dict[str, Any]:
    engine = engine_for(args.url)
    with engine.connect() as conn:
        report = verify_ledger(conn)
    engine.dispose()
    return {
        "ok": report.ok,
        "entries": report.entries,
        "problems": [str(p) for p in report.problems][:5],
    }


WORK = {
    "setup": setup,
    "single": single,
    "client": client,
    "threads": threads,
    "bulk": bulk,
    "tb": tb,
    "verify": verify,
}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.peers.kassan_client")
    p.add_argument("work", choices=tuple(WORK))
    p.add_argument("--url", required=True)
    p.add_argument("--n", type=int, default=0)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--entries", type=int, default=0)
    p.add_argument("--seconds", type=float, default=0.0)
    p.add_argument("--start-at", type=float, default=0.0)
    p.add_argument("--calls", type=int, default=0)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--via", choices=("submit", "post"), default="submit")
    args = p.parse_args(argv)
    print(json.dumps(WORK[args.work](args)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
