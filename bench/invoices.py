"""The invoice run benchmark: ``invoice_run.run`` for N pledges paid by invoice, each
instalment issued (number, OCR reference, entry in series F), rendered to PDF with WeasyPrint and
queued with its PDF in the e-mail outbox; then the same run again, which must issue nothing.

As ``kassan invoices run`` does, the PDFs are made by ``reports.invoice_pdf.batch_renderer``;
the run is timed with each worker count of ``--invoice-workers`` (default: one worker with the
whole run confined to one core, written ``1@1``; one worker on every core; one worker per core),
alternating in ``--invoice-rounds`` rounds on a fresh database each time, so a change of load on
the shared machine hits both alike; the figure is the median of the rounds.

``W@C`` runs W PDF workers with the run and its children confined to C cores
(``os.sched_setaffinity``, inherited by the PDF processes): ``1@1`` is the run on one core,
the baseline of issue 14's "uses every core (at least 1.8x one core)". A plain ``1`` is not one
core: the parent issues and books the next invoice while its one child renders, so it already
uses more than one core.

Each run goes in a fresh process, so its peak RSS is its own. Checks after it: one invoice per
pledge, numbers 1..N without a gap, N mails each with one PDF, 1510 equal to what was invoiced,
and ``ledger verify`` passes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from multiprocessing import get_context
from typing import Any

from sqlalchemy import func, select, text

from bench import Databases, Stopwatch, busy_cores, engine_for, peak_rss_mib
from ledger.db.engine import reading

NAME = "invoices"
DEFAULTS = {"pledges": 5_000, "rounds": 3}
QUICK = {"pledges": 100, "rounds": 1}
RUN_DAY = date(2027, 1, 2)
AMOUNT_ORE = 250_000


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("invoice-run benchmark")
    g.add_argument("--invoice-pledges", type=int, help=f"default {DEFAULTS['pledges']:,}")
    g.add_argument(
        "--invoice-workers",
        help="comma-separated PDF worker counts to compare, W or W@C for W workers confined to "
        "C cores (default: 1@1, 1 and every core)",
    )
    g.add_argument("--invoice-rounds", type=int, help=f"default {DEFAULTS['rounds']}")


def _seed(url: str, n: int) -> None:
    """N organisations, each with a yearly pledge paid by invoice whose first instalment falls
    due within the lead days of the run (plain SQL: seeding is not what is measured)."""
    engine = engine_for(url)
    with engine.begin() as conn:
        network = conn.execute(
            text(
                "INSERT INTO networks (slug, name) VALUES ('fred', 'Fred och demokrati') "
                "RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO contributors (kind, name, organisation_number, contact_person, "
                "address_line1, postcode, city, invoice_email, created_at) VALUES ('organisation', "
                ":name, NULL, 'Kassören', 'Folkets hus', '411 01', 'Göteborg', :email, "
                "current_timestamp)"
            ),
            [{"name": f"Fackklubb {i}", "email": f"kassor{i}@klubb.test"} for i in range(n)],
        )
        due = RUN_DAY + timedelta(days=10)
        conn.execute(
            text(
                "INSERT INTO pledges (contributor_id, network_id, amount_ore, currency, period, "
                "start_date, instalment_count, payment_way, created_at) SELECT id, :net, :ore, "
                "'SEK', 'year', :due, 1, 'invoice', current_timestamp FROM contributors"
            ),
            {"net": network, "ore": AMOUNT_ORE, "due": due},
        )
        conn.execute(
            text(
                "INSERT INTO pledge_instalments (pledge_id, seq, due_date, amount_ore, currency) "
                "SELECT id, 1, start_date, amount_ore, currency FROM pledges"
            )
        )
    engine.dispose()


def _spec(spec: str) -> tuple[int, int | None]:
    """``"2"`` -> (2, None): two workers on every core; ``"1@1"`` -> (1, 1): one worker, the run
    confined to one core."""
    workers, _, cores = spec.partition("@")
    return int(workers), int(cores) if cores else None


def _run(url: str, workers: int, cores: int | None = None) -> dict[str, Any]:
    if cores is not None:
        # this process and the PDF processes it starts (they inherit it) run on the first
        # `cores` CPUs this process may use; the database server (PostgreSQL) is not confined
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cores])
    from ledger.config import from_environment
    from ledger.db import tables as t
    from ledger.services import invoice_run
    from ledger.services.verify import verify
    from reports import invoice_pdf

    config = from_environment(
        ".", {"KASSAN_BANKGIRO": "5050-1055", "SWISH_PAYEE_NUMBER": "1231181189"}
    )
    engine = engine_for(url)
    issued_at: list[float] = []
    with engine.connect():
        pass  # connect before the clock starts
    cpu_before = _cpu_seconds()
    # as `kassan invoices run --workers N` does: N PDF processes, each replaced every 200 PDFs
    with invoice_pdf.batch_renderer(config, workers=workers) as render:
        with Stopwatch() as sw:
            start = time.perf_counter()
            report = invoice_run.run(
                engine,
                RUN_DAY,
                config=config,
                render=render,
                progress=lambda done: issued_at.append(time.perf_counter() - start),
            )
        rss = peak_rss_mib()
        with Stopwatch() as again_sw:
            again = invoice_run.run(engine, RUN_DAY, config=config, render=render)
    # the largest of the PDF children, all of them ended and waited for by now
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    cpu = _cpu_seconds() - cpu_before  # both runs; the second issues and renders nothing
    ln, inv = t.journal_lines.c, t.invoices.c
    with reading(engine) as conn:
        numbers = conn.execute(
            select(func.min(inv.number), func.max(inv.number), func.count())
        ).one()
        receivable = conn.execute(
            select(func.coalesce(func.sum(ln.debit_ore - ln.credit_ore), 0)).where(
                ln.account == "1510"
            )
        ).scalar()
        mails = conn.execute(select(func.count()).select_from(t.email_outbox)).scalar()
        pdfs = conn.execute(
            select(
                func.count(), func.coalesce(func.sum(func.length(t.email_attachments.c.data)), 0)
            )
        ).one()
        verified = verify(conn).ok
    engine.dispose()
    return {
        "seconds": sw.seconds,
        "issue_seconds": issued_at[-1] if issued_at else 0.0,
        "issued": report.issued,
        "mailed": report.mailed,
        "rss_mib": rss,
        "child_rss_mib": child_rss,
        "again_seconds": again_sw.seconds,
        "again_issued": again.issued,
        "again_mailed": again.mailed,
        "numbers": [numbers[0], numbers[1], numbers[2]],
        "receivable_ore": int(receivable),
        "mails": mails,
        "pdfs": int(pdfs[0]),
        "pdf_mib": int(pdfs[1]) / 2**20,
        "verify_ok": verified,
        "cpu_seconds": cpu,
    }


def _cpu_seconds() -> float:
    """CPU time of this process and of its ended children (the PDF processes): on PostgreSQL
    the server's share is not in it."""
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _fresh(url: str, spec: str) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        out: dict[str, Any] = pool.submit(_run, url, *_spec(spec)).result()
    return out


