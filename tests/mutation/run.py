"""Mutation testing of the modules where money is decided (``make mutation``; not part of
``make test``).

mutmut 3 (configured in ``pyproject.toml``, ``[tool.mutmut]``) mutates a copy of the code under
``mutants/`` and runs, for each mutant, the tests that reach the mutated function. This driver
runs it once per module with that module's own tests, so a mutant is judged by the tests
written for it and not by whatever else happens to import it; where a module has more
mutants than ``SAMPLE_MAX`` a fixed-seed sample is run (and said so). Each module works in
``mutants/<name>/`` (its own mutmut state); the scores go to the table in
``docs/testing.md`` and every survivor's diff to ``mutants/<name>/survivors.diff``.

    python -m tests.mutation.run              # every module
    python -m tests.mutation.run decide bgmax # some modules (the other rows stay as they are)
    python -m tests.mutation.run --list

A module's score is killed / tried: a mutant no test reaches counts as a survivor, and a
mutant that ran out of time counts as killed (mutmut's own rule: the tests did notice).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent / "shared"
WORK = ROOT / "mutants"
DOC = ROOT / "docs" / "testing.md"
BEGIN = "<!-- mutation:begin -->"
END = "<!-- mutation:end -->"
SEED = 17
SAMPLE_MAX = 160
MAX_CHILDREN = 2
TARGET = 90.0
PACKAGES = ("ledger", "webhooks", "reports", "kassan", "migrations", "tests", "docs")
KILLED = {"killed", "timeout", "caught by type check"}


@dataclass(frozen=True)
class Module:
    name: str
    files: tuple[str, ...]
    tests: tuple[str, ...]
    sample_max: int = SAMPLE_MAX


U = "tests/unit/"
I = "tests/integration/"  # noqa: E741 (a path prefix, not a number)

MODULES = (
    Module("decide", ("webhooks/bankfiles/decide.py",), (U + "test_bankfiles_decide.py",)),
    Module(
        "matcher",
        ("webhooks/bankfiles/matcher.py", "webhooks/bankfiles/bookings.py"),
        (
            U + "test_bankfiles_bookings.py",
            I + "test_bank_lookups.py",
            I + "test_bank_conflicts.py",
            I + "test_bank_import.py",
            I + "test_bank_gifts.py",
            I + "test_autogiro_bank.py",
        ),
    ),
    Module(
        "importer",
        (
            "webhooks/bankfiles/importer.py",
            "webhooks/bankfiles/check.py",
            "webhooks/bankfiles/ledgering.py",
        ),
        (
            I + "test_bank_import.py",
            I + "test_bank_conflicts.py",
            I + "test_our_accounts_import.py",
            I + "test_bank_import_report.py",
            I + "test_bank_import_jobs.py",
            I + "test_autogiro_bank.py",
            U + "test_bankfiles_rows.py",
        ),
    ),
    Module(
        "bgmax",
        ("webhooks/bankfiles/bgmax.py", "webhooks/bankfiles/bgmax_payment.py"),
        (U + "test_bankfiles_bgmax.py",),
    ),
    Module(
        "camt",
        ("webhooks/bankfiles/camt*.py",),
        (
            U + "test_bankfiles_camt.py",
            U + "test_bankfiles_camt_samples.py",
            U + "test_bankfiles_camt_shapes.py",
            U + "test_bankfiles_camt_edges.py",
        ),
    ),
    Module(
        "swish_report", ("webhooks/bankfiles/swish_report.py",), (U + "test_bankfiles_swish.py",)
    ),
    Module("references", ("ledger/references.py",), (U + "test_references.py",)),
    Module(
        "entries",
        ("ledger/entries.py",),
        (U + "test_entries.py", U + "test_entry_validation.py", U + "test_entry_hash.py"),
    ),
    Module(
        "posting",
        # pipeline.py is PostgreSQL's own path (psycopg pipeline mode): mutmut runs the tests
        # on SQLite, where it never runs, so its mutants would all count as untested.
        tuple(
            f"ledger/services/posting/{name}.py"
            for name in ("booking", "database_errors", "direct", "prepare", "reversal", "writer")
        ),
        (
            U + "test_posting_prepare.py",
            I + "test_posting.py",
            I + "test_posting_edges.py",
            I + "test_posting_guards.py",
        ),
    ),
    Module(
        "reconcile",
        ("ledger/services/reconcile/*.py",),
        (I + "test_reconcile.py", I + "test_payout_in_the_bank_first.py", I + "test_bank_gifts.py"),
    ),
    Module(
        "stripe_bookings",
        ("webhooks/stripe/bookings.py", "webhooks/stripe/payouts.py"),
        (
            U + "test_stripe_pure.py",
            I + "test_stripe_payments.py",
            I + "test_stripe_refunds_disputes_payouts.py",
            I + "test_stripe_money_back.py",
            I + "test_payout_in_the_bank_first.py",
            I + "test_stripe_bookings.py",
        ),
    ),
    Module(
        "swish_bookings",
        ("webhooks/swish/bookings.py",),
        (
            U + "test_swish_booking_day.py",
            I + "test_swish_bookings.py",
            I + "test_swish_payments.py",
            I + "test_swish_refunds.py",
        ),
    ),
    Module(
        "autogiro",
        ("webhooks/bankfiles/autogiro/*.py",),
        (
            U + "test_autogiro_files.py",
            U + "test_autogiro_file_checks.py",
            I + "test_autogiro_import.py",
            I + "test_personal_autogiro_files.py",
            I + "test_autogiro_mandates.py",
            I + "test_autogiro_emandates.py",
            I + "test_autogiro_bank_out.py",
        ),
    ),
    Module("funding_model", ("reports/funding/model.py",), (U + "test_funding_gap_pure.py",)),
)
BY_NAME = {m.name: m for m in MODULES}


def mutmut_config(module: Module) -> dict[str, object]:
    """The project's ``[tool.mutmut]`` with this module's files and tests."""
    base = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    return {
        **base,
        "only_mutate": list(module.files),
        "pytest_add_cli_args_test_selection": list(module.tests),
    }


def pyproject_for(module: Module) -> str:
    """The project's pyproject.toml (pytest reads its settings from the copy too) with its
    ``[tool.mutmut]`` table replaced by this module's."""
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    lines = ["", "[tool.mutmut]"]
    for key, value in mutmut_config(module).items():
        lines.append(f"{key} = {json.dumps(value)}")
    return text + "\n".join(lines) + "\n"


