"""The dashboard half of the funding-gap benchmark: ``/dashboard`` timed through the real app,
cold and warm, and the plain-text reference (``bean-query`` over a beancount export).

* Dashboard: each run is a fresh Python process (``spawn``) that builds the app, signs in as
  leadership through ``/login`` (Flask's test client, in process: the server's own time, no
  network), then times ``GET /dashboard?year=2026``. The first request of a process is cold:
  the process's SQL statements are compiled, its lazy imports made and its charts drawn for
  the first time (the templates come from Jinja's bytecode cache in the instance folder once
  any process compiled them), and the kept income tallies (``reports.tally``) are caught up
  with the entries booked since the last view; the later requests of the first process are
  warm. One more process runs the cold and one warm request under cProfile, to say where the
  time goes.
* Plain-text reference: a separate SQLite ledger of ``--fg-export-lines`` lines, exported with
  ``reports.beancount.write_beancount``, then ``bean-query FILE "SELECT account, sum(position)
  GROUP BY account"`` timed as a child process; its 3993 sum must equal the database's.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import Databases, Stopwatch, busy_cores, engine_for, percentiles
from ledger.db.engine import reading

PATH = "/dashboard"
QUERY = {"year": "2026"}
BEAN_QUERY = "SELECT account, sum(position) GROUP BY account"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_INCOME = re.compile(r"^(Income:3993\S*)\s+(-?[\d.,]+) SEK", re.MULTILINE)
_OURS = (f"{os.sep}ledger{os.sep}", f"{os.sep}reports{os.sep}", "flask/templating.py")
_WRAPPERS = ("wrapped",)  # the role check around every view: the whole request again


def load() -> dict[str, float]:
    """The machine's load beside a run: busy cores over 2 s and the 1-minute load average."""
    return {"busy_cores": busy_cores(), "loadavg_1m": round(os.getloadavg()[0], 2)}


