"""The webhook ingest benchmark: signed Stripe events into Kassan under gunicorn (2 workers).

    python -m bench.webhooks [--db sqlite,postgresql] [--seconds 20] [--gifts 20000]
                             [--concurrency 16] [--worker-class gthread|sync] [--threads 8]

Per database (a SQLite file, or a durable throwaway PostgreSQL cluster):

1. a fresh migrated database with one network and ``--gifts`` pending card gifts, each with its
   Checkout Session, PaymentIntent, charge and balance transaction served by a fake Stripe
   (``tests.support.fake_stripe``) running in this process on 127.0.0.1;
2. the references first, each on its own fresh database under the same gunicorn settings,
   loaded the same way: ``bench.webhooks_bare``'s ``/bare`` (one two-line entry per request in
   plain SQL, the issue's reference) and ``/bare-post`` (the same through ``posting.post``);
3. Kassan (``kassan.web.app:create_app()``, KASSAN_ENV=production, STRIPE_WEBHOOK_APPLY=
   background: the production path) under gunicorn, loaded from a second process for
   ``--seconds`` by ``--concurrency`` threads over http.client with signed
   ``checkout.session.completed`` events (built and signed before the clock starts), every
   tenth request a duplicate of an event sent before; the load ends early if the gifts run out.
   The endpoint answers once the event is in the inbox; each worker's applier threads book
   meanwhile, so the run then waits for the inbox to drain and reports how long that took
   (booked events per second from the first request to the last booking);
4. the checks: exactly one ``stripe:charge:`` entry (and its ``stripe:fee:``) per gift whose
   event was delivered, nothing else booked, no event left waiting in the inbox, the books'
   3993 total equal to the delivered gifts, and ``verify(conn).ok``. A wrong booking fails the
   run (exit status 1, the problems printed and kept in the JSON);
5. where the time goes: the CPU each process used during the load, and one event's steps
   (signature, inbox insert, Stripe reads, apply) timed one by one in this process.

Prints a Markdown table and writes ``bench/results/webhooks-<time>.json``. ``NAME``,
``add_options``, ``run`` and ``render`` follow ``bench/run.py``'s benchmark module shape.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.pool import NullPool

from bench import BACKENDS, Databases, busy_cores, machine
from ledger.db.engine import make_engine, reading
from webhooks.stripe.worker import SQLITE_THREADS
from webhooks.stripe.worker import THREADS as APPLIER_THREADS

NAME = "webhooks"
GOALS = {
    "postgresql": {"events_per_s": 800, "p99_ms": 50.0},  # issue 14
    "sqlite": {"p99_ms": 30.0},
}
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GUNICORN = Path(sys.executable).with_name("gunicorn")
WORKERS = 2
HOST = "127.0.0.1"
HOOK_PATH = "/webhooks/stripe"
DUPLICATE_EVERY = 10  # every tenth request re-sends an event sent before: 10 % duplicates
WARMUP = 20  # events delivered before the clock (each worker's first requests open its pools)
BREAKDOWN_EVENTS = 200  # events timed step by step in this process after the load
BARE_MAX_REQUESTS = 200_000
DRAIN_TIMEOUT = 900.0  # seconds the appliers get to book what the load left in the inbox
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
AMOUNTS = (10_000, 20_000, 25_000, 50_000, 100_000)


class BookedWrong(RuntimeError):
    """The ledger after the load is not what the delivered events should have booked."""

    def __init__(self, problems: list[str], results: dict[str, Any]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.results = results


# --- options -----------------------------------------------------------------------------------


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("webhook ingest benchmark")
    g.add_argument("--seconds", type=float, default=20.0, help="load time per endpoint (20)")
    g.add_argument("--gifts", type=int, default=20_000, help="gifts to deliver events for (20000)")
    g.add_argument("--concurrency", type=int, default=16, help="client threads (16)")
    g.add_argument(
        "--worker-class",
        choices=("sync", "gthread"),
        default="gthread",
        help="gunicorn worker class (gthread, as docs/deployment.md runs it; sync is "
        "gunicorn's own default)",
    )
    g.add_argument("--threads", type=int, default=8, help="threads per gthread worker (8)")
    g.add_argument(
        "--no-mark",
        action="store_true",
        help="drop the funding change mark's triggers (migrations 0031, 0032) from the webhook's "
        "database: run alternating with and without to measure what the mark costs",
    )
    g.add_argument("--no-references", action="store_true", help="skip the bare reference endpoints")


# --- the load, in a second process -------------------------------------------------------------


def load(
    port: int,
    path: str,
    bodies: list[tuple[bytes, str | None]],
    order: list[int],
    seconds: float,
    concurrency: int,
) -> dict[str, Any]:
    """POST ``bodies[order[k]]`` for k = 0, 1, ... from ``concurrency`` threads until the
    order or the time runs out; per request: latency (s), HTTP status, outcome, error."""
    n = len(order)
    latency: list[float | None] = [None] * n
    status: list[int] = [0] * n
    outcome: list[str | None] = [None] * n
    errors: list[str] = []
    counter = itertools.count()
    connects = [0] * concurrency
    start = threading.Barrier(concurrency + 1)
    clock: dict[str, float] = {}

    def worker(w: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        start.wait()
        deadline = clock["deadline"]
        while True:
            k = next(counter)
            if k >= n:
                break
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            body, signature = bodies[order[k]]
            headers = {"Content-Type": "application/json"}
            if signature:
                headers["Stripe-Signature"] = signature
            try:
                if conn.sock is None:
                    connects[w] += 1
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                data = response.read()
                latency[k] = time.perf_counter() - t0
                status[k] = response.status
                if response.status == 200:
                    outcome[k] = str(json.loads(data).get("outcome"))
                else:
                    errors.append(f"HTTP {response.status}: {data[:200]!r}")
            except (OSError, http.client.HTTPException, ValueError) as exc:
                latency[k] = time.perf_counter() - t0
                errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
        conn.close()
        clock[f"end{w}"] = time.perf_counter()

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(concurrency)]
    for thread in threads:
        thread.start()
    clock["start"] = time.perf_counter()
    clock["deadline"] = clock["start"] + seconds
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    hung = sum(thread.is_alive() for thread in threads)
    ends = [v for k, v in clock.items() if k.startswith("end")]
    elapsed = (max(ends) if ends else time.perf_counter()) - clock["start"]
    sent = [k for k in range(n) if latency[k] is not None]
    return {
        "elapsed_s": elapsed,
        "sent": sent,
        "latency": [latency[k] for k in sent],
        "status": [status[k] for k in sent],
        "outcome": [outcome[k] for k in sent],
        "errors": errors[:20],
        "error_count": len(errors),
        "connects": sum(connects),
        "exhausted": len(sent) >= n,
        "hung_threads": hung,
    }


def run_load(
    port: int,
    path: str,
    bodies: list[tuple[bytes, str | None]],
    order: list[int],
    seconds: float,
    concurrency: int,
    gunicorn: int,
    postmaster: int | None,
) -> tuple[dict[str, Any], dict[str, float]]:
    """``load`` in a freshly spawned process; also the CPU seconds each party used meanwhile."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        pool.submit(int, 0).result()  # the loader is up and has imported this module
        loader = list(pool._processes)  # its pid, to account its CPU
        before = cpu_by_role(gunicorn, postmaster, loader)
        future = pool.submit(load, port, path, bodies, order, seconds, concurrency)
        result = future.result(timeout=seconds + 300)
        after = cpu_by_role(gunicorn, postmaster, loader)
    cpu = {role: round(after[role] - before[role], 2) for role in after}
    return result, cpu


