"""The funding-gap benchmark: ``GET /api/v1/funding-gap`` and the ``/dashboard`` page on a large
ledger, server time p50/p95, beside a plain ``GROUP BY`` over the journal lines and
``bean-query`` over a beancount export, in the same run.

Per database, on one freshly migrated database:

1. a ledger of ``--fg-lines`` journal lines over three years (2024-2026) and 20 networks (and
   money without a network), booked with ``post_many`` (so the kept balances are the real
   ones): bankgiro gifts (1930/3993), card gifts with their fee (1580/3993, 6570/1580) and card
   refunds (3993/1580); then ten allocations a year (``allocations.allocate``), a budget per
   network and year, 2,000 pledges due in 2026, and 20,000 monthly gifts at the usual round
   sums (one in seven stopped);
2. ``--fg-calls`` requests to the JSON endpoint through the app (Flask's test client, in
   process: the server's own time, no network), after three warm-up requests;
3. reference: income per network for 2026 summed straight from the lines
   (``journal_lines`` joined to ``journal_entries``, ``GROUP BY network_id``), ``--fg-ref-calls``
   times; its total must equal the report's total received;
4. the dashboard's kept income tallies (``reports.tally``) caught up once over the whole
   seeded ledger, timed (what migration 0027 does for a ledger booked before it), and
   checked against a ``GROUP BY`` over the lines;
5. ``/dashboard`` cold and warm (``bench/dashboard.py``: ``--fg-cold`` fresh processes,
   ``--fg-dash-calls`` warm requests), signed in as leadership;
6. ``--fg-import-lines`` more lines booked with ``post_many`` (an import since the last
   view), then the first ``/dashboard`` of a fresh process, which folds them in;
7. ``verify`` over the whole ledger (the chain, numbers, balances), which must pass.

Once per run: the plain-text reference, ``bean-query`` over the beancount export of a SQLite
ledger of ``--fg-export-lines`` lines (``bench/dashboard.py``). The machine's load (busy cores,
load average) is taken before each seeding and each measurement.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench import Databases, Stopwatch, engine_for, percentiles
from bench import dashboard as dash_bench
from ledger.db.engine import reading
from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.references import make_reference
from ledger.services import allocations, dimensions, periods, posting, users
from ledger.services.verify import verify
from reports import tally
from reports.funding import funding_gap
from reports.funding.render import to_json

NAME = "fundinggap"
GOAL_P50_MS = 50.0  # the funding gap's and the warm dashboard's
COLD_GOAL_MS = 300.0  # the dashboard's first load (issue 14)
DEFAULTS = {
    "lines": 10_000_000,
    "calls": 50,
    "ref_calls": 3,
    "cold": 5,
    "dash_calls": 30,
    "export_lines": 1_000_000,
    "import_lines": 100_000,
}
QUICK = {
    "lines": 300_000,
    "calls": 20,
    "ref_calls": 2,
    "cold": 2,
    "dash_calls": 10,
    "export_lines": 100_000,
    "import_lines": 20_000,
}
LEADER, PASSWORD = "ledning@bench.test", "long-enough-password"
NETWORKS = tuple(f"natverk{i:02d}" for i in range(1, 21))
FIRST_DAY, LAST_DAY = date(2024, 1, 1), date(2026, 12, 31)
DAYS = (LAST_DAY - FIRST_DAY).days + 1
AS_OF = date(2026, 9, 15)
CHUNK_LINES = 500_000  # lines per post_many transaction
PLEDGES, MONTHLY_GIFTS = 2_000, 20_000
# what monthly givers choose: the form's presets and a few round sums of their own
MONTHLY_AMOUNTS = (5_000, 10_000, 10_000, 15_000, 20_000, 20_000, 25_000, 30_000, 50_000, 100_000)
LINES_PER_10 = 28  # ten entries of the stream: five 2-line, four 4-line, one 2-line refund
TALLY_SQL = (
    "SELECT SUM(l.credit_ore) - SUM(l.debit_ore) FROM journal_lines l "
    "JOIN journal_entries e ON e.id = l.entry_id WHERE l.account = '3993' "
    "AND l.currency = 'SEK' AND e.fiscal_year = 2026 AND e.source_kind <> 'allocation'"
)
REFERENCE_SQL = (
    "SELECT l.network_id, SUM(l.credit_ore) - SUM(l.debit_ore) FROM journal_lines l "
    "JOIN journal_entries e ON e.id = l.entry_id "
    "WHERE l.account = '3993' AND e.fiscal_year = 2026 GROUP BY l.network_id"
)


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("funding-gap benchmark (defaults: the issue's size)")
    g.add_argument("--fg-lines", type=int, help=f"default {DEFAULTS['lines']:,}")
    g.add_argument("--fg-calls", type=int, help=f"default {DEFAULTS['calls']}")
    g.add_argument("--fg-ref-calls", type=int, help=f"default {DEFAULTS['ref_calls']}")
    g.add_argument("--fg-cold", type=int, help=f"fresh processes; default {DEFAULTS['cold']}")
    g.add_argument("--fg-dash-calls", type=int, help=f"default {DEFAULTS['dash_calls']}")
    g.add_argument(
        "--fg-export-lines", type=int, help=f"default {DEFAULTS['export_lines']:,}; 0 skips"
    )
    g.add_argument(
        "--fg-import-lines",
        type=int,
        help=f"lines booked after the first measurements; default {DEFAULTS['import_lines']:,}",
    )


def sizes(args: argparse.Namespace) -> dict[str, int]:
    preset = QUICK if args.quick else DEFAULTS
    out = {}
    for k, v in preset.items():
        given = getattr(args, f"fg_{k}", None)
        out[k] = given if given is not None else v
    return out


def stream(total: int, start: int, stop: int) -> Iterator[Draft]:
    """Entries ``start..stop-1`` of a ledger of ``total`` entries, dated in order."""
    for i in range(start, stop):
        day = FIRST_DAY + timedelta(days=i * DAYS // total)
        net = None if i % 21 == 20 else NETWORKS[i % 20]
        gross = 5_000 + (i * 7_919) % 495_000
        if i % 10 == 9:
            refund = gross // 4
            lines: tuple[LineDraft, ...] = (
                LineDraft("3993", refund, 0, "SEK", net),
                LineDraft("1580", 0, refund),
            )
            yield Draft(day, f"Återbetalning {i}", lines, "K", "bench", f"re:{i}")
        elif i % 2 == 0:
            lines = (LineDraft("1930", gross, 0), LineDraft("3993", 0, gross, "SEK", net))
            yield Draft(day, f"Bankgiro gåva {i}", lines, "B", "bench", f"bg:{i}")
        else:
            fee = 180 + gross * 15 // 1000
            lines = (
                LineDraft("1580", gross, 0),
                LineDraft("3993", 0, gross, "SEK", net),
                LineDraft("6570", fee, 0),
                LineDraft("1580", 0, fee),
            )
            yield Draft(day, f"Kortgåva {i}", lines, "K", "bench", f"ch:{i}")


def _progress(offset: int, total: int) -> Any:
    last = time.perf_counter()

    def report(done: int) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= 10:
            last = now
            print(f"    seeding: {offset + done:,}/{total:,} entries", flush=True)

    return report


def seed(url: str, lines: int) -> dict[str, Any]:
    engine = engine_for(url)
    total = max(10, lines * 10 // LINES_PER_10)
    per_chunk = CHUNK_LINES * 10 // LINES_PER_10
    with engine.begin() as conn:
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
            periods.open_year(conn, year)  # years are opened on purpose (migration 0015)
        ids = {s: dimensions.create_network(conn, s, s.title()) for s in NETWORKS}
        conn.execute(
            text(
                "INSERT INTO network_budgets (network_id, year, need_ore, sida_ore) "
                "VALUES (:n, :y, :need, :sida)"
            ),
            [
                {"n": nid, "y": y, "need": 400_000_000, "sida": 250_000_000}
                for nid in ids.values()
                for y in (2024, 2025, 2026)
            ],
        )
    booked = 0
    with Stopwatch() as sw:
        for start in range(0, total, per_chunk):
            with engine.begin() as conn:
                result = posting.post_many(
                    conn,
                    stream(total, start, min(total, start + per_chunk)),
                    progress=_progress(start, total),
                )
            booked += result.lines
    with engine.begin() as conn:
        for year in (2024, 2025, 2026):
            for k in range(10):
                free = allocations.unallocated(conn, year).ore
                allocations.allocate(
                    conn,
                    year=year,
                    network_id=ids[NETWORKS[k * 2]],
                    amount=Money(max(1, free // 20)),
                    note="Styrelsebeslut",
                    user=None,
                    token=f"bench-{year}-{k:02d}",
                    on=date(year, 6, 1),
                )
        _commitments(conn, list(ids.values()))
        token = _token(conn)
    engine.dispose()
    return {"entries": total, "lines": booked, "seed_seconds": sw.seconds, "token": token}


def fold_in(url: str) -> dict[str, Any]:
    """Catch the kept income tallies up with the ledger once, timed, and check them: the
    year's 3993 net they give equals the GROUP BY over the lines."""
    engine = engine_for(url)
    with Stopwatch() as sw, engine.begin() as conn:
        entries = tally.catch_up(conn)
    with engine.connect() as conn:
        kept = sum(v[0] for v in tally.giving_sums(conn, 2026, None).values())
        lines = int(conn.scalar(text(TALLY_SQL)) or 0)
    engine.dispose()
    problems = [] if kept == lines else [f"kept tally 2026 {kept} != lines {lines}"]
    return {"fold_entries": entries, "fold_seconds": sw.seconds, "problems": problems}


