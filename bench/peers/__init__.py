"""The peer benchmark (``make bench-peers``): Kassan beside django-hordak 2.0 on one durable
throwaway PostgreSQL, the same work for both, alternating, median of ``--peer-rounds`` rounds.

hordak lives in its own virtual environment, ``bench/peers/.venv`` (``make bench-peers``
makes it from ``bench/peers/requirements.txt``; git ignores it), never in Kassan's: each
piece of work runs in a fresh process of the system's own Python (``kassan_client`` here,
``hordak_client.py`` there) and reports its figures as JSON.

Each round gets a fresh database per system, copied from a template that is migrated and
set up once (Kassan: its migrations, 8 networks, 100 contributors; hordak: its migrations,
four accounts in SEK). In every round, work by work and taking turns at going first:

1. single: ``--peer-single`` two-line entries, one per transaction, one client;
2. clients: 4 processes posting two-line entries for ``--peer-seconds`` seconds; then, Kassan
   only, 4 threads of one process for as long, each post its own transaction and through the
   sequencer (``posting.submit``, group commit), the two taking turns at going first;
3. bulk: ``--peer-bulk`` three-line entries in one transaction (``post_many``; hordak's
   ``bulk_create``);
4. trial balance: every account's balance over the whole ledger (``trial_balance``;
   hordak's ``Account.objects.with_balances()``), after growing it to ``--peer-tb-lines``
   (untimed bulk posts) when that is more than it holds, ``--peer-tb-calls`` calls;
5. size: the ledger's tables and indexes (``pg_total_relation_size``) per million lines, and
   each table and index on its own in the results JSON (``relations``).

After each piece of Kassan work the verify service (``kassan ledger verify``) must pass,
and both trial balances must balance, or the run stops.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import Databases, busy_cores

NAME = "peers"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PEER_PYTHON = HERE / ".venv" / "bin" / "python"
CLIENTS = 4
SYSTEMS = ("kassan", "hordak")
DEFAULTS = {"single": 500, "seconds": 5.0, "bulk": 10_000, "tb_lines": 0, "tb_calls": 20}
FULL = {"single": 2_000, "seconds": 20.0, "bulk": 100_000, "tb_lines": 1_000_000, "tb_calls": 20}
GROW_CHUNK = 100_000  # entries per untimed bulk transaction when growing for the read
TABLES = {
    "kassan": ("journal_entries", "journal_lines", "account_balances", "ledger_head"),
    "hordak": ("hordak_transaction", "hordak_leg", "hordak_account"),
}
START_MARGIN = 5.0  # seconds for the client processes to start and connect
VIAS = ("post", "submit")  # Kassan's threads: each its own transaction, or group commit


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("peer benchmark (Kassan beside django-hordak, PostgreSQL)")
    g.add_argument("--peer-full", action="store_true", help="the issue's sizes (~30 min)")
    g.add_argument("--peer-rounds", type=int, default=3, help="rounds; the median is shown")
    g.add_argument("--peer-single", type=int, help=f"default {DEFAULTS['single']:,}")
    g.add_argument("--peer-seconds", type=float, help=f"default {DEFAULTS['seconds']}")
    g.add_argument("--peer-bulk", type=int, help=f"entries, default {DEFAULTS['bulk']:,}")
    g.add_argument("--peer-tb-lines", type=int, help="grow to this many lines before the read")
    g.add_argument("--peer-tb-calls", type=int, help=f"default {DEFAULTS['tb_calls']}")


def sizes(args: argparse.Namespace) -> dict[str, Any]:
    preset = FULL if args.peer_full else DEFAULTS
    given = {k: getattr(args, f"peer_{k}", None) for k in preset}
    return {k: given[k] if given[k] is not None else v for k, v in preset.items()}


# --- running one piece of work ------------------------------------------------------------------


def _command(system: str, work: str, url: str, **options: Any) -> list[str]:
    if system == "kassan":
        cmd = [sys.executable, "-m", "bench.peers.kassan_client"]
    else:
        cmd = [str(PEER_PYTHON), str(HERE / "hordak_client.py")]
    cmd += [work, "--url", url]
    for name, value in options.items():
        cmd += [f"--{name.replace('_', '-')}", str(value)]
    return cmd


def _parse(system: str, work: str, proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    if proc.returncode != 0:
        raise RuntimeError(f"{system} {work} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run_work(system: str, work: str, url: str, **options: Any) -> dict[str, Any]:
    proc = subprocess.run(
        _command(system, work, url, **options), cwd=ROOT, capture_output=True, text=True
    )
    return _parse(system, work, proc)


def run_clients(system: str, url: str, seconds: float) -> dict[str, Any]:
    """``CLIENTS`` processes posting from the same moment for ``seconds``."""
    start_at = time.time() + START_MARGIN
    procs = [
        subprocess.Popen(
            _command(
                system, "client", url, seconds=seconds, start_at=start_at, offset=(i + 1) * 10**7
            ),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(CLIENTS)
    ]
    outs = []
    for p in procs:
        stdout, stderr = p.communicate()
        outs.append(
            _parse(
                system, "client", subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr)
            )
        )
    times = [t for o in outs for t in o["times"]]
    late = [o for o in outs if o.get("late")]
    if late:
        print(f"  !! {len(late)} {system} client(s) started late: rate understated", flush=True)
    return {
        "entries": sum(o["entries"] for o in outs),
        "per_s": len(times) / seconds,
        **latency(times),
        "late_clients": len(late),
    }


def run_threads(url: str, seconds: float, via: str, r: int) -> dict[str, Any]:
    """Kassan only: ``CLIENTS`` threads of one process posting for ``seconds``, through the
    sequencer (``via="submit"``, group commit) or each in its own transaction (``"post"``)."""
    offset = (5 + VIAS.index(via)) * 10**7 + r * 10**6 * CLIENTS
    res = run_work(
        "kassan",
        "threads",
        url,
        threads=CLIENTS,
        seconds=seconds,
        start_at=time.time() + START_MARGIN,
        offset=offset,
        via=via,
    )
    if res["late"]:
        print(f"  !! kassan's {via} threads started late: rate understated", flush=True)
    return {
        "entries": res["entries"],
        "per_s": res["timed"] / seconds,
        **latency(res["times"]),
        "mean_batch": res["mean_batch"],
    }


def latency(times: list[float]) -> dict[str, float]:
    """p50 and p99 (nearest rank) of durations in seconds, in milliseconds."""
    ordered = sorted(times)
    if not ordered:
        return {"p50_ms": 0.0, "p99_ms": 0.0}

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered) + 0.5) - 1))] * 1000

    return {"p50_ms": rank(0.50), "p99_ms": rank(0.99)}


def table_bytes(dbs: Databases, url: str, system: str) -> int:
    with dbs.pg.connect(url.rsplit("/", 1)[1]) as conn:
        return sum(
            int(conn.execute("SELECT pg_total_relation_size(%s)", (name,)).fetchone()[0])
            for name in TABLES[system]
        )


def relation_bytes(dbs: Databases, url: str, system: str) -> dict[str, int]:
    """What ``table_bytes`` adds up, relation by relation: each table (heap and TOAST) and
    each of its indexes, in bytes (into the results JSON, for the breakdown in the docs)."""
    out: dict[str, int] = {}
    with dbs.pg.connect(url.rsplit("/", 1)[1]) as conn:
        for name in TABLES[system]:
            out[name] = int(conn.execute("SELECT pg_table_size(%s)", (name,)).fetchone()[0])
            indexes = conn.execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                "WHERE indrelid = %s::regclass ORDER BY 1",
                (name,),
            ).fetchall()
            out.update({ix: int(size) for ix, size in indexes})
    return out


# --- one round ------------------------------------------------------------------------------------


def _verified(url: str, what: str) -> None:
    report = run_work("kassan", "verify", url)
    if not report["ok"]:
        raise RuntimeError(f"kassan ledger verify failed after {what}: {report['problems']}")


def one_round(
    dbs: Databases, templates: dict[str, str], order: tuple[str, ...], size: dict[str, Any], r: int
) -> dict[str, Any]:
    urls = {}
    for system in order:
        name = f"r{r}_{system}"
        dbs.pg.create_database(name, template=templates[system])
        urls[system] = str(dbs.pg.url_for(name))
    out: dict[str, dict[str, Any]] = {s: {} for s in order}
    print(f"  round {r + 1}: {' then '.join(order)}, work by work", flush=True)
    for system in order:
        res = run_work(system, "single", urls[system], n=size["single"])
        out[system]["single"] = {
            "per_s": res["entries"] / sum(res["times"]),
            **latency(res["times"]),
        }
        if system == "kassan":
            _verified(urls[system], "single")
    for system in order:
        out[system]["clients"] = run_clients(system, urls[system], size["seconds"])
        if system == "kassan":
            _verified(urls[system], f"{CLIENTS} clients")
    for via in ("post", "submit") if r % 2 == 0 else ("submit", "post"):
        out["kassan"][f"threads_{via}"] = run_threads(urls["kassan"], size["seconds"], via, r)
        _verified(urls["kassan"], f"{CLIENTS} threads ({via})")
    for system in order:
        res = run_work(system, "bulk", urls[system], entries=size["bulk"], offset=0)
        out[system]["bulk"] = {**res, "lines_per_s": res["lines"] / res["seconds"]}
        if system == "kassan":
            _verified(urls[system], "bulk")
    for system in order:
        posted = size["single"] + out[system]["clients"]["entries"]
        posted += sum(out[system].get(f"threads_{via}", {}).get("entries", 0) for via in VIAS)
        lines = 2 * posted + 3 * size["bulk"]
        offset = size["bulk"]
        while lines < size["tb_lines"]:
            n = min(GROW_CHUNK, (size["tb_lines"] - lines + 2) // 3)
            run_work(system, "bulk", urls[system], entries=n, offset=offset)
            offset, lines = offset + n, lines + 3 * n
        res = run_work(system, "tb", urls[system], calls=size["tb_calls"])
        if not res["balanced"]:
            raise RuntimeError(f"{system}'s trial balance does not balance")
        out[system]["tb"] = {"lines": res["lines"], **latency(res["times"])}
        if system == "kassan":
            _verified(urls[system], "growing the ledger")
        out[system]["size"] = {
            "bytes": table_bytes(dbs, urls[system], system),
            "lines": res["lines"],
        }
        out[system]["relations"] = relation_bytes(dbs, urls[system], system)
    for url in urls.values():
        dbs.drop(url)
    return out


def run(args: argparse.Namespace, dbs: Databases) -> dict[str, Any]:
    if dbs.pg is None:
        raise SystemExit("the peer benchmark runs on PostgreSQL only: --db postgresql")
    if not PEER_PYTHON.exists():
        raise SystemExit(f"{PEER_PYTHON} is missing: `make bench-peers` sets up hordak's venv")
    size = sizes(args)
    busy = busy_cores()
    print(f"peer benchmark: Kassan beside django-hordak, {busy} cores busy before", flush=True)
    templates = {}
    k_url = dbs.fresh_url("postgresql", "kassan_tpl")
    run_work("kassan", "setup", k_url)
    h_url = dbs.empty_url("postgresql", "hordak_tpl")
    run_work("hordak", "setup", h_url)
    templates = {"kassan": k_url.rsplit("/", 1)[1], "hordak": h_url.rsplit("/", 1)[1]}
    rounds = []
    for r in range(args.peer_rounds):
        order = SYSTEMS if r % 2 == 0 else SYSTEMS[::-1]
        rounds.append(one_round(dbs, templates, order, size, r))
    dbs.drop(k_url)
    dbs.drop(h_url)
    return {
        "sizes": size,
        "rounds": rounds,
        "median": {s: _median(rounds, s) for s in SYSTEMS},
        "busy_cores_before": busy,
        "busy_cores_after": busy_cores(),
        "hordak_version": _hordak_version(),
    }


def _median(rounds: list[dict[str, Any]], system: str) -> dict[str, Any]:
    first = rounds[0][system]
    return {
        work: {k: statistics.median(r[system][work][k] for r in rounds) for k in figures}
        for work, figures in first.items()
    }


def _hordak_version() -> str:
    proc = subprocess.run(
        [
            str(PEER_PYTHON),
            "-c",
            "import importlib.metadata as m; print(m.version('django-hordak'))",
        ],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() or "unknown"


# --- the figures ----------------------------------------------------------------------------------


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _ms(x: float) -> str:
    return f"{x:,.1f}" if x >= 10 else f"{x:,.2f}"


def _ratio(a: float, b: float) -> str:
    if not b:
        return "–"
    q = a / b
    return f"{q:.2f}" if q >= 0.1 else f"{q:.3f}"


def render(result: dict[str, Any], meta: dict[str, Any]) -> str:
    m, size = meta["machine"], result["sizes"]
    k, h = result["median"]["kassan"], result["median"]["hordak"]
    mib = 1024 * 1024

    def per_million(x: dict[str, Any]) -> float:
        return float(x["size"]["bytes"] / mib / x["size"]["lines"] * 1e6)

    # Each round's 4 threads beside the same round's 1 client: the load moves between rounds.
    by_round = [
        r["kassan"]["threads_submit"]["per_s"] / r["kassan"]["single"]["per_s"]
        for r in result["rounds"]
    ]
    settings = ", ".join(f"{a}={b}" for a, b in meta.get("postgresql_settings", {}).items())
    rows = [
        (
            "single 2-line entry, 1 client, entries/s",
            _n(k["single"]["per_s"]),
            _n(h["single"]["per_s"]),
            _ratio(k["single"]["per_s"], h["single"]["per_s"]),
        ),
        (
            "same, p50 / p99 ms",
            f"{_ms(k['single']['p50_ms'])} / {_ms(k['single']['p99_ms'])}",
            f"{_ms(h['single']['p50_ms'])} / {_ms(h['single']['p99_ms'])}",
            "",
        ),
        (
            f"{CLIENTS} clients for {size['seconds']:g} s, entries/s",
            _n(k["clients"]["per_s"]),
            _n(h["clients"]["per_s"]),
            _ratio(k["clients"]["per_s"], h["clients"]["per_s"]),
        ),
        (
            "same, p50 / p99 ms",
            f"{_ms(k['clients']['p50_ms'])} / {_ms(k['clients']['p99_ms'])}",
            f"{_ms(h['clients']['p50_ms'])} / {_ms(h['clients']['p99_ms'])}",
            "",
        ),
        (
            f"{CLIENTS} clients ÷ 1 client",
            _ratio(k["clients"]["per_s"], k["single"]["per_s"]),
            _ratio(h["clients"]["per_s"], h["single"]["per_s"]),
            "",
        ),
        (
            f"{CLIENTS} threads of one process, each post its own transaction, entries/s",
            _n(k["threads_post"]["per_s"]),
            "",
            _ratio(k["threads_post"]["per_s"], h["clients"]["per_s"]),
        ),
        (
            f"{CLIENTS} threads of one process through the sequencer (group commit), entries/s",
            _n(k["threads_submit"]["per_s"]),
            "",
            _ratio(k["threads_submit"]["per_s"], h["clients"]["per_s"]),
        ),
        (
            f"same, p50 / p99 ms (mean batch {k['threads_submit']['mean_batch']:.1f} entries)",
            f"{_ms(k['threads_submit']['p50_ms'])} / {_ms(k['threads_submit']['p99_ms'])}",
            "",
            "",
        ),
        (
            f"{CLIENTS} threads through the sequencer ÷ 1 client (median of the rounds' own "
            "ratios)",
            f"{_ratio(k['threads_submit']['per_s'], k['single']['per_s'])} "
            f"({_ratio(statistics.median(by_round), 1)})",
            "",
            "",
        ),
        (
            f"bulk {_n(size['bulk'])} entries × 3 lines in one transaction, lines/s",
            _n(k["bulk"]["lines_per_s"]),
            _n(h["bulk"]["lines_per_s"]),
            _ratio(k["bulk"]["lines_per_s"], h["bulk"]["lines_per_s"]),
        ),
        (
            f"trial balance (every account) at {_n(k['tb']['lines'])} / "
            f"{_n(h['tb']['lines'])} lines, p50 ms",
            _ms(k["tb"]["p50_ms"]),
            _ms(h["tb"]["p50_ms"]),
            _ratio(k["tb"]["p50_ms"], h["tb"]["p50_ms"]),
        ),
        (
            "ledger tables and indexes per 1M lines, MiB",
            _n(per_million(k)),
            _n(per_million(h)),
            _ratio(per_million(k), per_million(h)),
        ),
    ]
    out = [
        f"Measured {meta['date']} at commit `{meta['commit']}` with `{meta['command']}`: "
        f"Kassan beside django-hordak {result['hordak_version']}, median of "
        f"{len(result['rounds'])} rounds, the two systems taking turns work by work.",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu']}, Linux {m['kernel']}, Python {m['python']}; "
        f"PostgreSQL: one throwaway `PgCluster(durable=True)` for both ({settings}). Other work "
        f"kept {result['busy_cores_before']} cores busy just before the run and "
        f"{result['busy_cores_after']} just after"
        + (
            " — **the figures are skewed by it**."
            if max(result["busy_cores_before"], result["busy_cores_after"]) > 0.3
            else "."
        ),
        "",
        "| work | Kassan | hordak | Kassan/hordak |",
        "|---|---:|---:|---:|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        "Each round, entries/s (Kassan / hordak): single "
        + ", ".join(
            f"{_n(r['kassan']['single']['per_s'])} / {_n(r['hordak']['single']['per_s'])}"
            for r in result["rounds"]
        )
        + f"; {CLIENTS} clients "
        + ", ".join(
            f"{_n(r['kassan']['clients']['per_s'])} / {_n(r['hordak']['clients']['per_s'])}"
            for r in result["rounds"]
        )
        + f"; Kassan's {CLIENTS} threads, each post its own transaction / through the "
        "sequencer "
        + ", ".join(
            f"{_n(r['kassan']['threads_post']['per_s'])} / "
            f"{_n(r['kassan']['threads_submit']['per_s'])}"
            for r in result["rounds"]
        )
        + " (÷ the round's 1 client: "
        + ", ".join(_ratio(x, 1) for x in by_round)
        + "). The threads' Kassan/hordak column is against hordak's "
        f"{CLIENTS} processes.",
        "",
        f"Sizes: {_n(size['single'])} single entries, {CLIENTS} clients for {size['seconds']:g} s, "
        f"{_n(size['bulk'])} bulk entries, the read after growing to at least "
        f"{_n(size['tb_lines'])} lines, {size['tb_calls']} read calls. `kassan ledger verify` "
        "passed after every piece of Kassan's work; both trial balances balanced.",
    ]
    return "\n".join(out)