# --- CPU accounting from /proc -----------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far (all cores)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def cpu_by_role(gunicorn: int, postmaster: int | None, loader: list[int]) -> dict[str, float]:
    """CPU seconds so far of gunicorn (master and workers), this cluster's PostgreSQL, this
    process (the fake Stripe), the loader, and the whole machine."""
    pg = [] if postmaster is None else [postmaster, *_children(postmaster)]
    return {
        "gunicorn": sum(_cpu_seconds(p) for p in [gunicorn, *_children(gunicorn)]),
        "postgres": sum(_cpu_seconds(p) for p in pg),
        "bench+fake_stripe": _cpu_seconds(os.getpid()),
        "loader": sum(_cpu_seconds(p) for p in loader),
        "machine": _machine_busy(),
    }


# --- gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """``gunicorn -w 2 -b 127.0.0.1:<port> <app>``; ``stop`` ends it and its workers."""

    def __init__(
        self, app: str, env: dict[str, str], logdir: Path, worker_class: str, threads: int
    ) -> None:
        self.port = free_port()
        self.log = logdir / f"gunicorn-{self.port}.log"
        command = [str(GUNICORN), "-w", str(WORKERS), "-b", f"{HOST}:{self.port}"]
        if worker_class == "gthread":
            command += ["-k", "gthread", "--threads", str(threads)]
        command.append(app)
        self.command = " ".join(command)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}): {self.tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/__bench_ready")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer in {READY_TIMEOUT:.0f} s: {self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only its workers
                self.proc.wait(timeout=STOP_TIMEOUT)


# --- statistics --------------------------------------------------------------------------------


def _rank(ordered: list[float], p: float) -> float:
    if not ordered:
        return 0.0
    return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered) + 0.5) - 1))] * 1000


