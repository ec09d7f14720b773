"""The dashboard's first load and warm view, an older commit against this tree, alternating in
rounds in one run (issue 14: "measure before and after with the old and new code alternating").

    python -m bench.dashboard_ab --old 0e638d0 --lines 10000000 --db sqlite
    python -m bench.dashboard_ab --old 0e638d0 --lines 2000000 --db postgresql

1. The old commit is unpacked with ``git archive`` into a temporary directory; a child process
   with that directory first on ``PYTHONPATH`` migrates a fresh database to the old code's head
   and seeds it with the old code's ``bench.funding_gap.seed`` (and catches its tallies up).
2. The database is copied (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on
   PostgreSQL) and the copy migrated to this tree's head: the old code reads the old schema,
   the new code the new one, the same ledger in both.
3. Per round, each variant in turn (the order flips every round): ``--colds`` fresh processes
   of its own code, each signing in as leadership and timing its first ``GET /dashboard``
   (cold), the first also ``--warm`` more (warm); each variant's templates are compiled once
   beforehand, as a server's would be. The median over the rounds of each round's p50 is
   printed, with the load (busy cores over 2 s, 1-minute load average) before each.
4. ``verify`` over both ledgers, which must pass.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.pool import NullPool

from bench import busy_cores, funding_gap
from ledger import migrate
from ledger.db.engine import make_engine, reading
from ledger.services.verify import verify

ROOT = Path(__file__).resolve().parent.parent

# What a child process runs with its variant's code first on the path.
SEED = """
import sys
from sqlalchemy.pool import NullPool
from bench import funding_gap as fg
from ledger import migrate
from ledger.db.engine import make_engine
url, lines = sys.argv[1], int(sys.argv[2])
engine = make_engine(url, poolclass=NullPool)
migrate.upgrade(engine)
engine.dispose()
seeded = fg.seed(url, lines)
print(f"  seeded {seeded['lines']:,} lines in {seeded['seed_seconds']:.0f} s", flush=True)
print(f"  tallies caught up: {fg.fold_in(url)}", flush=True)
"""
ONE = """
import json, sys
from bench import dashboard as d
from bench.funding_gap import LEADER, PASSWORD
app, client = d._signed_in(sys.argv[1], LEADER, PASSWORD)
cold = d._get(client)
warm = [d._get(client) for _ in range(int(sys.argv[2]))]
app.extensions["kassan.engine"].dispose()
print(json.dumps({"cold": cold * 1000, "warm": [w * 1000 for w in warm]}))
"""


def _child(code: str, src: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=src,
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child in {src} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _load() -> tuple[float, float]:
    return busy_cores(), round(os.getloadavg()[0], 2)


def alternate(variants: dict[str, tuple[Path, str]], rounds: int, colds: int, warm: int) -> Any:
    for src, url in variants.values():  # each variant's templates compiled once, as a server's
        _child(ONE, src, url, "0")
    out: dict[str, dict[str, list[float]]] = {n: {"cold": [], "warm": []} for n in variants}
    loads = []
    names = list(variants)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            src, url = variants[name]
            loads.append(_load())
            cold, warms = [], []
            for k in range(colds):
                got = json.loads(_child(ONE, src, url, str(warm if k == 0 else 0)).splitlines()[-1])
                cold.append(got["cold"])
                warms += got["warm"]
            out[name]["cold"].append(statistics.median(cold))
            out[name]["warm"].append(statistics.median(warms))
            print(
                f"  round {r + 1} {name}: cold p50 {statistics.median(cold):,.1f} ms "
                f"({min(cold):,.0f}-{max(cold):,.0f}), warm p50 {statistics.median(warms):.1f} ms;"
                f" busy cores / load {loads[-1][0]} / {loads[-1][1]}",
                flush=True,
            )
    for name, got in out.items():
        print(
            f"{name}: cold {statistics.median(got['cold']):,.1f} ms (rounds "
            f"{', '.join(f'{x:,.0f}' for x in got['cold'])}), warm "
            f"{statistics.median(got['warm']):.1f} ms (rounds "
            f"{', '.join(f'{x:.1f}' for x in got['warm'])})"
        )
    print(f"load before each (busy cores, load average): {loads}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the commit to measure against")
    parser.add_argument("--lines", type=int, default=funding_gap.DEFAULTS["lines"])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--colds", type=int, default=3, help="fresh processes per round")
    parser.add_argument("--warm", type=int, default=20, help="warm requests per round")
    parser.add_argument("--keep", type=Path, help="keep the SQLite ledgers in this directory")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kassan-dash-ab-"))
    old_src = tmp / "old"
    old_src.mkdir()
    archive = subprocess.run(
        ["git", "archive", args.old], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(old_src)], input=archive, check=True)
    pg = None
    try:
        if args.db == "postgresql":
            from tests.support.pgcluster import PgCluster

            pg = PgCluster(durable=True)
            pg.start()
            pg.create_database("dash_old")
            old_url = pg.url_for("dash_old")
        else:
            where = args.keep or tmp
            where.mkdir(parents=True, exist_ok=True)
            old_url = f"sqlite:///{where / 'old.db'}"
        print(f"seeding {args.lines:,} lines with {args.old}'s code ({args.db})", flush=True)
        print(_child(SEED, old_src, old_url, str(args.lines)), end="", flush=True)
        if pg is not None:
            pg.create_database("dash_new", template="dash_old")
            new_url = pg.url_for("dash_new")
        else:
            new_path = Path(old_url.removeprefix("sqlite:///")).with_name("new.db")
            shutil.copyfile(old_url.removeprefix("sqlite:///"), new_path)
            new_url = f"sqlite:///{new_path}"
        engine = make_engine(new_url, poolclass=NullPool)
        migrate.upgrade(engine)
        engine.dispose()
        if pg is not None:
            for name in ("dash_old", "dash_new"):  # the same planner statistics for both
                with pg.connect(name) as conn:
                    conn.execute("VACUUM ANALYZE")
        alternate(
            {"old": (old_src, old_url), "new": (ROOT, new_url)},
            args.rounds,
            args.colds,
            args.warm,
        )
        for name, url in (("old", old_url), ("new", new_url)):
            engine = make_engine(url, poolclass=NullPool)
            with reading(engine) as conn:
                report = verify(conn)
            engine.dispose()
            print(f"verify {name}: {'ok' if report.ok else report.problems[:3]}", flush=True)
            if not report.ok:
                raise SystemExit(1)
    finally:
        if pg is not None:
            pg.stop()
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(old_src, ignore_errors=True)


if __name__ == "__main__":
    main()
