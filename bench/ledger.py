"""The ledger core benchmark: bulk posting, single entries and the trial balance, each measured
beside a floor (the same work done as plainly as the database allows) in the same run.

Per database, in order, on one freshly migrated database:

1. bulk: ``post_many`` of ``--bulk-lines`` journal lines in one transaction (in a fresh
   process, for its peak RSS); floor: the same line rows into a bare table with
   ``sqlite3.executemany`` or PostgreSQL ``COPY``;
2. single: ``--single-entries`` two-line entries, one ``post`` per transaction; floor: one bare
   one-row ``INSERT`` per transaction through the same engine;
3. trial balance: the ledger grown to ``--tb-lines`` with ``post_many`` (chunks of
   ``--bulk-lines``, one transaction each), then ``trial_balance`` for one year and for all
   years; reference: ``GROUP BY account`` over all journal lines.

The data is a deterministic stream of gifts over five fiscal years: even entries are
two-line bank gifts (series B, 1930/3993), odd ones card gifts with the card fee (series K,
1580/3993 and 6570/1580), spread over networks and a few thousand contributors.
"""

from __future__ import annotations

import argparse
import cProfile
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import Databases, Stopwatch, busy_cores, engine_for, peak_rss_mib, percentiles
from ledger.db.engine import reading
from ledger.entries import Draft, LineDraft
from ledger.services import dimensions, periods, posting
from ledger.services.verify import verify
from reports.trial_balance import trial_balance

NAME = "ledger"
GOALS = {"bulk_lines_per_s": 250_000, "single_entries_per_s": 1_000, "tb_ms": 20.0}
DEFAULTS = {
    "bulk_lines": 1_000_000,
    "single_entries": 5_000,
    "tb_lines": 10_000_000,
    "tb_calls": 50,
    "ref_calls": 5,
}
QUICK = {**DEFAULTS, "bulk_lines": 100_000, "single_entries": 1_000, "tb_lines": 1_000_000}

FIRST_DAY, LAST_DAY = date(2022, 1, 1), date(2026, 12, 31)
DAYS = (LAST_DAY - FIRST_DAY).days + 1
NETWORKS = ("stockholm", "goteborg", "malmo", "uppsala", "umea", "lund", "orebro", "gavle")
CONTRIBUTORS = 3_000
BATCH_SIZE = 20_000  # post_many's default
BUSY = 0.3  # cores kept busy by other work before a database's run; above it, say so
_LINE_COLUMNS = "entry_id, line_no, account, debit_ore, credit_ore, currency, network_id, \
contributor_id"


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("ledger benchmark (defaults: the issue's sizes)")
    g.add_argument("--bulk-lines", type=int, help=f"default {DEFAULTS['bulk_lines']:,}")
    g.add_argument("--single-entries", type=int, help=f"default {DEFAULTS['single_entries']:,}")
    g.add_argument("--tb-lines", type=int, help=f"default {DEFAULTS['tb_lines']:,}; 0 skips")
    g.add_argument("--tb-calls", type=int, help=f"default {DEFAULTS['tb_calls']}")
    g.add_argument("--ref-calls", type=int, help=f"default {DEFAULTS['ref_calls']}")
    g.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="post_many batch_size")
    g.add_argument("--profile", metavar="DIR", help="cProfile the bulk posting into DIR")


def sizes(args: argparse.Namespace) -> dict[str, int]:
    preset = QUICK if args.quick else DEFAULTS
    return {k: getattr(args, k) if getattr(args, k) is not None else v for k, v in preset.items()}


# --- the data ---------------------------------------------------------------------------------


