"""The invoice run benchmark: ``invoice_run.run`` for 5,000 pledges paid by invoice, each
instalment issued (number, OCR reference, entry in series F), rendered to PDF with WeasyPrint and
queued with its PDF in the e-mail outbox; then the same run again, which must issue nothing.

The run goes in a fresh process, so its peak RSS is its own. Checks after it: one invoice per
pledge, numbers 1..N without a gap, N mails each with one PDF, 1510 equal to what was invoiced.
"""

from __future__ import annotations

import argparse
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from multiprocessing import get_context
from typing import Any

from sqlalchemy import func, select, text

from bench import Databases, Stopwatch, busy_cores, engine_for, peak_rss_mib

NAME = "invoices"
DEFAULTS = {"pledges": 5_000}
QUICK = {"pledges": 100}
RUN_DAY = date(2027, 1, 2)
AMOUNT_ORE = 250_000


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("invoice-run benchmark")
    g.add_argument("--invoice-pledges", type=int, help=f"default {DEFAULTS['pledges']:,}")


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


def _run(url: str) -> dict[str, Any]:
    from ledger.config import from_environment
    from ledger.db import tables as t
    from ledger.services import invoice_run
    from reports import invoice_pdf

    config = from_environment(
        ".", {"KASSAN_BANKGIRO": "5050-1055", "SWISH_PAYEE_NUMBER": "1231181189"}
    )
    engine = engine_for(url)
    issued_at: list[float] = []
    with engine.connect():
        pass  # connect before the clock starts
    # as `kassan invoices run` does: PDFs made in a child process replaced every 200 documents
    with invoice_pdf.batch_renderer(config) as render:
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
    ln, inv = t.journal_lines.c, t.invoices.c
    with engine.connect() as conn:
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
    }


def _fresh(url: str) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        out: dict[str, Any] = pool.submit(_run, url).result()
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
    return out


def run(args: argparse.Namespace, dbs: Databases) -> dict[str, Any]:
    n = args.invoice_pledges or (QUICK if args.quick else DEFAULTS)["pledges"]
    result: dict[str, Any] = {"pledges": n}
    for backend in dbs.backends:
        busy = busy_cores()
        url = dbs.fresh_url(backend, "invoices")
        _seed(url, n)
        print(f"  [{backend}] invoice run for {n:,} pledges with PDFs", flush=True)
        out = _fresh(url)
        out["busy_cores_before"] = busy
        out["problems"] = _problems(out, n)
        result[backend] = out
        dbs.drop(url)
    return result


def render(result: dict[str, Any], meta: dict[str, Any]) -> str:
    m = meta["machine"]
    out = [
        f"Invoice run, {meta['date']}, commit {meta['commit']}, `{meta['command']}`; "
        f"{m.get('nproc', '?')} cores, shared with other work (busy cores measured before each "
        "run). Every invoice is issued in its own transaction, then rendered to PDF (WeasyPrint, "
        "A4, logo-less letterhead, Swish QR) and queued with it in the outbox; as `kassan "
        "invoices run` does, the PDFs are made in a child process replaced every 200 documents "
        "(`reports.invoice_pdf.batch_renderer`), whose peak is the PDF column.",
        "",
        "| database | busy cores | pledges | issue s | issue + PDF + mail s | invoices/s | "
        "peak RSS MiB | peak RSS of a PDF child MiB | PDFs MiB | second run s (issues 0) | "
        "checks |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for backend in ("sqlite", "postgresql"):
        if backend not in result:
            continue
        r = result[backend]
        checks = "ok" if not r["problems"] else "**" + "; ".join(r["problems"]) + "**"
        out.append(
            f"| {backend} | {r['busy_cores_before']} | {result['pledges']:,} | "
            f"{r['issue_seconds']:.1f} | {r['seconds']:.1f} | "
            f"{result['pledges'] / r['seconds']:.1f} | {r['rss_mib']:.0f} | "
            f"{r.get('child_rss_mib', 0):.0f} | {r['pdf_mib']:.0f} | "
            f"{r['again_seconds']:.2f} | {checks} |"
        )
    for backend in ("sqlite", "postgresql"):
        if backend in result:
            r = result[backend]
            per_pdf = (r["seconds"] - r["issue_seconds"]) / max(1, result["pledges"])
            issue_rate = result["pledges"] / max(r["issue_seconds"], 1e-9)
            out += [
                "",
                f"{backend}: issuing and booking ran at {issue_rate:,.0f} invoices/s; the rest is "
                f"WeasyPrint laying out and writing each PDF, {per_pdf:.2f} s per invoice here, "
                "so the run grows linearly with the number of invoices.",
            ]
    return "\n".join(out)
