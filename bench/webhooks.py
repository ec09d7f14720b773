"""The webhook ingest benchmark: signed Stripe events into Kassan under gunicorn (2 workers).

    python -m bench.webhooks [--db sqlite,postgresql] [--seconds 20] [--gifts 5000]
                             [--concurrency 16]

Per database (a SQLite file, or a durable throwaway PostgreSQL cluster):

1. a fresh migrated database with one network and ``--gifts`` pending card gifts, each with its
   Checkout Session, PaymentIntent, charge and balance transaction served by a fake Stripe
   (``tests.support.fake_stripe``) running in this process on 127.0.0.1;
2. the reference first: ``bench.webhooks_bare`` (one two-line ``posting.post`` per request) on
   its own fresh database under the same gunicorn settings, loaded the same way;
3. Kassan (``ledger.web.app:create_app()``, KASSAN_ENV=production) under gunicorn, loaded from
   a second process for ``--seconds`` by ``--concurrency`` threads over http.client with signed
   ``checkout.session.completed`` events (built and signed before the clock starts), every
   tenth request a duplicate of an event sent before; the load ends early if the gifts run out;
4. the checks: exactly one ``stripe:charge:`` entry (and its ``stripe:fee:``) per gift whose
   event was delivered, nothing else booked, no event left waiting in the inbox, the books'
   3993 total equal to the delivered gifts, and ``verify(conn).ok``. A wrong booking fails the
   run (exit status 1, the problems printed and kept in the JSON);
5. where the time goes: the CPU each process used during the load, and one event's steps
   (signature, inbox insert, Stripe fetch, apply, retry scan) timed one by one in this process.

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

from bench import BACKENDS, Databases, machine
from ledger.db.engine import make_engine

NAME = "webhooks"
GOALS = {
    "postgresql": {"events_per_s": 800, "p99_ms": 20.0},
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
    g.add_argument("--gifts", type=int, default=5_000, help="gifts to deliver events for (5000)")
    g.add_argument("--concurrency", type=int, default=16, help="client threads (16)")


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

    def __init__(self, app: str, env: dict[str, str], logdir: Path) -> None:
        self.port = free_port()
        self.log = logdir / f"gunicorn-{self.port}.log"
        command = [str(GUNICORN), "-w", str(WORKERS), "-b", f"{HOST}:{self.port}", app]
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
    with engine.connect() as conn:
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


def check_bare(engine: Engine, ok: int) -> tuple[list[str], dict[str, Any]]:
    from ledger.services.verify import verify

    with engine.connect() as conn:
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

    from ledger.web.app import create_app
    from ledger.web.database import get_engine
    from webhooks.stripe import inbox
    from webhooks.stripe.context import Context
    from webhooks.stripe.webhook import TOLERANCE

    app = create_app(config)
    steps: dict[str, list[float]] = {
        k: [] for k in ("signature+parse", "inbox store", "stripe fetch", "apply", "retry scan")
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
            # What apply's handler does first: a new client, then the expanded PaymentIntent.
            with engine.connect() as conn:
                Context(conn, app.config).charge_of_intent(
                    event["data"]["object"]["payment_intent"]
                )
            t3 = time.perf_counter()
            outcome = inbox.apply(engine, app.config, event["id"])
            t4 = time.perf_counter()
            inbox.pending(engine, limit=inbox.AUTO_RETRY_LIMIT, max_attempts=10)
            t5 = time.perf_counter()
            if outcome is not inbox.Outcome.PROCESSED:
                raise RuntimeError(f"breakdown event {event['id']}: {outcome}")
            for name, seconds in zip(
                steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True
            ):
                steps[name].append(seconds)
        get_engine(app).dispose()
    out = {name: round(_rank(sorted(v), 0.5), 2) for name, v in steps.items()}
    out["apply without fetch"] = round(out["apply"] - out["stripe fetch"], 2)
    out["sum (one event, sequential)"] = round(
        sum(out[k] for k in ("signature+parse", "inbox store", "apply", "retry scan")), 2
    )
    out["events"] = len(events)
    return out


# --- one database ------------------------------------------------------------------------------


def _env(url: str, stripe_url: str, api_key: str, tmp: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    from tests.support.stripe_events import SECRET

    env = {k: v for k, v in os.environ.items() if not k.startswith(("KASSAN_", "STRIPE_"))}
    env.update(
        KASSAN_ENV="production",
        KASSAN_INSTANCE_PATH=str(tmp),
        SECRET_KEY=secrets.token_urlsafe(48),
        KASSAN_PII_KEYS=Fernet.generate_key().decode(),
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


def _served(app: str, env: dict[str, str], tmp: Path, fn: Any) -> Any:
    server = Gunicorn(app, env, tmp)
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

    # The reference: a bare endpoint booking one two-line entry per request.
    bare_url = dbs.fresh_url(backend, "bare")
    env = _env(bare_url, fake.url, fake.api_key, tmp)
    count = min(BARE_MAX_REQUESTS, int(args.seconds * 5_000) + WARMUP)
    bare_bodies: list[tuple[bytes, str | None]] = [
        (json.dumps({"key": f"r{i}"}).encode(), None) for i in range(count)
    ]

    def load_bare(server: Gunicorn) -> Any:
        warm = load(server.port, "/bare", bare_bodies, list(range(WARMUP)), 60, 1)
        rest = list(range(WARMUP, count))
        measured, cpu = run_load(
            server.port,
            "/bare",
            bare_bodies,
            rest,
            args.seconds,
            args.concurrency,
            server.proc.pid,
            postmaster,
        )
        return warm, measured, cpu

    print(f"[{backend}] bare reference ...", flush=True)
    warm, measured, cpu = _served("bench.webhooks_bare:create_app()", env, tmp, load_bare)
    result["bare"] = summary(measured)
    result["bare"]["cpu_s"] = cpu
    bare_engine = make_engine(bare_url, poolclass=NullPool)
    ok = sum(s == 200 for s in (*warm["status"], *measured["status"]))
    found, facts = check_bare(bare_engine, ok)
    bare_engine.dispose()
    problems += found
    result["bare"]["check"] = facts
    print(f"[{backend}] bare: {_line(result['bare'])}", flush=True)
    dbs.drop(bare_url)

    # Kassan's webhook endpoint.
    url = dbs.fresh_url(backend, "webhooks")
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
        return warm, measured, cpu

    print(f"[{backend}] webhooks ...", flush=True)
    warm, measured, cpu = _served("ledger.web.app:create_app()", env, tmp, load_hooks)
    result["webhooks"] = summary(measured)
    result["webhooks"]["cpu_s"] = cpu
    result["webhooks"]["duplicates"] = sum(
        1 for k in measured["sent"] if k % DUPLICATE_EVERY == DUPLICATE_EVERY - 1
    )
    delivered = set(range(WARMUP)) | {order[k] for k in measured["sent"]}
    answered = {k for k, s in enumerate(warm["status"]) if s == 200}
    answered |= {
        order[k]
        for k, s, o in zip(measured["sent"], measured["status"], measured["outcome"], strict=True)
        if s == 200 and o in ("processed", "done_before")
    }
    found, facts = check_books(engine, load_gifts, delivered, answered)
    problems += found
    result["webhooks"]["check"] = facts
    print(f"[{backend}] webhooks: {_line(result['webhooks'])}", flush=True)
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
    }
    result["breakdown_ms_p50"] = breakdown(config, signed_events(gifts[len(load_gifts) :]))
    engine.dispose()
    dbs.drop(url)
    return result, problems


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
            "worker_class": "sync (gunicorn default)",
            "duplicates": f"every {DUPLICATE_EVERY}th request",
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
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    if problems:
        raise BookedWrong(problems, results)
    return results


# --- output ------------------------------------------------------------------------------------


def render(result: dict[str, Any], meta: dict[str, Any]) -> str:
    s = result["settings"]
    rows = [
        f"Webhook ingest, gunicorn {s['workers']} sync workers, {s['concurrency']} client "
        f"threads in a second process, {s['seconds']:g} s per endpoint, 10 % duplicates "
        f"({meta.get('date', '')}, {meta.get('machine', {}).get('nproc', '?')} CPUs).",
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
        ok = hooks["p99_ms"] < goal["p99_ms"]
        met.append(f"p99 < {goal['p99_ms']:g} ms {'met' if ok else 'missed'}")
        for name, label, g in (
            ("webhooks", "Stripe webhook", "; ".join(met)),
            ("bare", "bare two-line post (reference)", ""),
        ):
            x = r[name]
            rows.append(
                f"| {backend} | {label} | {x['requests']:,} | {x['per_s']:,.0f} | "
                f"{x['p50_ms']:.1f} | {x['p99_ms']:.1f} | {x['errors']} | {g} |"
            )
    done = [b for b in BACKENDS if b in result]
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
    rows += ["", "CPU seconds used during the webhook load:", ""]
    for backend in BACKENDS:
        if backend in result:
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