def lines_of(entries: int) -> int:
    """Lines in the first ``entries`` of the stream (2-line and 4-line entries alternate)."""
    return 2 * ((entries + 1) // 2) + 4 * (entries // 2)


def entries_for(lines: int) -> int:
    """The fewest entries of the stream holding at least ``lines`` lines."""
    n = max(0, (lines // 3) - 1)
    while lines_of(n) < lines:
        n += 1
    return n


class GiftStream:
    """Entries ``0 .. total-1`` of a ledger of ``total`` gifts, dated in order over 5 years."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.debit_ore = 0  # of the drafts handed out, to check the trial balance against

    def day(self, i: int) -> date:
        return FIRST_DAY + timedelta(days=min(i, self.total - 1) * DAYS // self.total)

    def drafts(self, start: int, stop: int) -> Iterator[Draft]:
        for i in range(start, stop):
            gross = 5_000 + (i * 7_919) % 995_000
            net = None if i % 9 == 8 else NETWORKS[i % 9]
            who = 1 + (i * 37) % CONTRIBUTORS
            if i % 2 == 0:
                lines: tuple[LineDraft, ...] = (
                    LineDraft("1930", gross, 0, "SEK", net, who),
                    LineDraft("3993", 0, gross, "SEK", net, who),
                )
                draft = Draft(
                    self.day(i), f"Bankgiro 5050-1055 gåva {i}", lines, "B", "bgmax", f"bg:{i}"
                )
                self.debit_ore += gross
            else:
                fee = 180 + gross * 15 // 1000
                lines = (
                    LineDraft("1580", gross, 0, "SEK", net, who),
                    LineDraft("3993", 0, gross, "SEK", net, who),
                    LineDraft("6570", fee, 0, "SEK", net),
                    LineDraft("1580", 0, fee, "SEK", net),
                )
                draft = Draft(
                    self.day(i), f"Kortgåva Stripe ch_{i:012x}", lines, "K", "stripe", f"ch:{i}"
                )
                self.debit_ore += gross + fee
            yield draft


def line_rows(
    drafts: Iterator[Draft], networks: dict[str, int], first_id: int = 1
) -> list[tuple[object, ...]]:
    """The journal_lines rows ``post_many`` makes of the drafts."""
    return [
        (
            entry_id,
            no,
            ln.account,
            ln.debit_ore,
            ln.credit_ore,
            ln.currency,
            networks[ln.network] if ln.network else None,
            ln.contributor_id,
        )
        for entry_id, d in enumerate(drafts, start=first_id)
        for no, ln in enumerate(d.lines, start=1)
    ]


def seed_dimensions(url: str) -> dict[str, int]:
    """Networks and contributors through the dimensions service; returns network ids by slug.

    The stream names contributors 1..CONTRIBUTORS, which a fresh database hands out.
    """
    engine = engine_for(url)
    with engine.begin() as conn:
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
            periods.open_year(conn, year)  # years are opened on purpose (migration 0015)
        networks = {slug: dimensions.create_network(conn, slug, slug.title()) for slug in NETWORKS}
        ids = [
            dimensions.create_contributor(
                conn,
                "organisation" if i % 10 == 0 else "person",
                f"Givare {i}",
                f"givare{i}@example.org",
            )
            for i in range(1, CONTRIBUTORS + 1)
        ]
    engine.dispose()
    if ids != list(range(1, CONTRIBUTORS + 1)):
        raise RuntimeError("contributors did not get the ids 1..N; is the database fresh?")
    return networks


# --- bulk posting, in a fresh process ---------------------------------------------------------


def _progress(label: str, total: int) -> Any:
    started = last = time.perf_counter()

    def report(done: int) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= 5 or done >= total:
            last = now
            rate = done / (now - started) if now > started else 0
            print(f"    {label}: {done:,}/{total:,} entries, {rate:,.0f} entries/s", flush=True)

    return report


def post_stream(
    url: str, total: int, start: int, stop: int, batch_size: int, label: str, profile: str | None
) -> dict[str, Any]:
    """Book entries ``start..stop-1`` of the stream with ``post_many`` in one transaction."""
    engine = engine_for(url)
    with engine.connect():
        pass  # connect (and set the SQLite pragmas) before the clock starts
    with Stopwatch() as gen:
        for _ in GiftStream(total).drafts(start, stop):
            pass
    stream = GiftStream(total)
    rss_before = peak_rss_mib()
    profiler = cProfile.Profile() if profile else None
    with Stopwatch() as sw:
        if profiler is not None:
            profiler.enable()
        with engine.begin() as conn:
            result = posting.post_many(
                conn,
                stream.drafts(start, stop),
                batch_size=batch_size,
                progress=_progress(label, stop - start),
            )
        if profiler is not None:
            profiler.disable()
    if profile and profiler is not None:
        profiler.dump_stats(profile)
    engine.dispose()
    expected = (stop - start, lines_of(stop) - lines_of(start))
    if (result.posted, result.lines) != expected or result.duplicates:
        raise RuntimeError(f"post_many booked {result}, expected {expected} (entries, lines)")
    return {
        "entries": result.posted,
        "lines": result.lines,
        "seconds": sw.seconds,
        "lines_per_s": result.lines / sw.seconds,
        "entries_per_s": result.posted / sw.seconds,
        "draft_seconds": gen.seconds,
        "peak_rss_mib": peak_rss_mib(),
        "rss_before_mib": rss_before,
        "debit_ore": stream.debit_ore,
        "profiled": profiler is not None,
    }


def _in_fresh_process(*args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        result: dict[str, Any] = pool.submit(post_stream, *args).result()
    return result


# --- floors -----------------------------------------------------------------------------------


def sqlite_executemany(path: Path, rows: list[tuple[object, ...]]) -> dict[str, Any]:
    """Raw sqlite3: the rows into a bare table, one transaction, the app's pragmas."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(
        "CREATE TABLE bare_lines (entry_id INTEGER, line_no INTEGER, account TEXT, "
        "debit_ore INTEGER, credit_ore INTEGER, currency TEXT, network_id INTEGER, "
        "contributor_id INTEGER)"
    )
    with Stopwatch() as sw:
        con.execute("BEGIN")
        con.executemany("INSERT INTO bare_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")
    con.close()
    return {"rows": len(rows), "seconds": sw.seconds, "rows_per_s": len(rows) / sw.seconds}


def pg_copy(dbs: Databases, rows: list[tuple[object, ...]]) -> dict[str, Any]:
    """psycopg COPY of the rows into a bare table, one transaction."""
    url = dbs.empty_url("postgresql", "floor")
    dbname = url.rsplit("/", 1)[1]
    with dbs.pg.connect(dbname, autocommit=False) as conn:
        conn.execute(
            "CREATE TABLE bare_lines (entry_id bigint, line_no integer, account varchar(4), "
            "debit_ore bigint, credit_ore bigint, currency varchar(3), network_id integer, "
            "contributor_id integer)"
        )
        conn.commit()
        with Stopwatch() as sw:
            with conn.cursor() as cur, cur.copy("COPY bare_lines FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
    dbs.drop(url)
    return {"rows": len(rows), "seconds": sw.seconds, "rows_per_s": len(rows) / sw.seconds}


# --- single entries ---------------------------------------------------------------------------


def single_entries(url: str, n: int, day: date) -> dict[str, Any]:
    """``n`` Swish gifts, one ``post`` per transaction; then the bare one-row floor."""
    engine = engine_for(url)
    drafts = [
        Draft(
            day,
            f"Swish-gåva {k}",
            (
                LineDraft("1930", 10_000 + k, 0, "SEK", NETWORKS[k % 8], 1 + k % CONTRIBUTORS),
                LineDraft("3993", 0, 10_000 + k, "SEK", NETWORKS[k % 8], 1 + k % CONTRIBUTORS),
            ),
            "S",
            "swish",
            f"swish:{k}",
        )
        for k in range(n)
    ]
    with engine.connect():
        pass
    post_times = []
    for draft in drafts:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            posting.post(conn, draft)
        post_times.append(time.perf_counter() - t0)

    pg = engine.dialect.name == "postgresql"
    marks = ", ".join(["%s" if pg else "?"] * 8)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE bench_bare (entry_id bigint, line_no integer, account varchar(4), "
            "debit_ore bigint, credit_ore bigint, currency varchar(3), network_id integer, "
            "contributor_id integer)"
        )
    bare_times = []
    for k in range(n):
        row = (k + 1, 1, "1930", 10_000 + k, 0, "SEK", 1 + k % 8, 1 + k % CONTRIBUTORS)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO bench_bare VALUES ({marks})", row)
        bare_times.append(time.perf_counter() - t0)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_bare")
    engine.dispose()
    return {
        "post": {"entries": n, "per_s": n / sum(post_times), **percentiles(post_times)},
        "floor": {"rows": n, "per_s": n / sum(bare_times), **percentiles(bare_times)},
        "debit_ore": sum(d.lines[0].debit_ore for d in drafts),
    }


# --- trial balance ----------------------------------------------------------------------------

_REFERENCE = "SELECT account, sum(debit_ore), sum(credit_ore) FROM journal_lines GROUP BY account"


def check_books(url: str, entries: int, lines: int, debit_ore: int) -> dict[str, Any]:
    """The run is only worth reporting if the books hold what was posted and balance."""
    engine = engine_for(url)
    with reading(engine) as conn:
        found = (
            conn.scalar(text("SELECT count(*) FROM journal_entries")),
            conn.scalar(text("SELECT count(*) FROM journal_lines")),
            conn.scalar(text("SELECT last_entry_id FROM ledger_head")),
        )
        totals = trial_balance(conn)["totals"]
        report = verify(conn)  # what `kassan ledger verify` runs: chain, numbers, balances
    engine.dispose()
    if not report.ok:
        raise RuntimeError(f"kassan ledger verify failed after the run: {report.problems[:5]}")
    if found != (entries, lines, entries):
        want = (entries, lines, entries)
        raise RuntimeError(f"the ledger holds (entries, lines, head) {found}, expected {want}")
    if not totals["debit_ore"] == totals["credit_ore"] == debit_ore:
        raise RuntimeError(f"trial balance totals {totals}, expected {debit_ore} on each side")
    return {
        "entries": entries,
        "lines": lines,
        "debit_ore": debit_ore,
        "balanced": True,
        "verified": True,
    }


def time_calls(url: str, calls: int, fn: Any) -> dict[str, float]:
    """``fn(conn)`` on a connection of its own per call, as a request would; one warm-up."""
    engine = engine_for(url)
    samples = []
    for k in range(calls + 1):
        t0 = time.perf_counter()
        with engine.connect() as conn:
            fn(conn)
        if k:
            samples.append(time.perf_counter() - t0)
    engine.dispose()
    return percentiles(samples)


# --- one database -----------------------------------------------------------------------------


def run_backend(
    dbs: Databases, backend: str, size: dict[str, int], args: argparse.Namespace
) -> dict[str, Any]:
    busy = busy_cores()
    if busy > BUSY:
        print(f"  !! {busy} cores busy with other work before starting: figures will be low")
    out: dict[str, Any] = {"version": dbs.server_version(backend), "busy_cores_before": busy}
    nb = entries_for(size["bulk_lines"])
    nt = max(nb, entries_for(max(0, size["tb_lines"] - 2 * size["single_entries"])))
    stream = GiftStream(nt)
    url = dbs.fresh_url(backend, "ledger")
    networks = seed_dimensions(url)

    print(f"  [{backend}] bulk: post_many of {lines_of(nb):,} lines ({nb:,} entries)", flush=True)
    profile = str(Path(args.profile) / f"ledger-bulk-{backend}.prof") if args.profile else None
    if profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    bulk = _in_fresh_process(url, nt, 0, nb, args.batch_size, f"{backend} bulk", profile)
    out["bulk"] = bulk
    rows = line_rows(stream.drafts(0, nb), networks)
    print(f"  [{backend}] floor: {len(rows):,} bare rows", flush=True)
    if backend == "sqlite":
        floor = sqlite_executemany(dbs.tmpdir / "floor.db", rows)
        out["bulk_floor"] = {"how": "sqlite3 executemany", **floor}
        for suffix in ("", "-wal", "-shm"):
            (dbs.tmpdir / f"floor.db{suffix}").unlink(missing_ok=True)
    else:
        out["bulk_floor"] = {"how": "COPY", **pg_copy(dbs, rows)}
    del rows

    n = size["single_entries"]
    print(f"  [{backend}] single: {n:,} x post() in its own transaction", flush=True)
    out["single"] = single_entries(url, n, stream.day(nb))
    debit = bulk["debit_ore"] + out["single"]["debit_ore"]
    entries, lines = nb + n, lines_of(nb) + 2 * n

    if size["tb_lines"]:
        grow = []
        step = max(1, entries_for(size["bulk_lines"]))
        for lo in range(nb, nt, step):
            hi = min(nt, lo + step)
            print(f"  [{backend}] growing the ledger to {lines_of(hi) + 2 * n:,} lines", flush=True)
            part = _in_fresh_process(url, nt, lo, hi, args.batch_size, f"{backend} grow", None)
            debit += part["debit_ore"]
            entries, lines = entries + part["entries"], lines + part["lines"]
            grow.append({k: part[k] for k in ("entries", "lines", "seconds", "lines_per_s")})
        out["grow"] = grow
        print(f"  [{backend}] trial balance over {lines:,} lines", flush=True)
        out["books"] = check_books(url, entries, lines, debit)
        year = LAST_DAY.year
        calls, ref_calls = size["tb_calls"], size["ref_calls"]
        out["tb"] = {
            "lines": lines,
            "year": year,
            "one_year": time_calls(url, calls, lambda c: trial_balance(c, year)),
            "all_years": time_calls(url, calls, lambda c: trial_balance(c)),
            "reference": time_calls(url, ref_calls, lambda c: c.exec_driver_sql(_REFERENCE).all()),
        }
    else:
        out["books"] = check_books(url, entries, lines, debit)
    dbs.drop(url)
    return out


def run(args: argparse.Namespace, dbs: Databases) -> dict[str, Any]:
    size = sizes(args)
    result: dict[str, Any] = {"sizes": size, "batch_size": args.batch_size, "goals": GOALS}
    for backend in dbs.backends:
        print(f"ledger benchmark on {backend}", flush=True)
        result[backend] = run_backend(dbs, backend, size, args)
    return result


# --- the figures ------------------------------------------------------------------------------


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _ms(x: float) -> str:
    return f"{x:,.1f}" if x >= 10 else f"{x:,.2f}"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(result: dict[str, Any], meta: dict[str, Any]) -> str:
    """The figures as Markdown (the doc's marked section, also printed to the terminal)."""
    m, size = meta["machine"], result["sizes"]
    out = [
        f"Measured {meta['date']} at commit `{meta['commit']}` with `{meta['command']}`.",
        "",
        f"Machine: {m['nproc']} cores (`nproc`), {m['cpu']}, {m['memory_gib']} GiB RAM, "
        f"Linux {m['kernel']}, Python {m['python']}.",
        "",
    ]
    for backend in ("sqlite", "postgresql"):
        if backend not in result:
            continue
        r = result[backend]
        b, bf, s = r["bulk"], r["bulk_floor"], r["single"]
        name = "SQLite" if backend == "sqlite" else "PostgreSQL"
        if backend == "sqlite":
            setup = "file in a temp dir, `make_engine`: WAL, synchronous=NORMAL, BEGIN IMMEDIATE"
        else:
            settings = ", ".join(f"{k}={v}" for k, v in meta.get("postgresql_settings", {}).items())
            setup = f"throwaway `PgCluster(durable=True)`, server defaults: {settings}"
        out += [
            f"#### {name} {r['version']} ({setup})",
            "",
            "| Measurement | Kassan | Floor, same run | Kassan vs floor | Goal | Met |",
            "|---|---:|---:|---:|---:|:---:|",
            f"| Bulk `post_many`, {_n(b['lines'])} lines ({_n(b['entries'])} entries): "
            f"lines/s | {_n(b['lines_per_s'])} | {_n(bf['rows_per_s'])} rows/s "
            f"({bf['how']}) | {b['lines_per_s'] / bf['rows_per_s']:.1%} of it | "
            f"≥ {_n(GOALS['bulk_lines_per_s'])} | "
            f"{_met(b['lines_per_s'] >= GOALS['bulk_lines_per_s'])} |",
            f"| … entries/s | {_n(b['entries_per_s'])} | | | | |",
            f"| … wall time | {b['seconds']:.1f} s | {bf['seconds']:.1f} s | | | |",
            f"| … of which building the drafts (caller's side) | {b['draft_seconds']:.1f} s "
            "| | | | |",
            f"| … peak RSS of the posting process | {b['peak_rss_mib']:,.0f} MiB "
            f"(before posting: {b['rss_before_mib']:,.0f}) | | | | |",
            f"| Single `post`, one per transaction, {_n(s['post']['entries'])} entries: "
            f"entries/s | {_n(s['post']['per_s'])} | {_n(s['floor']['per_s'])} txn/s (bare "
            f"one-row INSERT) | {s['post']['per_s'] / s['floor']['per_s']:.1%} of it | "
            f"≥ {_n(GOALS['single_entries_per_s'])} | "
            f"{_met(s['post']['per_s'] >= GOALS['single_entries_per_s'])} |",
            f"| … latency p50 / p95 | {_ms(s['post']['p50_ms'])} / {_ms(s['post']['p95_ms'])} "
            f"ms | {_ms(s['floor']['p50_ms'])} / {_ms(s['floor']['p95_ms'])} ms | | | |",
        ]
        if "tb" in r:
            tb = r["tb"]
            ref = tb["reference"]
            for label, key in ((f"year {tb['year']}", "one_year"), ("all years", "all_years")):
                t = tb[key]
                out.append(
                    f"| `trial_balance`, {label}, over {_n(tb['lines'])} lines: p50 / p95 "
                    f"({t['n']} calls) | {_ms(t['p50_ms'])} / {_ms(t['p95_ms'])} ms | "
                    f"{_ms(ref['p50_ms'])} / {_ms(ref['p95_ms'])} ms (GROUP BY over the lines, "
                    f"{ref['n']} calls) | {ref['p50_ms'] / t['p50_ms']:,.0f}× faster (p50) | "
                    f"< {GOALS['tb_ms']:.0f} ms | {_met(t['p95_ms'] < GOALS['tb_ms'])} |"
                )
            grow = r["grow"]
            if grow:
                secs = sum(g["seconds"] for g in grow)
                rate = sum(g["lines"] for g in grow) / secs
                out.append(
                    f"| Growing the ledger to {_n(tb['lines'])} lines with `post_many`, "
                    f"{len(grow)} transactions: lines/s | {_n(rate)} ({secs:,.0f} s; first "
                    f"transaction {_n(grow[0]['lines_per_s'])}, last "
                    f"{_n(grow[-1]['lines_per_s'])}) | | | | |"
                )
        busy = r["busy_cores_before"]
        out += [
            "",
            f"Other work on the machine just before this database's run: {busy} cores busy"
            + (" — **the figures above are skewed by it**." if busy > BUSY else "."),
            "",
            f"Books checked after the run: {_n(r['books']['entries'])} entries, "
            f"{_n(r['books']['lines'])} lines, trial balance totals equal on both sides "
            f"({r['books']['debit_ore']:,} öre); the verify service (`kassan ledger verify`) "
            "passed.",
            "",
        ]
    if any(result.get(b, {}).get("bulk", {}).get("profiled") for b in ("sqlite", "postgresql")):
        out.append("The bulk posting ran under cProfile (`--profile`): its rates are understated.")
    out.append(
        f"Sizes: {size['bulk_lines']:,} bulk lines (batch size {result['batch_size']:,}), "
        f"{size['single_entries']:,} single entries, {size['tb_lines']:,} lines for the trial "
        f"balance, {size['tb_calls']} trial-balance calls, {size['ref_calls']} reference calls."
    )
    return "\n".join(out)
