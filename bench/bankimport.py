"""Bank-file import benchmark: a camt.054 of 100,000 payments (70% valid OCR references to open
expected payments, 20% the reference in free text or a Swish message, 10% unknown) parsed,
matched and booked by ``import_file`` on each database, beside the raw insert floor of the same
rows in the same run; and a 1,000,000-payment file streamed through for its peak memory.

Each import runs in a fresh process, so its peak RSS is its own. ``--bank-against COMMIT``
runs the same import with that commit's code too (extracted with ``git archive`` into a temporary
directory, run there in its own process), the two alternating in ``--bank-rounds`` rounds, each
on a fresh database; the figures are the medians. Every database is checked with the verify
service (``kassan ledger verify``) after its import.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import Databases, Stopwatch, busy_cores, engine_for, peak_rss_mib
from bench.ledger import BUSY, pg_copy, sqlite_executemany
from ledger.db.engine import reading

ROOT = Path(__file__).resolve().parent.parent
NAME = "bankimport"
GOALS = {"seconds": 5.0, "rss_mib": 300.0}
DEFAULTS = {"payments": 100_000, "stream_payments": 1_000_000}
NO_MARK = "this, no change mark"  # this code, the funding change mark's triggers dropped
QUICK = {"payments": 10_000, "stream_payments": 0}


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("bank-import benchmark")
    g.add_argument("--bank-payments", type=int, help=f"default {DEFAULTS['payments']:,}")
    g.add_argument(
        "--bank-stream", type=int, help=f"default {DEFAULTS['stream_payments']:,}; 0 skips"
    )
    g.add_argument("--bank-against", help="a commit whose code is measured alternating with this")
    g.add_argument(
        "--bank-mark-ab",
        action="store_true",
        help="also run this code on databases without the funding change mark's triggers "
        "(migrations 0031, 0032), alternating: what the mark costs the import",
    )
    g.add_argument("--bank-rounds", type=int, default=1, help="rounds (default 1); medians")


def _write(path: Path, n: int) -> None:
    from tests.support.camt_files import generated_entries, write_camt

    with path.open("w", encoding="utf-8") as out:
        write_camt(out, generated_entries(n))


def _seed(url: str, n: int) -> None:
    """An open expected payment for every generated reference (the file pays 90% of them)."""
    from tests.support.camt_files import ocr

    engine = engine_for(url)
    with engine.begin() as conn:
        network = conn.execute(
            text("INSERT INTO networks (slug, name) VALUES ('fred', 'Fred') RETURNING id")
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO expected_payments (reference, kind, network_id, currency, "
                "repeating, status, paid_ore, created_at, updated_at) VALUES (:r, 'gift', :n, "
                "'SEK', false, 'open', 0, current_timestamp, current_timestamp)"
            ),
            [{"r": ocr(1_000_000 + i), "n": network} for i in range(n)],
        )
    engine.dispose()


def _parse_only(path: str) -> dict[str, Any]:
    from webhooks.bankfiles.camt import CamtReader

    with open(path, "rb") as f, Stopwatch() as sw:
        count = sum(1 for _ in CamtReader(f, "bench.xml"))
    return {"lines": count, "seconds": sw.seconds, "rss_mib": peak_rss_mib()}


def _import(url: str, path: str) -> dict[str, Any]:
    from tests.support.bank_accounts import OURS
    from webhooks.bankfiles.importer import import_file

    engine = engine_for(url)
    with engine.connect():
        pass  # connect before the clock starts
    with open(path, "rb") as f, Stopwatch() as sw:
        result = import_file(engine, f, "bench.xml", mail_config=OURS)  # the file is for ours
    engine.dispose()
    c = result.counts
    return {
        "seconds": sw.seconds,
        "lines": c.line_count,
        "matched": c.matched_count,
        "unmatched": c.unmatched_count,
        "booked": c.booked_count,
        "rss_mib": peak_rss_mib(),
    }


def _verified(url: str) -> bool:
    """The verify service over the whole ledger: chain, numbers, balances, keys."""
    from ledger.services.verify import verify

    engine = engine_for(url)
    try:
        with reading(engine) as conn:
            return verify(conn).ok
    finally:
        engine.dispose()


def _extract(commit: str, into: Path) -> Path:
    """The code of ``commit``, as a directory to run it from."""
    tree = into / f"code-{commit}"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _import_with(tree: Path | None, url: str, path: str) -> dict[str, Any]:
    """``_import`` in a fresh process, with this code or the code in ``tree``."""
    if tree is None:
        return _fresh(_import, url, path)
    code = (
        "import json, sys; from bench.bankimport import _import; "
        "print(json.dumps(_import(sys.argv[1], sys.argv[2])))"
    )
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", code, url, path],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _fresh(fn: Any, *args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        out: dict[str, Any] = pool.submit(fn, *args).result()
    return out


def _floor(dbs: Databases, backend: str, n: int) -> dict[str, Any]:
    rows: list[tuple[object, ...]] = []
    for i in range(n):
        rows.append((i + 1, 1, "1930", 10_000, 0, "SEK", None, None))
        rows.append((i + 1, 2, "3993", 0, 10_000, "SEK", None, None))
    if backend == "sqlite":
        path = dbs.tmpdir / "bank-floor.db"
        out = {"how": "sqlite3 executemany", **sqlite_executemany(path, rows)}
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return out
    return {"how": "COPY", **pg_copy(dbs, rows)}


def run(args: argparse.Namespace, dbs: Databases) -> dict[str, Any]:
    base = QUICK if args.quick else DEFAULTS
    n = args.bank_payments if args.bank_payments is not None else base["payments"]
    big = args.bank_stream if args.bank_stream is not None else base["stream_payments"]
    result: dict[str, Any] = {"payments": n, "stream_payments": big, "goals": GOALS}
    with tempfile.TemporaryDirectory(prefix="kassan-bank-") as tmp:
        path = Path(tmp) / "camt054.xml"
        _write(path, n)
        result["file_mib"] = path.stat().st_size / 2**20
        result["parse"] = _fresh(_parse_only, str(path))
        against = args.bank_against
        sides: list[tuple[str, Path | None]] = [("this", None)]
        if against:
            sides.insert(0, (against, _extract(against, Path(tmp))))
        if args.bank_mark_ab:
            sides.insert(0, (NO_MARK, None))
        result["sides"] = [name for name, _ in sides]
        for backend in dbs.backends:
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in sides}
            for round_no in range(args.bank_rounds):
                order = sides if round_no % 2 == 0 else sides[::-1]
                for name, tree in order:
                    busy = busy_cores()
                    if busy > BUSY:
                        print(f"  !! {busy} cores busy with other work: figures will be low")
                    url = dbs.fresh_url(backend, "bank")
                    if name == NO_MARK:
                        dbs.without_mark(url)
                    _seed(url, n)
                    print(f"  [{backend}] {name}: import of {n:,} payments", flush=True)
                    got = _import_with(tree, url, str(path))
                    got["busy_cores_before"] = busy
                    got["loadavg_after"] = round(os.getloadavg()[0], 2)
                    got["verified"] = _verified(url)
                    print(f"    {got['seconds']:.2f} s, verify ok: {got['verified']}", flush=True)
                    runs[name].append(got)
                    dbs.drop(url)
            out = {
                name: {
                    "runs": done,
                    "seconds": statistics.median(r["seconds"] for r in done),
                    "rss_mib": statistics.median(r["rss_mib"] for r in done),
                }
                for name, done in runs.items()
            }
            result[backend] = {"sides": out, "floor": _floor(dbs, backend, n)}
        if big:
            path.unlink()
            _write(path, big)
            result["stream_file_mib"] = path.stat().st_size / 2**20
            backend = dbs.backends[0]
            url = dbs.fresh_url(backend, "bankstream")
            print(f"  [{backend}] streaming {big:,} payments (none expected)", flush=True)
            result["stream"] = {"backend": backend, **_fresh(_import, url, str(path))}
            dbs.drop(url)
    return result


def render(result: dict[str, Any], meta: dict[str, Any]) -> str:
    m, goals = meta["machine"], result["goals"]
    parse = result["parse"]
    out = [
        f"Bank-file import, {meta['date']}, commit {meta['commit']}, `{meta['command']}`; "
        f"{m.get('nproc', '?')} cores, shared with other work on the machine (busy cores "
        "measured before each run below; figures are low when it is above 0.3).",
        "",
        f"camt.054 of {result['payments']:,} payments ({result['file_mib']:.1f} MiB): "
        f"parse alone {parse['seconds']:.2f} s, peak RSS {parse['rss_mib']:.0f} MiB.",
        "",
        f"Each import in a fresh process on a fresh database; {len(result['sides'])} code(s) "
        "alternating, figures are the medians of the rounds; busy cores before each import "
        "(other work) / 1-minute load average after it, per round; verify: the verify service "
        "over the whole ledger after each import.",
        "",
        "| database | code | parse+match+book s (median) | per round s | payments/s | "
        "peak RSS MiB | busy cores / load, per round | verify | "
        "floor (2 rows/payment) s | goal < 5 s, < 300 MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for backend in ("sqlite", "postgresql"):
        if backend not in result:
            continue
        f = result[backend]["floor"]
        for name in result["sides"]:
            side = result[backend]["sides"][name]
            runs, seconds = side["runs"], side["seconds"]
            ok = seconds < goals["seconds"] and side["rss_mib"] < goals["rss_mib"]
            per_round = ", ".join(f"{r['seconds']:.1f}" for r in runs)
            loads = ", ".join(f"{r['busy_cores_before']} / {r['loadavg_after']}" for r in runs)
            verified = "ok" if all(r["verified"] for r in runs) else "**failed**"
            code = {"this": meta["commit"], NO_MARK: f"{meta['commit']} without the mark"}.get(
                name, name
            )
            out.append(
                f"| {backend} | {code} | {seconds:.2f} | {per_round} | "
                f"{runs[0]['lines'] / seconds:,.0f} | {side['rss_mib']:.0f} | {loads} | "
                f"{verified} | {f['seconds']:.2f} ({f['how']}) | {'yes' if ok else '**no**'} |"
            )
    if "stream" in result:
        s = result["stream"]
        out += [
            "",
            f"Streaming {result['stream_payments']:,} payments "
            f"({result['stream_file_mib']:.0f} MiB) on {s['backend']}: {s['seconds']:.1f} s, "
            f"peak RSS {s['rss_mib']:.0f} MiB.",
        ]
    return "\n".join(out)