def summary(result: dict[str, Any]) -> dict[str, Any]:
    ordered = sorted(result["latency"])
    ok = sum(1 for s in result["status"] if s == 200)
    outcomes: dict[str, int] = {}
    for o in result["outcome"]:
        if o is not None:
            outcomes[o] = outcomes.get(o, 0) + 1
    failed = outcomes.get("failed", 0)
    elapsed = result["elapsed_s"]
    return {
        "requests": len(ordered),
        "seconds": round(elapsed, 2),
        "per_s": round(len(ordered) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(_rank(ordered, 0.50), 2),
        "p90_ms": round(_rank(ordered, 0.90), 2),
        "p99_ms": round(_rank(ordered, 0.99), 2),
        "max_ms": round(ordered[-1] * 1000, 2) if ordered else 0.0,
        "errors": result["error_count"] + failed,
        "http_errors": len(ordered) - ok,
        "outcomes": outcomes,
        "connects": result["connects"],
        "exhausted": result["exhausted"],
        "error_samples": result["errors"],
    }


# --- the data ----------------------------------------------------------------------------------


class StripeServer:
    """The fake Stripe, in a thread of this process, with the objects of every gift."""

    def __init__(self) -> None:
        from tests.support.fake_stripe import FakeStripe

        self.fake = FakeStripe().__enter__()
        # Its handler writes the headers and the body in two sends; with Nagle's algorithm on,
        # the body then waits for the client's delayed ACK (~40 ms on Linux), a stall of this
        # stand-in, not of Stripe (whose own latency, 100 ms and more, is discussed in
        # docs/performance.md).
        handler: Any = self.fake._server.RequestHandlerClass
        handler.disable_nagle_algorithm = True

    def close(self) -> None:
        self.fake.__exit__(None, None, None)


def make_gifts(engine: Engine, fake: Any, count: int, network: str) -> list[dict[str, Any]]:
    """``count`` pending card gifts linked to their Checkout Sessions, in one transaction."""
    from tests.support.stripe_events import card_payment

    gifts = []
    for i in range(count):
        public_id = uuid.uuid4().hex
        amount = AMOUNTS[i % len(AMOUNTS)]
        email = f"givare{i}@example.se"
        payment = card_payment(
            fake,
            gift=public_id,
            network=network,
            amount_ore=amount,
            fee_ore=180 + amount * 15 // 1000,
            email=email,
        )
        assert payment.session is not None
        gifts.append(
            {
                "public_id": public_id,
                "amount": amount,
                "email": email,
                "session": payment.session,
                "charge": payment.charge["id"],
                "txn": payment.txn["id"],
            }
        )
    with engine.begin() as conn:
        network_id = conn.execute(
            text("INSERT INTO networks (slug, name) VALUES (:s, 'Palestina') RETURNING id"),
            {"s": network},
        ).scalar_one()
        # The row tests.support.stripe_events.add_gift writes, many at once.
        conn.execute(
            text(
                "INSERT INTO gifts (public_id, network_id, amount_ore, currency, frequency, "
                "channel, status, donor_kind, donor_name, donor_email, consent_contact, locale, "
                "stripe_checkout_session_id) VALUES (:p, :n, :a, 'SEK', 'once', 'card', "
                "'pending', 'person', 'Sara Lind', :e, false, 'sv', :s)"
            ),
            [
                {
                    "p": g["public_id"],
                    "n": network_id,
                    "a": g["amount"],
                    "e": g["email"],
                    "s": g["session"]["id"],
                }
                for g in gifts
            ],
        )
    return gifts


def signed_events(gifts: list[dict[str, Any]]) -> list[tuple[bytes, str | None]]:
    """One signed ``checkout.session.completed`` per gift, timestamped now."""
    from tests.support.stripe_events import event, signed

    return [signed(event("checkout.session.completed", g["session"])) for g in gifts]


def delivery_order(new: int, seed: int = 3) -> list[int]:
    """Indexes of the events to send: each new one once, every tenth a duplicate of an earlier."""
    rng = random.Random(seed)
    order: list[int] = []
    nxt = 0
    while nxt < new:
        if len(order) % DUPLICATE_EVERY == DUPLICATE_EVERY - 1 and nxt > 0:
            order.append(rng.randrange(nxt))
        else:
            order.append(nxt)
            nxt += 1
    return order


# --- checks ------------------------------------------------------------------------------------


def check_books(
    engine: Engine, gifts: list[dict[str, Any]], delivered: set[int], answered: set[int]
) -> tuple[list[str], dict[str, Any]]:
    """Problems with what was booked for the gifts whose events were ``delivered`` (sent at
    least once) and ``answered`` (a 200 processed/done_before); empty when all is right."""
    from ledger.services.verify import verify

    problems: list[str] = []
    by_charge = {g["charge"]: i for i, g in enumerate(gifts)}
    by_txn = {g["txn"]: i for i, g in enumerate(gifts)}
    with reading(engine) as conn:
        keys = conn.execute(
            text("SELECT source_key, COUNT(*) FROM journal_entries GROUP BY source_key")
        ).all()
        charges: set[int] = set()
        fees: set[int] = set()
        for key, count in keys:
            kind, _, ref = str(key).partition(":")[2].partition(":")
            if count != 1:
                problems.append(f"{key} is booked {count} times")
            if key.startswith("stripe:charge:") and kind == "charge" and ref in by_charge:
                charges.add(by_charge[ref])
            elif key.startswith("stripe:fee:") and kind == "fee" and ref in by_txn:
                fees.add(by_txn[ref])
            else:
                problems.append(f"unexpected entry {key}")
        if charges - delivered:
            problems.append(f"{len(charges - delivered)} gifts booked that were never delivered")
        if answered - charges:
            problems.append(f"{len(answered - charges)} delivered and answered gifts not booked")
        if fees != charges:
            problems.append(f"fees booked for {len(fees)} gifts, charges for {len(charges)}")
        income = conn.scalar(
            text(
                "SELECT COALESCE(SUM(credit_ore - debit_ore), 0) FROM journal_lines "
                "WHERE account = '3993'"
            )
        )
        expected = sum(gifts[i]["amount"] for i in charges)
        if int(income) != expected:
            problems.append(f"3993 holds {income} öre, the booked gifts {expected}")
        paid = conn.scalar(text("SELECT COUNT(*) FROM gifts WHERE status = 'paid'"))
        if int(paid) != len(charges):
            problems.append(f"{paid} gifts paid, {len(charges)} booked")
        waiting = conn.execute(
            text("SELECT COUNT(*), COUNT(last_error) FROM stripe_events WHERE processed_at IS NULL")
        ).one()
        if waiting[0]:
            problems.append(f"{waiting[0]} events wait in the inbox ({waiting[1]} with an error)")
        stored = int(conn.scalar(text("SELECT COUNT(*) FROM stripe_events")))
        if not len(answered) <= stored <= len(delivered):
            problems.append(
                f"{stored} events in the inbox for {len(delivered)} delivered, "
                f"{len(answered)} answered"
            )
        report = verify(conn)
        if not report.ok:
            problems.append(f"ledger verify failed: {report.problems[:5]}")
    return problems, {
        "gifts_delivered": len(delivered),
        "gifts_booked": len(charges),
        "entries": sum(int(c) for _, c in keys),
        "inbox_events": stored,
        "verify_ok": report.ok,
    }


def wait_drained(engine: Engine, timeout: float = DRAIN_TIMEOUT) -> tuple[float, int]:
    """Wait until no stored event waits unprocessed; (when, in perf_counter time; how many
    events the inbox holds). Gives up after ``timeout`` (the checks then report the rest)."""
    deadline = time.perf_counter() + timeout
    query = text("SELECT COUNT(*), COUNT(processed_at) FROM stripe_events")
    while True:
        with engine.connect() as conn:
            stored, processed = conn.execute(query).one()
        now = time.perf_counter()
        if stored == processed or now >= deadline:
            return now, int(stored)
        time.sleep(0.05)


def check_bare(engine: Engine, ok: int) -> tuple[list[str], dict[str, Any]]:
    from ledger.services.verify import verify

    with reading(engine) as conn:
        entries = int(conn.scalar(text("SELECT COUNT(*) FROM journal_entries")))
        report = verify(conn)
    problems = [] if entries == ok else [f"bare: {entries} entries for {ok} answered requests"]
    if not report.ok:
        problems.append(f"bare: ledger verify failed: {report.problems[:5]}")
    return problems, {"entries": entries, "verify_ok": report.ok}


# --- where the time goes -----------------------------------------------------------------------


def breakdown(config: dict[str, Any], events: list[tuple[bytes, str | None]]) -> dict[str, Any]:
    """One event's steps, timed one by one in this process (no HTTP server, no contention)."""
    import stripe

    from kassan.web.app import create_app
    from kassan.web.database import get_engine
    from kassan.web.stripe_webhook import TOLERANCE
    from webhooks.stripe import handlers, inbox
    from webhooks.stripe.context import StripeReads

    app = create_app(config)
    steps: dict[str, list[float]] = {
        k: [] for k in ("signature+parse", "inbox store", "stripe reads", "apply")
    }
    with app.app_context():
        engine = get_engine(app)
        for body, header in events:
            t0 = time.perf_counter()
            stripe.WebhookSignature.verify_header(
                body, header, config["STRIPE_WEBHOOK_SECRET"], tolerance=TOLERANCE
            )
            event = inbox.parse(body)
            t1 = time.perf_counter()
            inbox.store(engine, event, body)
            t2 = time.perf_counter()
            # What apply asks Stripe before its write transaction (apply asks again itself).
            handlers.prefetch(StripeReads(app.config), event)
            t3 = time.perf_counter()
            outcome = inbox.apply(engine, app.config, event["id"])
            t4 = time.perf_counter()
            if outcome is not inbox.Outcome.PROCESSED:
                raise RuntimeError(f"breakdown event {event['id']}: {outcome}")
            for name, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                steps[name].append(seconds)
        get_engine(app).dispose()
    out = {name: round(_rank(sorted(v), 0.5), 2) for name, v in steps.items()}
    out["request (signature+parse+store)"] = round(out["signature+parse"] + out["inbox store"], 2)
    out["apply without stripe reads"] = round(out["apply"] - out["stripe reads"], 2)
    out["events"] = len(events)
    return out


# --- one database ------------------------------------------------------------------------------


def _env(url: str, stripe_url: str, api_key: str, tmp: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    from tests.support.stripe_events import SECRET

    env = {k: v for k, v in os.environ.items() if not k.startswith(("KASSAN_", "STRIPE_"))}
    env.update(
        KASSAN_ENV="production",
        STRIPE_WEBHOOK_APPLY="background",
        KASSAN_INSTANCE_PATH=str(tmp),
        SECRET_KEY=secrets.token_urlsafe(48),
        KASSAN_PII_KEYS=Fernet.generate_key().decode(),
        KASSAN_ORGANISATION_NUMBER="802000-1239",  # production refuses the placeholder
        DATABASE_URL=url,
        STRIPE_WEBHOOK_SECRET=SECRET,
        STRIPE_SECRET_KEY=api_key,
        STRIPE_API_BASE=stripe_url,
        PYTHONPATH=str(ROOT),
    )
    return env


def _postmaster(dbs: Databases) -> int | None:
    try:
        return int((Path(dbs.pg.datadir) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _served(app: str, env: dict[str, str], tmp: Path, args: argparse.Namespace, fn: Any) -> Any:
    server = Gunicorn(app, env, tmp, args.worker_class, args.threads)
    try:
        server.wait_ready()
        return fn(server)
    except BaseException:
        print(server.tail(), file=sys.stderr)
        raise
    finally:
        server.stop()


def run_backend(
    args: argparse.Namespace, dbs: Databases, backend: str, stripe: StripeServer, tmp: Path
) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    result: dict[str, Any] = {}
    fake = stripe.fake
    postmaster = _postmaster(dbs) if backend == "postgresql" else None

    # The references: a bare endpoint booking one two-line entry per request, in plain SQL and
    # through posting.post.
    count = min(BARE_MAX_REQUESTS, int(args.seconds * 5_000) + WARMUP)
    bare_bodies: list[tuple[bytes, str | None]] = [
        (json.dumps({"key": f"r{i}"}).encode(), None) for i in range(count)
    ]
    references = () if args.no_references else (("bare", "/bare"), ("bare_post", "/bare-post"))
    for name, path in references:
        bare_url = dbs.fresh_url(backend, name.replace("_", ""))
        env = _env(bare_url, fake.url, fake.api_key, tmp)

        def load_bare(server: Gunicorn, path: str = path) -> Any:
            warm = load(server.port, path, bare_bodies, list(range(WARMUP)), 60, 1)
            measured, cpu = run_load(
                server.port,
                path,
                bare_bodies,
                list(range(WARMUP, count)),
                args.seconds,
                args.concurrency,
                server.proc.pid,
                postmaster,
            )
            return warm, measured, cpu

        print(f"[{backend}] {path} reference ...", flush=True)
        warm, measured, cpu = _served("bench.webhooks_bare:create_app()", env, tmp, args, load_bare)
        result[name] = summary(measured)
        result[name]["cpu_s"] = cpu
        bare_engine = make_engine(bare_url, poolclass=NullPool)
        ok = sum(s == 200 for s in (*warm["status"], *measured["status"]))
        found, facts = check_bare(bare_engine, ok)
        bare_engine.dispose()
        problems += [f"{path}: {p}" for p in found]
        result[name]["check"] = facts
        print(f"[{backend}] {path}: {_line(result[name])}", flush=True)
        dbs.drop(bare_url)

    # Kassan's webhook endpoint.
    url = dbs.fresh_url(backend, "webhooks")
    if args.no_mark:
        dbs.without_mark(url)
    result["funding_change_mark"] = not args.no_mark
    engine = make_engine(url, poolclass=NullPool)
    t0 = time.perf_counter()
    gifts = make_gifts(engine, fake, args.gifts + WARMUP + BREAKDOWN_EVENTS, "palestina")
    load_gifts = gifts[: args.gifts + WARMUP]
    print(
        f"[{backend}] {len(gifts)} gifts and their Stripe objects in "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    env = _env(url, fake.url, fake.api_key, tmp)
    order = [WARMUP + k for k in delivery_order(args.gifts)]

    def load_hooks(server: Gunicorn) -> Any:
        bodies = signed_events(load_gifts)  # signed now: within Stripe's 300 s tolerance
        warm = load(server.port, HOOK_PATH, bodies, list(range(WARMUP)), 60, 1)
        wait_drained(engine)  # the warm-up's events booked before the clock starts
        t_start = time.perf_counter()
        measured, cpu = run_load(
            server.port,
            HOOK_PATH,
            bodies,
            order,
            args.seconds,
            args.concurrency,
            server.proc.pid,
            postmaster,
        )
        t_load_end = time.perf_counter()
        backlog = _waiting(engine)
        drained_at, stored = wait_drained(engine)
        drain = {
            "backlog_at_load_end": backlog,
            "drain_after_load_s": round(drained_at - t_load_end, 2),
            "first_request_to_last_booking_s": round(drained_at - t_start, 2),
            "events_stored": stored,
        }
        return warm, measured, cpu, drain

    result["busy_cores_before"] = busy_cores()  # other work on the machine skews the figures
    busy = result["busy_cores_before"]
    print(f"[{backend}] webhooks (machine busy {busy} cores) ...", flush=True)
    warm, measured, cpu, drain = _served("kassan.web.app:create_app()", env, tmp, args, load_hooks)
    result["webhooks"] = summary(measured)
    result["webhooks"]["cpu_s"] = cpu
    new_events = len({order[k] for k in measured["sent"]})
    drain["events_booked_in_load"] = new_events
    drain["booked_per_s"] = round(new_events / drain["first_request_to_last_booking_s"], 1)
    result["webhooks"]["drain"] = drain
    result["webhooks"]["duplicates"] = sum(
        1 for k in measured["sent"] if k % DUPLICATE_EVERY == DUPLICATE_EVERY - 1
    )
    delivered = set(range(WARMUP)) | {order[k] for k in measured["sent"]}
    answered = {k for k, s in enumerate(warm["status"]) if s == 200}
    answered |= {
        order[k]
        for k, s, o in zip(measured["sent"], measured["status"], measured["outcome"], strict=True)
        if s == 200 and o in ("queued", "duplicate")
    }
    found, facts = check_books(engine, load_gifts, delivered, answered)
    problems += found
    result["webhooks"]["check"] = facts
    print(f"[{backend}] webhooks: {_line(result['webhooks'])}", flush=True)
    print(f"[{backend}] appliers: {_drain_line(drain)}", flush=True)
    if found:
        print(f"[{backend}] BOOKED WRONG: {found}", flush=True)
    # Where the time goes: each step of an event, in this process, on the same database.
    config = {
        "DATABASE_URL": url,
        "SECRET_KEY": env["SECRET_KEY"],
        "STRIPE_WEBHOOK_SECRET": env["STRIPE_WEBHOOK_SECRET"],
        "STRIPE_SECRET_KEY": fake.api_key,
        "STRIPE_API_BASE": fake.url,
        "PII_KEYS": env["KASSAN_PII_KEYS"],
        # No background workers in this process: they would outlive the dropped database.
        "STRIPE_APPLIER_AUTOSTART": False,
    }
    result["breakdown_ms_p50"] = breakdown(config, signed_events(gifts[len(load_gifts) :]))
    engine.dispose()
    dbs.drop(url)
    return result, problems


def _waiting(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(text("SELECT COUNT(*) FROM stripe_events WHERE processed_at IS NULL"))
        )


def _drain_line(d: dict[str, Any]) -> str:
    return (
        f"{d['events_booked_in_load']:,} events booked {d['first_request_to_last_booking_s']} s "
        f"after the first request = {d['booked_per_s']:,.0f}/s; {d['backlog_at_load_end']:,} "
        f"waited when the load ended, booked {d['drain_after_load_s']} s later"
    )


def _line(s: dict[str, Any]) -> str:
    return (
        f"{s['requests']} requests in {s['seconds']} s = {s['per_s']}/s, p50 {s['p50_ms']} ms, "
        f"p99 {s['p99_ms']} ms, errors {s['errors']}"
        + (" (ran out of events)" if s["exhausted"] else "")
    )


def run(args: argparse.Namespace, dbs: Databases) -> dict[str, Any]:
    results: dict[str, Any] = {
        "settings": {
            "seconds": args.seconds,
            "gifts": args.gifts,
            "concurrency": args.concurrency,
            "workers": WORKERS,
            "worker_class": args.worker_class
            + (f" ({args.threads} threads)" if args.worker_class == "gthread" else ""),
            "duplicates": f"every {DUPLICATE_EVERY}th request",
            "applier_threads": {"postgresql": APPLIER_THREADS, "sqlite": SQLITE_THREADS},
            "warmup_requests": WARMUP,
        },
        "goals": GOALS,
    }
    problems: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="kassan-bench-webhooks-"))
    stripe = StripeServer()
    try:
        for backend in dbs.backends:
            result, found = run_backend(args, dbs, backend, stripe, tmp)
            results[backend] = result
            problems += [f"{backend}: {p}" for p in found]
            results[backend]["problems"] = found
    finally:
        stripe.close()
        shutil.rmtree(tmp)  # the instance path: logs, and the app's template cache directory
    if problems:
        raise BookedWrong(problems, results)
    return results


# --- output ------------------------------------------------------------------------------------


def render(result: dict[str, Any], meta: dict[str, Any]) -> str:
    s = result["settings"]
    rows = [
        f"Webhook ingest, gunicorn {s['workers']} {s['worker_class']} workers, "
        f"{s['concurrency']} client threads in a second process, {s['seconds']:g} s per "
        f"endpoint, 10 % duplicates ({meta.get('date', '')}, "
        f"{meta.get('machine', {}).get('nproc', '?')} CPUs).",
        "",
        "| database | endpoint | requests | per s | p50 ms | p99 ms | errors | goal |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for backend in BACKENDS:
        if backend not in result:
            continue
        r = result[backend]
        goal = GOALS[backend]
        hooks = r["webhooks"]
        met = []
        if "events_per_s" in goal:
            ok = hooks["per_s"] >= goal["events_per_s"]
            met.append(f"≥ {goal['events_per_s']}/s {'met' if ok else 'missed'}")
        ok = hooks["p99_ms"] <= goal["p99_ms"]
        met.append(f"p99 ≤ {goal['p99_ms']:g} ms {'met' if ok else 'missed'}")
        for name, label, g in (
            ("webhooks", "Stripe webhook (answer after the inbox write)", "; ".join(met)),
            ("bare", "bare two-line entry, plain SQL (reference)", ""),
            ("bare_post", "bare two-line entry via posting.post", ""),
        ):
            if name not in r:
                continue
            x = r[name]
            rows.append(
                f"| {backend} | {label} | {x['requests']:,} | {x['per_s']:,.0f} | "
                f"{x['p50_ms']:.1f} | {x['p99_ms']:.1f} | {x['errors']} | {g} |"
            )
    done = [b for b in BACKENDS if b in result]
    threads = ", ".join(f"{n} on {b}" for b, n in s["applier_threads"].items())
    rows += ["", f"Booking by the appliers (threads per gunicorn worker: {threads}):", ""]
    for backend in done:
        rows.append(f"- {backend}: {_drain_line(result[backend]['webhooks']['drain'])}")
    if done:
        names = [k for k in result[done[0]]["breakdown_ms_p50"] if k != "events"]
        rows += [
            "",
            "One event's steps, one at a time in the bench process (p50 ms):",
            "",
            "| database | " + " | ".join(names) + " |",
            "|---" * (len(names) + 1) + "|",
        ]
        for backend in done:
            b = result[backend]["breakdown_ms_p50"]
            rows.append(f"| {backend} | " + " | ".join(f"{b[k]:.2f}" for k in names) + " |")
    rows += [
        "",
        "Other work on the machine, cores busy in the 2 s before the webhook load: "
        + ", ".join(f"{b} {result[b].get('busy_cores_before', '?')}" for b in done)
        + ".",
    ]
    rows += ["", "CPU seconds used during the webhook load:", ""]
    for backend in done:
        cpu = result[backend]["webhooks"]["cpu_s"]
        rows.append(f"- {backend}: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--db", default=",".join(BACKENDS), help="sqlite,postgresql (default)")
    add_options(parser)
    args = parser.parse_args(argv)
    backends = [b for b in BACKENDS if b in args.db.split(",")]
    unknown = set(args.db.split(",")) - set(BACKENDS)
    if unknown or not backends:
        parser.error(f"--db: unknown {', '.join(sorted(unknown))}")
    started = datetime.now().astimezone()
    meta = {
        "date": started.strftime("%Y-%m-%d %H:%M %Z"),
        "command": " ".join(["python -m bench.webhooks", *argv]),
        "machine": machine(),
    }
    status = 0
    with Databases(backends) as dbs:
        if dbs.pg is not None:
            meta["postgresql_settings"] = dbs.pg_settings()
        try:
            results = run(args, dbs)
        except BookedWrong as exc:
            results = exc.results
            status = 1
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"webhooks-{started:%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str) + "\n")
    print(f"\n{render(results, meta)}\n")
    print(f"figures written to {out.relative_to(ROOT)}")
    if status:
        print("\n!! THE LEDGER WAS BOOKED WRONG:", file=sys.stderr)
        for backend in BACKENDS:
            for problem in results.get(backend, {}).get("problems", []):
                print(f"!!   {backend}: {problem}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