def _problems(r: dict[str, Any], n: int) -> list[str]:
    out = []
    if r["issued"] != n or r["numbers"] != [1, n, n]:
        out.append(f"expected invoices 1..{n}, got {r['numbers']} ({r['issued']} issued)")
    if r["again_issued"] or r["again_mailed"]:
        out.append("the second run issued or mailed something")
    if r["mails"] != n or r["pdfs"] != n:
        out.append(f"expected {n} mails with a PDF each, got {r['mails']} and {r['pdfs']}")
    if r["receivable_ore"] != n * AMOUNT_ORE:
        out.append(f"1510 is {r['receivable_ore']}, expected {n * AMOUNT_ORE}")
    if not r["verify_ok"]:
        out.append("ledger verify failed")
    return out


def run(args: argparse.Namespace, dbs: Databases) -> dict[str, Any]:
    sizes = QUICK if args.quick else DEFAULTS
    n = args.invoice_pledges or sizes["pledges"]
    rounds = args.invoice_rounds or sizes["rounds"]
    cores = os.cpu_count() or 1
    workers = (args.invoice_workers or f"1@1,1,{cores}").split(",")
    for spec in workers:
        count, on = _spec(spec)  # a bad spec fails here, before any seeding
        if count < 1 or (on is not None and not 1 <= on <= cores):
            raise SystemExit(f"--invoice-workers: {spec!r} is not W or W@C with 1 <= C <= {cores}")
    result: dict[str, Any] = {"pledges": n, "rounds": rounds, "workers": workers}
    for backend in dbs.backends:
        runs: dict[str, list[dict[str, Any]]] = {w: [] for w in workers}
        for round_no in range(1, rounds + 1):
            for w in workers:
                busy = busy_cores()
                url = dbs.fresh_url(backend, f"invoices_{round_no}_{w.replace('@', 'on')}")
                _seed(url, n)
                print(
                    f"  [{backend}] round {round_no}: invoice run for {n:,} pledges with PDFs, "
                    f"{_label(w)}, {busy} cores busy before",
                    flush=True,
                )
                out = _fresh(url, w)
                out["busy_cores_before"] = busy
                out["load_after"] = os.getloadavg()[0]
                out["problems"] = _problems(out, n)
                print(
                    f"    {out['seconds']:.1f} s, CPU {out['cpu_seconds']:.1f} s, "
                    f"{out['problems'] or 'checks ok'}",
                    flush=True,
                )
                runs[w].append(out)
                dbs.drop(url)
        result[backend] = runs
    return result


