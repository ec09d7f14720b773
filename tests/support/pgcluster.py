"""Throwaway PostgreSQL clusters for the test suite and benchmarks.

Kassan's tests need a real PostgreSQL 15 server, but must not depend on a
server that happens to be running on the machine, on docker, or on anything
beyond loopback networking.  :class:`PgCluster` therefore builds a brand-new
cluster from the server binaries installed on the machine
(``/usr/lib/postgresql/<version>/bin`` or ``pg_config --bindir``):

* ``initdb`` into a fresh ``tempfile.mkdtemp()`` directory, with trust
  authentication and a superuser named ``kassan``;
* ``pg_ctl start`` listening only on ``127.0.0.1`` on a free port, with the
  unix socket inside the same temporary directory, so nothing collides with
  a system cluster or with other test runs;
* by default with ``fsync``, ``synchronous_commit`` and ``full_page_writes``
  switched off: the data is thrown away anyway, and this makes the tests a lot
  faster.  Benchmarks pass ``durable=True`` to keep the server defaults;
* ``pg_ctl stop -m fast`` and removal of the directory when done.  An
  ``atexit`` hook does the same if the run dies without stopping the cluster.

Root handling: the PostgreSQL server refuses to run as root, and CI runs as
root.  When ``os.geteuid() == 0`` every server binary is run through
``runuser -u postgres --`` and the temporary directory (data directory, unix
socket directory and log file) is owned by the ``postgres`` user with mode
0700.  Its parent (normally ``/tmp``) must be traversable by that user.  As a
normal user the binaries are run directly.

Usage::

    with PgCluster() as pg:
        engine = sqlalchemy.create_engine(pg.url)
        pg.create_database("scratch", template="postgres")
        other = sqlalchemy.create_engine(pg.url_for("scratch"))
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

__all__ = ["PgCluster", "find_pg_bindir"]

REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
ENV_BINDIR = "KASSAN_PG_BINDIR"
SUPERUSER = "kassan"
HOST = "127.0.0.1"
DEFAULT_DBNAME = "postgres"
RUN_AS_USER = "postgres"
LOG_TAIL_LINES = 40
READY_TIMEOUT = 30.0
PG_CTL_TIMEOUT = 60
START_ATTEMPTS = 3

# libpq/PG* variables from the caller's environment must not leak into the
# server binaries or into our connections (PGDATA, PGPORT, PGHOST, ...).
_PG_ENV_PREFIX = "PG"


def _has_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in REQUIRED_BINARIES)


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin -> numeric sort on <version>.
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))


def find_pg_bindir() -> Path | None:
    """Locate a directory containing ``initdb``, ``pg_ctl`` and ``postgres``.

    Order: ``$KASSAN_PG_BINDIR`` if set (and valid), then the highest version
    under ``/usr/lib/postgresql/*/bin``, then ``pg_config --bindir``.
    Returns None when no usable server installation is found.
    """
    override = os.environ.get(ENV_BINDIR)
    if override:
        candidate = Path(override).expanduser()
        if _has_binaries(candidate):
            return candidate

    installed = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if _has_binaries(p)]
    if installed:
        return max(installed, key=_version_key)

    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"],
                check=True,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        if out and _has_binaries(Path(out)):
            return Path(out)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PG_ENV_PREFIX)}
    env["LC_ALL"] = "C"
    return env


class PgCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1; see the module docstring.

    ``url`` is a SQLAlchemy URL (``postgresql+psycopg://kassan@127.0.0.1:<port>/postgres``);
    ``conninfo()`` / ``connect()`` give plain psycopg access.
    """

    user: str = SUPERUSER
    host: str = HOST
    dbname: str = DEFAULT_DBNAME

    def __init__(
        self,
        *,
        durable: bool = False,
        bindir: Path | str | None = None,
        base_dir: Path | str | None = None,
        max_connections: int = 200,
        extra_settings: dict[str, str] | None = None,
    ) -> None:
        found = Path(bindir) if bindir is not None else find_pg_bindir()
        if found is None or not _has_binaries(found):
            raise RuntimeError(
                "No PostgreSQL server binaries found (need initdb, pg_ctl, postgres); "
                f"install postgresql or set {ENV_BINDIR}"
            )
        self.bindir: Path = found
        self.durable = durable
        self.max_connections = max_connections
        self.extra_settings: dict[str, str] = dict(extra_settings or {})
        self._base_dir = str(base_dir) if base_dir is not None else None
        self._as_root = os.geteuid() == 0
        self._tmpdir: Path | None = None
        self._port: int | None = None
        self._running = False
        self._owner_pid: int | None = None

    # ------------------------------------------------------------------ paths

    @property
    def tmpdir(self) -> Path:
        if self._tmpdir is None:
            raise RuntimeError("PgCluster is not started")
        return self._tmpdir

    @property
    def datadir(self) -> Path:
        return self.tmpdir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.tmpdir

    @property
    def logfile(self) -> Path:
        return self.tmpdir / "server.log"

    @property
    def port(self) -> int:
        if self._port is None or not self._running:
            raise RuntimeError("PgCluster is not started")
        return self._port

    @property
    def running(self) -> bool:
        return self._running

    # ---------------------------------------------------------------- URLs

    @property
    def url(self) -> str:
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        """SQLAlchemy URL for ``dbname`` on this cluster."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def conninfo(self, dbname: str | None = None) -> str:
        """libpq connection string (for ``psycopg.connect``)."""
        return make_conninfo(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname or self.dbname,
            connect_timeout=10,
        )

    def connect(
        self, dbname: str | None = None, *, autocommit: bool = True
    ) -> psycopg.Connection[tuple[Any, ...]]:
        """Open a psycopg connection (autocommit by default)."""
        return psycopg.connect(self.conninfo(dbname), autocommit=autocommit)

    # ---------------------------------------------------------- databases

    def create_database(self, name: str, template: str | None = None) -> None:
        """``CREATE DATABASE name [TEMPLATE template]``.

        The template must have no other open connections (PostgreSQL rule).
        """
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        with self.connect() as conn:
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        """``DROP DATABASE IF EXISTS name WITH (FORCE)`` (kills open sessions)."""
        query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with self.connect() as conn:
            conn.execute(query)

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> Self:
        if not self._running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """initdb + pg_ctl start; returns once the server accepts connections."""
        if self._running:
            return
        if self._tmpdir is not None:
            # Leftover from a failed start: clean it up first.
            self.stop()
        self._tmpdir = self._make_tmpdir()
        self._owner_pid = os.getpid()
        atexit.register(self._atexit_stop)
        try:
            self._initdb()
            self._start_server()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (fast mode) and delete the temp dir.  Idempotent."""
        tmpdir = self._tmpdir
        if tmpdir is None:
            return
        try:
            pidfile = self.datadir / "postmaster.pid"
            if (
                pidfile.exists()
                and not self._pg_ctl_stop("fast")
                and not self._pg_ctl_stop("immediate")
            ):
                self._kill_postmaster(pidfile)
        finally:
            self._running = False
            self._port = None
            self._tmpdir = None
            self._owner_pid = None
            atexit.unregister(self._atexit_stop)
            shutil.rmtree(tmpdir, ignore_errors=True)

    def _atexit_stop(self) -> None:
        # Only the process that started the cluster may tear it down (not a
        # forked child that inherited the atexit registration).
        if self._owner_pid == os.getpid():
            self.stop()

    # -------------------------------------------------------------- helpers

    def _make_tmpdir(self) -> Path:
        path = Path(tempfile.mkdtemp(prefix="kassan-pg-", dir=self._base_dir))
        if self._as_root:
            try:
                pw = pwd.getpwnam(RUN_AS_USER)
            except KeyError:
                shutil.rmtree(path, ignore_errors=True)
                raise RuntimeError(
                    f"Running as root but there is no {RUN_AS_USER!r} user to run PostgreSQL as"
                ) from None
            for parent in path.parents:
                if not parent.stat().st_mode & stat.S_IXOTH:
                    shutil.rmtree(path, ignore_errors=True)
                    raise RuntimeError(
                        f"{parent} is not traversable by the {RUN_AS_USER!r} user; "
                        "pass base_dir= pointing somewhere under /tmp"
                    )
            os.chown(path, pw.pw_uid, pw.pw_gid)
            os.chmod(path, 0o700)
        # Unix socket paths are limited to ~107 bytes.
        if len(str(path / ".s.PGSQL.65535")) > 100:
            shutil.rmtree(path, ignore_errors=True)
            raise RuntimeError(f"Temp dir path too long for a unix socket: {path}")
        return path

    def _cmd(self, binary: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / binary), *args]
        if self._as_root:
            cmd = ["runuser", "-u", RUN_AS_USER, "--", *cmd]
        return cmd

    def _run(self, binary: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._cmd(binary, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_clean_env(),
            cwd=self.tmpdir,  # the postgres user may not be able to read the caller's cwd
            check=False,
        )

    def _initdb(self) -> None:
        result = self._run(
            "initdb",
            "-D", str(self.datadir),
            "-A", "trust",
            "-U", SUPERUSER,
            "-E", "UTF8",
            "--locale=C",
            "--no-sync",
            timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(
                f"initdb failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
            )

    def _server_options(self, port: int) -> str:
        settings: dict[str, str] = {
            "port": str(port),
            "listen_addresses": HOST,
            "unix_socket_directories": str(self.socket_dir),
            "max_connections": str(self.max_connections),
        }
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        settings.update(self.extra_settings)
        # pg_ctl hands -o to /bin/sh, hence the shell quoting.
        return " ".join(f"-c {shlex.quote(f'{k}={v}')}" for k, v in settings.items())

    def _start_server(self) -> None:
        last_error = ""
        for _attempt in range(START_ATTEMPTS):
            port = _free_port()
            result = self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t", str(PG_CTL_TIMEOUT),
                "-D", str(self.datadir),
                "-l", str(self.logfile),
                "-o", self._server_options(port),
                timeout=PG_CTL_TIMEOUT + 30,
            )  # fmt: skip
            if result.returncode == 0:
                self._port = port
                self._running = True
                self._wait_ready()
                return
            log = self._log_tail()
            last_error = (
                f"pg_ctl start failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
            # Someone grabbed the port between choosing and binding it: retry.
            if "could not bind" in log or "already in use" in log:
                self._pg_ctl_stop("immediate")
                continue
            break
        raise RuntimeError(
            f"{last_error}\n--- last {LOG_TAIL_LINES} lines of server log ---\n{self._log_tail()}"
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        last_exc: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.conninfo(), autocommit=True) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.Error as exc:
                last_exc = exc
                time.sleep(0.1)
        raise RuntimeError(
            f"PostgreSQL did not accept connections within {READY_TIMEOUT:.0f}s: {last_exc}\n"
            f"--- last {LOG_TAIL_LINES} lines of server log ---\n{self._log_tail()}"
        )

    def _pg_ctl_stop(self, mode: str) -> bool:
        try:
            result = self._run(
                "pg_ctl", "stop", "-w", "-t", "30", "-m", mode, "-D", str(self.datadir), timeout=60
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return result.returncode == 0

    @staticmethod
    def _kill_postmaster(pidfile: Path) -> None:
        # Last resort when pg_ctl cannot stop our own server: its children
        # notice the postmaster's death and exit on their own.
        try:
            pid = int(pidfile.read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass

    def _log_tail(self) -> str:
        try:
            lines = self.logfile.read_text(errors="replace").splitlines()
        except OSError as exc:
            return f"(no server log: {exc})"
        return "\n".join(lines[-LOG_TAIL_LINES:])

    def __repr__(self) -> str:
        state = f"port={self._port}" if self._running else "stopped"
        return f"<PgCluster {self.bindir} {state}>"