def _signed_in(url: str, email: str, password: str) -> Any:
    from kassan.web.app import create_app

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-" + "x" * 40,
            "TESTING": True,
            # no bank import worker or Stripe applier: nothing here uses them, and a worker
            # left polling would outlive the database the bench drops
            "STRIPE_APPLIER_AUTOSTART": False,
        }
    )
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True))
    if token is None:
        raise RuntimeError("no CSRF token on /login")
    answer = client.post(
        "/login", data={"csrf_token": token.group(1), "email": email, "password": password}
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login as {email} answered {answer.status_code}")
    return app, client


def _get(client: Any) -> float:
    t0 = time.perf_counter()
    response = client.get(PATH, query_string=QUERY)
    took = time.perf_counter() - t0
    if response.status_code != 200:
        raise RuntimeError(f"{PATH} answered {response.status_code}: {response.data[:300]!r}")
    return took


def _top(profile: cProfile.Profile, n: int = 8) -> list[str]:
    """Our own functions (ledger/, reports/, and Flask's template rendering) by cumulative
    time; the first is the view itself, the whole request."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    ours = [
        (ct, f"{Path(file).parent.name}/{Path(file).name}:{func}")
        for (file, _, func), (_, _, _, ct, _) in stats.items()
        if any(p in file for p in _OURS)
        and func not in _WRAPPERS
        and (".venv" not in file or "flask" in file)
    ]
    return [f"{name} {ct * 1000:,.0f} ms" for ct, name in sorted(ours, reverse=True)[:n]]


def worker(url: str, email: str, password: str, warm: int, profile: bool) -> dict[str, Any]:
    """One fresh process: the cold request, then ``warm`` warm ones (or both profiled)."""
    app, client = _signed_in(url, email, password)
    out: dict[str, Any] = {}
    if profile:
        for name in ("cold", "warm"):
            prof = cProfile.Profile()
            prof.enable()
            _get(client)
            prof.disable()
            out[name] = _top(prof)
    else:
        out["cold"] = _get(client)
        out["warm"] = [_get(client) for _ in range(warm)]
    app.extensions["kassan.engine"].dispose()
    return out


def _fresh(*args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(worker, *args).result()


def measure(
    url: str, email: str, password: str, cold_runs: int, warm: int, *, profile: bool = True
) -> dict[str, Any]:
    colds, warms = [], []
    for k in range(max(1, cold_runs)):
        got = _fresh(url, email, password, warm if k == 0 else 0, False)
        colds.append(got["cold"])
        warms += got["warm"]
    profiled = _fresh(url, email, password, 0, True) if profile else {"cold": [], "warm": []}
    return {
        "cold": percentiles(colds),
        "warm": percentiles(warms) if warms else {},
        "profile_cold": profiled["cold"],
        "profile_warm": profiled["warm"],
    }


def _bean_query() -> str:
    found = Path(sys.executable).with_name("bean-query")
    return str(found) if found.exists() else (shutil.which("bean-query") or "bean-query")


def plaintext_reference(dbs: Databases, lines: int, seed: Callable[[str, int], Any]) -> Any:
    """Seed a SQLite ledger of ``lines`` lines, export it to beancount, time bean-query on it."""
    from reports.beancount import write_beancount

    before = load()
    url = dbs.fresh_url("sqlite", "export")
    print(f"  plain-text reference: seeding {lines:,} lines on sqlite", flush=True)
    seeded = seed(url, lines)
    engine = engine_for(url)
    path = Path(tempfile.mkdtemp(prefix="kassan-bean-", dir=dbs.tmpdir)) / "kassan.beancount"
    print("  plain-text reference: exporting and running bean-query", flush=True)
    with reading(engine) as conn, path.open("w", encoding="utf-8") as out, Stopwatch() as export:
        summary = write_beancount(conn, out)
    with engine.connect() as conn:
        income = conn.scalar(
            text("SELECT SUM(debit_ore) - SUM(credit_ore) FROM journal_lines WHERE account='3993'")
        )
    engine.dispose()
    during = load()
    with Stopwatch() as query:
        done = subprocess.run(
            [_bean_query(), str(path), BEAN_QUERY], capture_output=True, text=True, check=False
        )
    problems = []
    if done.returncode != 0:
        problems.append(f"bean-query exited {done.returncode}: {done.stderr.strip()[:200]}")
    found = _INCOME.search(done.stdout)
    if found is None:
        problems.append("bean-query printed no 3993 sum")
    else:
        ore = int(Decimal(found.group(2).replace(",", "")) * 100)
        if ore != int(income or 0):
            problems.append(f"bean-query 3993 {ore} != database {income}")
    size_mib = path.stat().st_size / 1024**2
    dbs.drop(url)
    shutil.rmtree(path.parent, ignore_errors=True)
    return {
        "load_before": before,
        "load_before_query": during,
        "lines": seeded["lines"],
        "transactions": summary.transactions,
        "file_mib": round(size_mib, 1),
        "export_seconds": export.seconds,
        "bean_query_seconds": query.seconds,
        "problems": problems,
    }


def render_reference(ref: dict[str, Any]) -> str:
    checks = "3993 equals the database" if not ref["problems"] else "; ".join(ref["problems"])
    return (
        f"Plain-text reference (SQLite ledger of {ref['lines']:,} lines, "
        f"{ref['transactions']:,} transactions, a {ref['file_mib']:,.0f} MiB file; busy cores "
        f"{ref['load_before_query']['busy_cores']}, load average "
        f"{ref['load_before_query']['loadavg_1m']} before the query): exported with "
        f"`kassan export beancount` code (`reports.beancount`) in {ref['export_seconds']:.0f} s; "
        f'`bean-query FILE "{BEAN_QUERY}"` (beanquery from PyPI) took '
        f"**{ref['bean_query_seconds']:.1f} s**; check: {checks}."
    )