def _label(spec: str) -> str:
    w, c = _spec(spec)
    where = "every core" if c is None else f"{c} core" + ("s" if c > 1 else "")
    return f"{w} PDF worker{'s' if w > 1 else ''}, {where}"


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def render(result: dict[str, Any], meta: dict[str, Any]) -> str:
    m = meta["machine"]
    n, workers = result["pledges"], result["workers"]
    out = [
        f"Invoice run, {meta['date']}, commit {meta['commit']}, `{meta['command']}`; "
        f"{m.get('nproc', '?')} cores, shared with other work. Every invoice is issued in its "
        "own transaction and handed at once to `reports.invoice_pdf.batch_renderer` (WeasyPrint, "
        "A4, logo-less letterhead, Swish QR; N child processes, each replaced every 200 "
        "documents, two documents per process in flight); the mails are queued in invoice order "
        f"as the PDFs come back. Each worker count ran on a fresh database of {n:,} pledges, the "
        f"counts alternating, {result['rounds']} round(s); figures are medians of the rounds, "
        "busy cores (other work, measured just before each run) and the 1-minute load average "
        "after each run are listed per round.",
        "",
        "| database | PDF workers, cores | issue + PDF + mail s (median) | invoices/s | "
        f"vs {_label(workers[0])} | "
        "per round s | cores used (CPU s / wall s) per round | busy cores before / load after, "
        "per round | peak RSS MiB (run / largest PDF child) | second run s (issues 0) | checks |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for backend in ("sqlite", "postgresql"):
        if backend not in result:
            continue
        runs = result[backend]
        base = _median(runs[workers[0]], "seconds")
        for w in workers:
            rs = runs[w]
            sec = _median(rs, "seconds")
            problems = [p for r in rs for p in r["problems"]]
            checks = "ok" if not problems else "**" + "; ".join(problems) + "**"
            out.append(
                f"| {backend} | {_label(w)} | {sec:.1f} | {n / sec:.1f} | {base / sec:.2f}× | "
                + ", ".join(f"{r['seconds']:.1f}" for r in rs)
                + " | "
                + ", ".join(f"{r.get('cpu_seconds', 0) / r['seconds']:.2f}" for r in rs)
                + " | "
                + ", ".join(f"{r['busy_cores_before']} / {r['load_after']:.1f}" for r in rs)
                + f" | {_median(rs, 'rss_mib'):.0f} / {_median(rs, 'child_rss_mib'):.0f} | "
                f"{_median(rs, 'again_seconds'):.2f} | {checks} |"
            )
    return "\n".join(out)
