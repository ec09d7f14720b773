"""``make bench``: every Kassan benchmark on SQLite and PostgreSQL, in one command.

Prints the figures, writes them to ``bench/results/<time>.json`` (not in git) and into the
benchmark's marked section of ``docs/performance.md`` (the rest of the doc is kept).

    python -m bench.run                   # all benchmarks, the issue's sizes
    python -m bench.run --quick           # small sizes for a fast look; leaves the doc alone
    python -m bench.run --only ledger --db sqlite --bulk-lines 200000

A benchmark module has ``NAME``, ``add_options(parser)``, ``run(args, dbs) -> dict`` (JSON
data) and ``render(result, meta) -> str`` (Markdown); add it to ``BENCHMARKS``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

from bench import BACKENDS, Databases, machine, replace_section
from bench import bankimport as bankimport_bench
from bench import funding_gap as funding_gap_bench
from bench import importwait as importwait_bench
from bench import invoices as invoices_bench
from bench import ledger as ledger_bench
from bench import peers as peers_bench
from bench import webhooks as webhooks_bench

BENCHMARKS: dict[str, ModuleType] = {
    m.NAME: m
    for m in (
        ledger_bench,
        webhooks_bench,
        bankimport_bench,
        importwait_bench,
        invoices_bench,
        funding_gap_bench,
        peers_bench,
    )
}
# ``make bench`` runs these; the peer benchmark needs hordak's own venv (``make bench-peers``).
DEFAULT = ",".join(name for name in BENCHMARKS if name != peers_bench.NAME)
ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
RESULTS = ROOT / "bench" / "results"
# What the figures depend on: a change here (even an untracked migration) marks the commit.
MEASURED = (
    *(f"ledger/{m}.py" for m in ("entries", "chart", "money", "migrate")),
    *(f"ledger/services/{m}.py" for m in ("journal", "balances", "dimensions")),
    "ledger/services/posting",
    "ledger/db",
    "migrations",
    "reports",
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; doc not written")
    parser.add_argument("--only", default=DEFAULT, help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--db", default=",".join(BACKENDS), help="sqlite,postgresql (default)")
    doc = parser.add_mutually_exclusive_group()
    doc.add_argument("--write-doc", action="store_true", help=f"write {DOC.name} even if --quick")
    doc.add_argument("--no-doc", action="store_true", help=f"do not touch {DOC.name}")
    for module in BENCHMARKS.values():
        module.add_options(parser)
    args = parser.parse_args(argv)
    for name, allowed in (("only", BENCHMARKS), ("db", BACKENDS)):
        unknown = set(getattr(args, name).split(",")) - set(allowed)
        if unknown:
            parser.error(f"--{name}: unknown {', '.join(sorted(unknown))}")
    return args


def _commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    sha = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", *MEASURED)
    return f"{sha}+uncommitted changes" if dirty else sha


def main(argv: list[str]) -> int:
    args = parse(argv)
    backends = [b for b in BACKENDS if b in args.db.split(",")]
    if "postgresql" in backends:
        from tests.support.pgcluster import find_pg_bindir

        if find_pg_bindir() is None:
            print("!! PostgreSQL server binaries not found: PostgreSQL is SKIPPED", flush=True)
            backends.remove("postgresql")
    started = datetime.now().astimezone()
    meta = {
        "date": started.strftime("%Y-%m-%d %H:%M %Z"),
        "commit": _commit(),
        "command": " ".join(["python -m bench.run", *argv]),
        "machine": machine(),
    }
    print(f"Kassan benchmarks, {meta['date']}, commit {meta['commit']}", flush=True)
    results = {}
    with Databases(backends) as dbs:
        if dbs.pg is not None:
            meta["postgresql_settings"] = dbs.pg_settings()
        for name in args.only.split(","):
            results[name] = BENCHMARKS[name].run(args, dbs)
            print(f"\n{BENCHMARKS[name].render(results[name], meta)}\n", flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{started:%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str) + "\n")
    print(f"figures written to {out.relative_to(ROOT)}")
    if args.write_doc or not (args.quick or args.no_doc):
        doc = DOC.read_text() if DOC.exists() else "# Performance\n"
        for name, result in results.items():
            doc = replace_section(doc, name, BENCHMARKS[name].render(result, meta))
        DOC.write_text(doc)
        print(f"and into {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
