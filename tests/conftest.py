"""Test fixtures. The whole suite runs once per database: ``KASSAN_TEST_DB=sqlite`` (default)
or ``postgresql`` (a throwaway cluster started for the session, see ``tests/support``).

The schema comes from the real migrations, migrated once into a template per session, with
the fiscal years the tests book in opened (``TEST_YEARS``);
each test gets a fresh copy (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL), so the triggers under test are the ones production runs.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger import migrate
from ledger.db.engine import make_engine

BACKEND = os.environ.get("KASSAN_TEST_DB", "sqlite")
# A new ledger opens the current and the next year only; the tests book sample files and
# fixed dates back to 2004, so the template opens every year from 2000 on. A test of a year
# that is not open uses one before 2000.
TEST_YEARS = range(2000, date.today().year + 2)
_counter = itertools.count()


def pytest_report_header(config: pytest.Config) -> str:
    return f"kassan database: {BACKEND}"


_WORKER_THREADS = ("bank-import-worker", "stripe-applier")


@pytest.fixture(autouse=True)
def _no_worker_outlives_its_test() -> Iterator[None]:
    """A test that starts an app's background worker (an app made as in production, or with
    autostart) ends it (``appliers.stop``): a worker left running polls a database that is gone,
    and its threads race the next tests'."""
    before = {t for t in threading.enumerate() if t.name in _WORKER_THREADS}
    yield
    left = [
        t.name
        for t in threading.enumerate()
        if t.name in _WORKER_THREADS and t not in before and t.is_alive()
    ]
    assert not left, f"background workers still running after the test: {left}"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    if BACKEND != "postgresql":
        pytest.skip("PostgreSQL run only")
    from tests.support.pgcluster import PgCluster, find_pg_bindir

    if find_pg_bindir() is None:
        pytest.fail("KASSAN_TEST_DB=postgresql but no PostgreSQL server binaries were found")
    with PgCluster() as pg:
        yield pg


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    """A migrated database to copy per test: a file path (SQLite) or a database name."""
    if BACKEND == "postgresql":
        pg = request.getfixturevalue("pg_cluster")
        pg.create_database("kassan_template")
        engine = make_engine(pg.url_for("kassan_template"), poolclass=_null_pool())
        migrate.upgrade(engine)
        _set_up_template(engine)
        engine.dispose()
        return "kassan_template"
    path = tmp_path_factory.mktemp("template") / "kassan.db"
    engine = make_engine(f"sqlite:///{path}", poolclass=_null_pool())
    migrate.upgrade(engine)
    _set_up_template(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not Path(f"{path}-wal").exists()
    return str(path)


def _set_up_template(engine: Engine) -> None:
    """The years the tests book in, and the bank account the generated camt files are for."""
    from ledger.services import bank_accounts
    from ledger.services.periods import open_year
    from tests.support.camt_files import IBAN

    with engine.begin() as conn:
        for year in TEST_YEARS:
            open_year(conn, year)
        bank_accounts.add(conn, IBAN, "1930", "Testbankens företagskonto")


def _null_pool() -> type:
    from sqlalchemy.pool import NullPool

    return NullPool


@pytest.fixture
def database_url(_template: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh, migrated database for this test."""
    if BACKEND == "postgresql":
        pg = request.getfixturevalue("pg_cluster")
        name = f"t{os.getpid()}_{next(_counter)}"
        pg.create_database(name, template=_template)
        yield pg.url_for(name)
        pg.drop_database(name)
    else:
        path = tmp_path / "kassan.db"
        shutil.copyfile(_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def fresh_ledger(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database migrated from nothing to head: only the years the migrations open, none of
    the template's data."""
    if BACKEND == "postgresql":
        pg = request.getfixturevalue("pg_cluster")
        name = f"fresh{os.getpid()}_{next(_counter)}"
        pg.create_database(name)
        url = pg.url_for(name)
    else:
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    eng = make_engine(url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
    if BACKEND == "postgresql":
        pg.drop_database(name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from kassan.web.app import create_app

    monkeypatch.setenv("KASSAN_ENV", "test")
    monkeypatch.setenv("KASSAN_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key-" + "x" * 32}
    )
    yield application
    application.extensions["kassan.engine"].dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def cli(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()
