"""What every Kassan benchmark shares: fresh databases, the machine, and small statistics.

A benchmark module (``bench/ledger.py`` and later ones) gets a :class:`Databases` from
``bench/run.py`` and asks it for freshly migrated databases by backend; SQLite files live in
one temporary directory, PostgreSQL databases in one durable throwaway cluster
(``PgCluster(durable=True)``: fsync and synchronous commit on, as in production).
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.pool import NullPool

from ledger import migrate
from ledger.db.engine import make_engine

BACKENDS = ("sqlite", "postgresql")
MARKED_TABLES = (  # the tables under the funding change mark (migrations 0031, 0032)
    *import_module("migrations.versions.0031_funding_change_mark").TABLES,
    *import_module("migrations.versions.0032_funding_change_mark_more").TABLES,
)


class Databases:
    """Hands out fresh, migrated databases; ``close`` removes every one of them."""

    def __init__(self, backends: Sequence[str]) -> None:
        self.backends = tuple(backends)
        self.tmpdir = Path(tempfile.mkdtemp(prefix="kassan-bench-"))
        self.pg: Any = None
        self._count = 0
        if "postgresql" in self.backends:
            from tests.support.pgcluster import PgCluster

            self.pg = PgCluster(durable=True)
            self.pg.start()

    def __enter__(self) -> Databases:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.pg is not None:
            self.pg.stop()
            self.pg = None
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def empty_url(self, backend: str, name: str) -> str:
        """The URL of a new, empty database (no schema)."""
        self._count += 1
        if backend == "sqlite":
            return f"sqlite:///{self.tmpdir / f'{self._count:02d}-{name}.db'}"
        dbname = f"b{self._count:02d}_{name}"
        self.pg.create_database(dbname)
        return str(self.pg.url_for(dbname))

    def fresh_url(self, backend: str, name: str) -> str:
        """The URL of a new database migrated to head with ``ledger.migrate.upgrade``."""
        url = self.empty_url(backend, name)
        engine = make_engine(url, poolclass=NullPool)
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()
        return url

    def without_mark(self, url: str) -> None:
        """Drop migrations 0031/0032's funding change mark triggers from ``url``'s database: the
        same code and schema without the mark's write-path cost, to measure that cost (issue 14)."""
        engine = make_engine(url, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                for table in MARKED_TABLES:
                    if conn.dialect.name == "postgresql":
                        conn.exec_driver_sql(f"DROP TRIGGER tr_{table}_funding_mark ON {table}")
                        continue
                    for change in ("insert", "update", "delete"):
                        conn.exec_driver_sql(f"DROP TRIGGER tr_{table}_funding_mark_{change}")
        finally:
            engine.dispose()

    def drop(self, url: str) -> None:
        """Give the disk space of a finished database back."""
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            self.pg.drop_database(url.rsplit("/", 1)[1])

    def server_version(self, backend: str) -> str:
        if backend == "sqlite":
            return sqlite3.sqlite_version
        with self.pg.connect() as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])

    def pg_settings(self) -> dict[str, str]:
        names = ("shared_buffers", "fsync", "synchronous_commit", "wal_level", "max_wal_size")
        with self.pg.connect() as conn:
            return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}


def engine_for(url: str) -> Engine:
    """The application's own engine (WAL, foreign keys, BEGIN IMMEDIATE on SQLite)."""
    return make_engine(url)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    return {
        "cpu": cpu or platform.processor(),
        "nproc": int(nproc.strip()),
        "memory_gib": round(mem_kib / 1024**2, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def busy_cores(seconds: float = 2.0) -> float:
    """How many cores the whole machine kept busy over the next ``seconds`` (from /proc/stat).

    Taken while the benchmark itself is idle, it shows other work that would skew the figures.
    """

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]) - idle, sum(fields[:8])

    try:
        busy0, total0 = sample()
        time.sleep(seconds)
        busy1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return float("nan")
    cores = os.cpu_count() or 1
    return round(cores * (busy1 - busy0) / max(1, total1 - total0), 2)


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB.

    Linux's ``VmHWM``, not ``getrusage``: ``ru_maxrss`` survives ``exec``, so a freshly
    spawned process would report its parent's size at the fork.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50 and p95 (nearest rank) of durations in seconds, given in milliseconds."""
    ordered = sorted(samples)
    if not ordered:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "n": 0}

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered) + 0.5) - 1))] * 1000

    return {
        "p50_ms": rank(0.50),
        "p95_ms": rank(0.95),
        "mean_ms": statistics.fmean(ordered) * 1000,
        "n": len(ordered),
    }


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def replace_section(doc: str, name: str, body: str) -> str:
    """Put ``body`` between the ``bench:<name>`` markers, appending them when missing."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    i, j = doc.find(start), doc.find(end)
    if i == -1 or j == -1 or j < i:
        return f"{doc.rstrip()}\n\n{block}\n"
    return doc[:i] + block + doc[j + len(end) :]