def book_more(url: str, lines: int) -> dict[str, Any]:
    """``lines`` more lines of the same stream, in one ``post_many`` (an import)."""
    engine = engine_for(url)
    with engine.connect() as conn:
        first = int(conn.scalar(text("SELECT COUNT(*) FROM journal_entries")) or 0)
    extra = max(1, lines * 10 // LINES_PER_10)
    with engine.begin() as conn:
        booked = posting.post_many(conn, stream(first + extra, first, first + extra)).lines
    engine.dispose()
    return {"import_lines": booked}


def verified(url: str) -> list[str]:
    engine = engine_for(url)
    with reading(engine) as conn:
        report = verify(conn)
    engine.dispose()
    return [] if report.ok else [f"ledger verify failed: {report.problems[:3]}"]


def _commitments(conn: Any, ids: list[int]) -> None:
    """Pledges due in 2026 (a third part paid) and monthly gifts, by plain SQL."""
    now = datetime.now(UTC)
    conn.execute(
        text(
            "INSERT INTO expected_payments (reference, kind, network_id, amount_ore, currency, "
            "due_date, repeating, status, paid_ore, created_at, updated_at) VALUES (:r, 'pledge', "
            ":n, :a, 'SEK', :d, false, :s, :p, :now, :now)"
        ),
        [
            {
                "r": make_reference(10_000_000 + i),
                "n": ids[i % len(ids)],
                "a": 1_000_000,
                "d": date(2026, 1 + i % 12, 28),
                "s": "partly_paid" if i % 3 == 0 else "open",
                "p": 300_000 if i % 3 == 0 else 0,
                "now": now,
            }
            for i in range(PLEDGES)
        ],
    )
    conn.execute(
        text(
            "INSERT INTO gifts (public_id, network_id, amount_ore, currency, frequency, channel, "
            "status, donor_kind, donor_name, donor_email, consent_contact, locale, "
            "stripe_subscription_id, created_at, updated_at) VALUES (:pid, :n, :a, 'SEK', "
            "'monthly', 'card', :s, 'person', 'Givare', 'givare@example.org', false, 'sv', :sub, "
            ":at, :at)"
        ),
        [
            {
                "pid": secrets.token_hex(16),
                "n": None if i % 21 == 20 else ids[i % len(ids)],
                "a": MONTHLY_AMOUNTS[(i * i + i // 3) % len(MONTHLY_AMOUNTS)],
                "s": "cancelled" if i % 7 == 0 else "active",
                "sub": f"sub_bench_{i}",
                "at": datetime(2025, 1, 1, 12, tzinfo=UTC) + timedelta(days=i % 700),
            }
            for i in range(MONTHLY_GIFTS)
        ],
    )


def _token(conn: Any) -> str:
    users.create_user(conn, LEADER, PASSWORD, "leadership")
    return users.create_token(conn, LEADER, "bench")


def measure(url: str, token: str, calls: int, ref_calls: int) -> dict[str, Any]:
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
    headers = {"Authorization": f"Bearer {token}"}
    query = {"year": 2026, "as_of": AS_OF.isoformat()}
    body: dict[str, Any] = {}
    for _ in range(3):
        body = client.get("/api/v1/funding-gap", query_string=query, headers=headers).get_json()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        response = client.get("/api/v1/funding-gap", query_string=query, headers=headers)
        samples.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise RuntimeError(f"funding gap answered {response.status_code}: {response.data!r}")
    engine = engine_for(url)
    ref_samples, reference = [], 0
    compute, render = [], []
    with engine.connect() as conn:
        for _ in range(calls):
            t0 = time.perf_counter()
            report = funding_gap(conn, 2026, as_of=AS_OF)
            t1 = time.perf_counter()
            to_json(report)
            compute.append(t1 - t0)
            render.append(time.perf_counter() - t1)
        for _ in range(ref_calls):
            t0 = time.perf_counter()
            reference = sum(int(r[1]) for r in conn.execute(text(REFERENCE_SQL)))
            ref_samples.append(time.perf_counter() - t0)
    engine.dispose()
    app.extensions["kassan.engine"].dispose()
    problems = []
    if body["total"]["received_ore"] != reference:
        problems.append(f"total received {body['total']['received_ore']} != lines {reference}")
    return {
        "api": percentiles(samples),
        "reference": percentiles(ref_samples),
        "compute": percentiles(compute),
        "render": percentiles(render),
        "networks": len(body["networks"]),
        "total_gap": body["total"]["gap"],
        "problems": problems,
    }


def run(args: argparse.Namespace, dbs: Databases) -> dict[str, Any]:
    size = sizes(args)
    result: dict[str, Any] = {"sizes": size}
    for backend in dbs.backends:
        before_seed = dash_bench.load()
        print(f"  funding gap on {backend}: seeding {size['lines']:,} lines", flush=True)
        url = dbs.fresh_url(backend, "fundinggap")
        seeded = seed(url, size["lines"])
        before = dash_bench.load()
        print(f"  funding gap on {backend}: measuring (load {before})", flush=True)
        measured = measure(url, seeded.pop("token"), size["calls"], size["ref_calls"])
        print(f"  dashboard on {backend}: folding the ledger into the kept tallies", flush=True)
        folded = fold_in(url)
        print(f"  dashboard on {backend}: {size['cold']} cold processes, warm", flush=True)
        dashboard = dash_bench.measure(url, LEADER, PASSWORD, size["cold"], size["dash_calls"])
        print(f"  dashboard on {backend}: {size['import_lines']:,} more lines", flush=True)
        more = book_more(url, size["import_lines"])
        after = dash_bench.measure(url, LEADER, PASSWORD, 1, 0, profile=False)
        print(f"  dashboard on {backend}: verify", flush=True)
        problems = measured.pop("problems") + folded.pop("problems") + verified(url)
        result[backend] = {
            "busy_cores_before": before["busy_cores"],
            "load_before_seed": before_seed,
            "load_before": before,
            **seeded,
            **measured,
            **folded,
            **more,
            "problems": problems,
            "dashboard": dashboard,
            "after_import_cold_ms": after["cold"]["p50_ms"],
        }
        dbs.drop(url)
    if size["export_lines"] > 0:
        result["plaintext"] = dash_bench.plaintext_reference(dbs, size["export_lines"], seed)
    return result


def _minutes_for(r: dict[str, Any], lines: int) -> float:
    """Seeding time for ``lines`` at the rate measured (post_many is linear in the lines)."""
    return lines / max(r["lines"], 1) * r["seed_seconds"] / 60


def render(result: dict[str, Any], meta: dict[str, Any]) -> str:
    m, size = meta["machine"], result["sizes"]
    out = [
        f"Funding gap and dashboard, {meta['date']}, commit {meta['commit']}, "
        f"`{meta['command']}`; {m.get('nproc', '?')} cores, shared with other work (busy cores "
        "over 2 s and the 1-minute load average taken just before measuring). Server time "
        "through the app in process (Flask's test client, no network; goal p50 < "
        f"{GOAL_P50_MS:.0f} ms): `GET /api/v1/funding-gap?year=2026` ({size['calls']} requests "
        f"after 3 warm-up ones); `GET /dashboard?year=2026` signed in as leadership, cold = the "
        f"first request of a fresh process ({size['cold']} processes; goal < {COLD_GOAL_MS:.0f} "
        f"ms), warm = {size['dash_calls']} later requests of one process; cold after an import = "
        "the first request of a fresh process after that many more lines were booked. "
        "Reference: income per network for 2026 summed straight from the journal lines "
        "(`GROUP BY`). `verify` passed after each run where the checks say ok.",
        "",
        "| database | busy cores / load | lines | seeding s | funding gap p50 ms | p95 ms | "
        "tallies folded in once s | dashboard cold p50 ms | cold p95 ms | "
        "dashboard warm p50 ms | warm p95 ms | cold after an import ms | "
        "GROUP BY over lines p50 ms | checks |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def ms(p: dict[str, float], key: str, goal: float = GOAL_P50_MS) -> str:
        over = key == "p50_ms" and p[key] >= goal
        return f"{p[key]:,.1f}" + (" (over the goal)" if over else "")

    backends = [b for b in ("sqlite", "postgresql") if b in result]
    for backend in backends:
        r = result[backend]
        d, load = r["dashboard"], r["load_before"]
        checks = "ok" if not r["problems"] else "**" + "; ".join(r["problems"]) + "**"
        out.append(
            f"| {backend} | {load['busy_cores']} / {load['loadavg_1m']} | {r['lines']:,} | "
            f"{r['seed_seconds']:.0f} | {ms(r['api'], 'p50_ms')} | {ms(r['api'], 'p95_ms')} | "
            f"{r['fold_seconds']:.1f} ({r['fold_entries']:,} entries) | "
            f"{ms(d['cold'], 'p50_ms', COLD_GOAL_MS)} | {ms(d['cold'], 'p95_ms')} | "
            f"{ms(d['warm'], 'p50_ms')} | {ms(d['warm'], 'p95_ms')} | "
            f"{r['after_import_cold_ms']:,.1f} ({r['import_lines']:,} lines) | "
            f"{r['reference']['p50_ms']:,.0f} | {checks} |"
        )
    out += ["", "Where the time goes (p50 ms in the bench process; cProfile, our code only):", ""]
    for backend in backends:
        r = result[backend]
        out.append(
            f"- {backend}, funding gap: figures computed (`funding_gap`) "
            f"{r['compute']['p50_ms']:.1f}, rendered to JSON {r['render']['p50_ms']:.1f}; the "
            "rest is the token check, the query schema and Flask."
        )
        for kind in ("cold", "warm"):
            top = "; ".join(f"`{x}`" for x in r["dashboard"][f"profile_{kind}"][:6])
            out.append(f"- {backend}, dashboard {kind} (profiled, so slower): {top}.")
    if "plaintext" in result:
        out += ["", dash_bench.render_reference(result["plaintext"])]
    if size["lines"] < DEFAULTS["lines"]:
        rates = "; ".join(
            f"{b} seeded {result[b]['lines'] / max(result[b]['seed_seconds'], 1e-9):,.0f} "
            f"lines/s, so {DEFAULTS['lines']:,} lines would need about "
            f"{_minutes_for(result[b], DEFAULTS['lines']):,.0f} min of seeding"
            for b in backends
        )
        out += [
            "",
            f"Run at {size['lines']:,} lines, not the issue's {DEFAULTS['lines']:,}: the "
            f"machine was shared and the time box short ({rates}; then "
            f"`python -m bench.run --only fundinggap --fg-lines {DEFAULTS['lines']}`). The "
            "funding gap and the dashboard, cold or warm, read the kept balances and the kept "
            "income tallies, so their time should not grow with the lines (a first view after an "
            "import folds in that import's lines); the GROUP BY reference reads them all, so it "
            "grows linearly with them.",
        ]
    return "\n".join(out)
