"""How long an API entry waits while a large bank file is imported (issue 12, item 6: "a single
posting is never held more than 1 s by a running import").

Per database: a fresh migrated database, our account listed, and a camt.054 of ``--wait-lines``
payments (20,000 by default) imported in a process of its own, as the background worker does,
while this process posts one manual entry after another through the JSON API
(``POST /api/v1/entries``, the Flask test client, 20 ms apart). Each post's wait is timed; the
longest is the figure. The import runs twice: in its batches (``importer.BATCH_LINES``, the
code as it is) and with the whole file as one batch, which is how the import held the ledger
before: one transaction for the file.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench import Databases, Stopwatch, busy_cores, engine_for, percentiles

NAME = "importwait"
GOAL_SECONDS = 1.0
DEFAULTS = {"lines": 20_000}
QUICK = {"lines": 2_000}
GAP_SECONDS = 0.02  # between two posts: a steady trickle, not a flood


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("import-wait benchmark")
    g.add_argument("--wait-lines", type=int, help=f"default {DEFAULTS['lines']:,}")


def _write(path: Path, n: int, seed: int) -> None:
    from tests.support.camt_files import generated_entries, write_camt

    with path.open("w", encoding="utf-8") as out:
        write_camt(out, generated_entries(n, seed=seed))


def _import(url: str, path: str, batch_lines: int) -> dict[str, Any]:
    from tests.support.camt_files import BANKGIRO
    from webhooks.bankfiles.importer import import_file

    engine = engine_for(url)
    ours = {"BANKGIRO": BANKGIRO}  # the generated notifications are for our bankgiro
    with open(path, "rb") as f, Stopwatch() as sw:
        result = import_file(engine, f, Path(path).name, batch_lines=batch_lines, mail_config=ours)
    engine.dispose()
    return {"seconds": sw.seconds, "lines": result.counts.line_count, "ok": result.ok}


def _app(url: str) -> tuple[Any, dict[str, str]]:
    from kassan.web.app import create_app
    from ledger.services import users

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "STRIPE_APPLIER_AUTOSTART": False}
    )
    with engine_for(url).begin() as conn:
        users.create_user(conn, "bench@kassan.test", "long-enough-password", "finance")
        token = users.create_token(conn, "bench@kassan.test", "bench")
    return app, {"Authorization": f"Bearer {token}"}


def _entry(i: int) -> dict[str, Any]:
    return {
        "date": "2026-12-01",
        "text": f"Kontantinsamling {i}",
        "series": "M",
        "lines": [
            {"account": "1930", "debit_ore": 100_00, "credit_ore": 0},
            {"account": "3993", "debit_ore": 0, "credit_ore": 100_00},
        ],
    }


def _measure(url: str, path: Path, batch_lines: int) -> dict[str, Any]:
    app, headers = _app(url)
    client = app.test_client()
    waits: list[float] = []
    failed = 0
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        future = pool.submit(_import, url, str(path), batch_lines)
        while not future.done():
            with Stopwatch() as sw:
                response = client.post("/api/v1/entries", json=_entry(len(waits)), headers=headers)
            waits.append(sw.seconds)
            failed += response.status_code != 201
            time.sleep(GAP_SECONDS)
        imported = future.result()
    return {
        "batch_lines": batch_lines,
        "import": imported,
        "posts": len(waits),
        "failed_posts": failed,
        "max_wait_s": max(waits, default=0.0),
        **percentiles(waits),
    }


def run(args: argparse.Namespace, dbs: Databases) -> dict[str, Any]:
    from webhooks.bankfiles.importer import BATCH_LINES

    n = args.wait_lines or (QUICK if args.quick else DEFAULTS)["lines"]
    result: dict[str, Any] = {"lines": n, "goal_s": GOAL_SECONDS}
    with tempfile.TemporaryDirectory(prefix="kassan-wait-") as tmp:
        for backend in dbs.backends:
            runs = []
            for seed, batch in ((5, BATCH_LINES), (6, n)):
                path = Path(tmp) / f"wait-{seed}.054.xml"
                _write(path, n, seed)
                busy = busy_cores()
                url = dbs.fresh_url(backend, f"wait{seed}")
                print(f"  [{backend}] {n:,} lines in batches of {batch:,}", flush=True)
                runs.append({"busy_cores_before": busy, **_measure(url, path, batch)})
                dbs.drop(url)
            result[backend] = runs
    return result


def render(result: dict[str, Any], meta: dict[str, Any]) -> str:
    m = meta["machine"]
    out = [
        f"API entry waits during a bank import, {meta['date']}, commit {meta['commit']}, "
        f"`{meta['command']}`; {m.get('nproc', '?')} cores, shared with other work on the "
        f"machine. A camt.054 of {result['lines']:,} payments imported in its own process "
        f"while `POST /api/v1/entries` is sent one after another ({GAP_SECONDS * 1000:.0f} ms "
        "apart); goal: no post waits over 1 s.",
        "",
        "| database | batch (lines per transaction) | import s | posts | longest post wait s | "
        "p50 ms | p95 ms | goal < 1 s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for backend in ("sqlite", "postgresql"):
        for r in result.get(backend, []):
            ok = r["max_wait_s"] < result["goal_s"] and not r["failed_posts"]
            failed = f" ({r['failed_posts']} failed)" if r["failed_posts"] else ""
            label = f"{r['batch_lines']:,}" + (
                " (the whole file: as before)" if r["batch_lines"] == result["lines"] else ""
            )
            out.append(
                f"| {backend} | {label} | {r['import']['seconds']:.1f} | {r['posts']}{failed} | "
                f"{r['max_wait_s']:.2f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
                f"{'yes' if ok else '**no**'} |"
            )
    return "\n".join(out)
