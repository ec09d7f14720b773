"""What the funding change mark (migrations 0031, 0032) costs webhook ingest: ``python -m
bench.webhooks`` with the mark's triggers and without (``--no-mark``), the same code, one process
per variant and round, the order changing between rounds; the medians of the rounds (issue 14).

    python -m bench.webhooks_mark --rounds 3 --seconds 10 --gifts 1500 --db postgresql
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = (("without the mark", ["--no-mark"]), ("with the mark", []))


def _one(db: str, seconds: float, gifts: int, extra: list[str]) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.webhooks", "--db", db, "--no-references"]
    argv += ["--seconds", str(seconds), "--gifts", str(gifts), *extra]
    done = subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True)
    written = done.stdout.strip().splitlines()[-1].removeprefix("figures written to ").strip()
    r = json.loads((ROOT / written).read_text())["results"][db]
    hooks, steps = r["webhooks"], r["breakdown_ms_p50"]
    return {
        "file": written,
        "per_s": hooks["per_s"],
        "p50_ms": hooks["p50_ms"],
        "p99_ms": hooks["p99_ms"],
        "booked_per_s": hooks["drain"]["booked_per_s"],
        "apply_ms": steps["apply without stripe reads"],
        "store_ms": steps["inbox store"],
        "busy_before": r["busy_cores_before"],
        "load_after": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks_mark", description=__doc__)
    parser.add_argument("--db", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--gifts", type=int, default=1500)
    args = parser.parse_args(argv)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in VARIANTS}
    for round_no in range(args.rounds):
        order = VARIANTS if round_no % 2 == 0 else VARIANTS[::-1]
        for name, extra in order:
            got = _one(args.db, args.seconds, args.gifts, extra)
            runs[name].append(got)
            print(f"round {round_no + 1}, {name}: {json.dumps(got)}", flush=True)
    keys = ("per_s", "p50_ms", "p99_ms", "booked_per_s", "apply_ms", "store_ms")
    print(f"\n{args.db}, median of {args.rounds} rounds (each round in brackets):")
    for name, done in runs.items():
        parts = [
            f"{k} {statistics.median(r[k] for r in done):g} ({', '.join(str(r[k]) for r in done)})"
            for k in keys
        ]
        load = ", ".join(f"{r['busy_before']} / {r['load_after']}" for r in done)
        print(f"- {name}: " + "; ".join(parts) + f"; busy cores / load {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