def prepare(module: Module) -> Path:
    """A fresh ``mutants/<name>/`` that looks like the project to mutmut: the packages as
    links, this module's pyproject.toml, and ``shared`` beside it so the tests' copies find
    ``../shared/samples`` as the real tests do."""
    work = WORK / module.name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for package in PACKAGES:
        (work / package).symlink_to(ROOT / package, target_is_directory=True)
    (work / "README.md").symlink_to(ROOT / "README.md")
    (work / "shared").symlink_to(SAMPLES, target_is_directory=True)
    (work / "pyproject.toml").write_text(pyproject_for(module), "utf-8")
    return work


GENERATE = """
from mutmut.__main__ import copy_src_dir, create_mutants
copy_src_dir()
create_mutants({children})
"""


def mutant_statuses(work: Path, module: Module) -> dict[str, str]:
    """Every mutant of the module's files and its status, from mutmut's meta files."""
    from mutmut.stats import status_by_exit_code

    statuses: dict[str, str] = {}
    for pattern in module.files:
        for meta in sorted((work / "mutants").glob(pattern + ".meta")):
            data = json.loads(meta.read_text("utf-8"))
            for key, code in data["exit_code_by_key"].items():
                statuses[key] = status_by_exit_code[code]
    return statuses


def run_module(module: Module) -> dict[str, object]:
    started = time.monotonic()
    work = prepare(module)
    python = sys.executable
    mutmut = str(Path(python).with_name("mutmut"))
    log = work / "mutmut.log"
    with log.open("w") as out:
        subprocess.run(
            [python, "-c", GENERATE.format(children=MAX_CHILDREN)],
            cwd=work,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    every = sorted(mutant_statuses(work, module))
    chosen = every
    if len(every) > module.sample_max:
        chosen = sorted(random.Random(SEED).sample(every, module.sample_max))
        print(f"{module.name}: {len(every)} mutants, a sample of {len(chosen)} (seed {SEED})")
    else:
        print(f"{module.name}: {len(every)} mutants, all of them")
    with log.open("a") as out:
        subprocess.run(
            [mutmut, "run", "--max-children", str(MAX_CHILDREN), *chosen],
            cwd=work,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    statuses = mutant_statuses(work, module)
    tried = {key: statuses[key] for key in chosen}
    killed = sum(1 for status in tried.values() if status in KILLED)
    survivors = sorted(key for key, status in tried.items() if status not in KILLED)
    finished = not any(status == "not checked" for status in tried.values())
    if not finished:
        print(f"{module.name}: mutmut did not finish; see {log}")
    with (work / "survivors.diff").open("w") as out:
        for key in survivors:
            shown = subprocess.run(
                [mutmut, "show", key], cwd=work, capture_output=True, text=True, check=False
            )
            out.write(shown.stdout + "\n")
    score = 100.0 * killed / len(tried) if tried else 0.0
    result = {
        "module": module.name,
        "files": ", ".join(module.files),
        "mutants": len(every),
        "tried": len(tried),
        "killed": killed,
        "score": round(score, 1),
        "finished": finished,
        "survivors": survivors,
        "seconds": round(time.monotonic() - started),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        or "?",
    }
    print(
        f"{module.name}: {killed} of {len(tried)} killed ({score:.1f} %)"
        f" in {result['seconds']} s; survivors in {work / 'survivors.diff'}"
    )
    return result


ROW = re.compile(r"^\| `(?P<name>[a-z_]+)` \|")


def write_table(results: list[dict[str, object]]) -> None:
    """Replace the rows of the modules just run in docs/testing.md's table; keep the rest."""
    text = DOC.read_text("utf-8")
    head, rest = text.split(BEGIN, 1)
    table, tail = rest.split(END, 1)
    rows = {}
    for line in table.splitlines():
        found = ROW.match(line)
        if found:
            rows[found["name"]] = line
    for result in results:
        sampled = "all" if result["tried"] == result["mutants"] else f"sample (seed {SEED})"
        mark = "" if float(str(result["score"])) >= TARGET else " (below 90 %)"
        score = f"{result['score']} %{mark}" if result["finished"] else "did not run (see its log)"
        rows[str(result["module"])] = (
            f"| `{result['module']}` | {result['files']} | {result['mutants']} | "
            f"{result['tried']}, {sampled} | {result['killed']} | {score} | {result['commit']} |"
        )
    order = [m.name for m in MODULES]
    lines = [
        "",
        "| module | files | mutants | tried | killed | score | code at |",
        "|---|---|---|---|---|---|---|",
        *(rows[name] for name in order if name in rows),
        "",
    ]
    DOC.write_text(head + BEGIN + "\n".join(lines) + END + tail, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    args = parser.parse_args(argv)
    if args.list:
        for module in MODULES:
            print(f"{module.name}: {', '.join(module.files)} <- {', '.join(module.tests)}")
        return 0
    unknown = [name for name in args.modules if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; --list shows them")
    chosen = [BY_NAME[name] for name in args.modules] or list(MODULES)
    results = []
    for module in chosen:
        results.append(run_module(module))
        write_table(results)
    below = [r["module"] for r in results if float(str(r["score"])) < TARGET]
    if below:
        print(f"below {TARGET:.0f} %: {', '.join(map(str, below))}")
    broken = [r["module"] for r in results if not r["finished"]]
    if broken:
        print(f"mutmut did not finish for: {', '.join(map(str, broken))}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
