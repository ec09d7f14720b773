"""What the funding change mark (migrations 0031, 0032) costs the demo's seeding: ``kassan demo
seed --gifts N`` on fresh databases with the mark's triggers and without (dropped by
``Databases.without_mark``), the same code, alternating in rounds; each round's seconds and the
median (issue 14).

    python -m bench.demo_mark --db postgresql --gifts 5000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import Databases

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.demo_mark", description=__doc__)
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--gifts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    kassan = Path(sys.executable).with_name("kassan")
    runs: dict[str, list[float]] = {"without the mark": [], "with the mark": []}
    with Databases([args.db]) as dbs:
        for round_no in range(args.rounds):
            order = list(runs) if round_no % 2 == 0 else list(runs)[::-1]
            for name in order:
                url = dbs.fresh_url(args.db, "demo")
                if name == "without the mark":
                    dbs.without_mark(url)
                env = {k: v for k, v in os.environ.items() if not k.startswith("KASSAN_")}
                env["DATABASE_URL"] = url
                started = time.perf_counter()
                subprocess.run(
                    [str(kassan), "demo", "seed", "--gifts", str(args.gifts)],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                )
                seconds = time.perf_counter() - started
                runs[name].append(seconds)
                print(
                    f"round {round_no + 1}, {name}: {seconds:.2f} s, load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
                dbs.drop(url)
    for name, done in runs.items():
        each = ", ".join(f"{s:.1f}" for s in done)
        print(f"- {name}: {statistics.median(done):.2f} s ({each})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
