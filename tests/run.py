"""``make test``: the whole suite on SQLite, then again on PostgreSQL.

PostgreSQL is skipped, loudly, only where its server binaries are missing.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.pgcluster import find_pg_bindir


def _pytest(backend: str, args: list[str]) -> int:
    print(f"\n===== Kassan test suite on {backend} =====", flush=True)
    env = dict(os.environ, KASSAN_TEST_DB=backend)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def main(args: list[str]) -> int:
    results = {"sqlite": _pytest("sqlite", args)}
    if find_pg_bindir() is None:
        banner = "!" * 78
        print(
            f"\n{banner}\n!! PostgreSQL server binaries not found: the PostgreSQL run is SKIPPED.\n"
            f"!! Install postgresql (Debian: apt-get install postgresql) to run it.\n{banner}\n",
            flush=True,
        )
    else:
        results["postgresql"] = _pytest("postgresql", args)
    print("\n===== Kassan test summary =====")
    for backend, code in results.items():
        print(f"{backend}: {'passed' if code == 0 else f'FAILED (pytest exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
