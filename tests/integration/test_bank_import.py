"""Bank-file import against a real database: every sample file with the right totals, each way
of matching, the same payment in several files booked once, refused imports leaving the
database exactly as it was and crashed ones finished by the worker."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from ledger.db import tables as t
from ledger.money import Money
from ledger.services import expected
from tests.support.bank_accounts import OURS, import_ours
from tests.support.camt_files import Entry, Statement, Tx, camt_bytes
from tests.support.ledger import add_contributor, add_network
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)
from webhooks.bankfiles import parse
from webhooks.bankfiles.importer import cash_balance
from webhooks.bankfiles.worker import Outcome, work_once
from webhooks.errors import BankFileConflict, BankFileInvalid

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
SAMPLE_FILES = sorted((SAMPLES / "bgmax").glob("*.txt")) + sorted((SAMPLES / "swish").glob("*.csv"))
DAY = date(2026, 12, 1)
TABLES = ("bank_imports", "bank_import_chunks", "bank_lines", "journal_entries", "journal_lines")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {n: conn.execute(text(f"SELECT count(*) FROM {n}")).scalar_one() for n in TABLES}


def _plan(engine: Engine, ore: int | None, name: str = "Anna Andersson", kind: str = "gift"):
    with engine.begin() as conn:
        network = conn.scalar(select(t.networks.c.id).where(t.networks.c.slug == "fred"))
        network = network or add_network(conn, "fred")
        who = add_contributor(conn, name)
        return expected.create(
            conn,
            kind=kind,
            amount=None if ore is None else Money(ore),
            network_id=network,
            contributor_id=who,
        )


def _lines(engine: Engine) -> list[tuple]:
    b = t.bank_lines.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(b.key, b.match_kind, b.expected_payment_id, b.open_ore, b.entry_id).order_by(
                b.import_id, b.line_no
            )
        )
        return [tuple(r) for r in rows]


def _account(engine: Engine, account: str) -> int:
    jl = t.journal_lines.c
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.coalesce(func.sum(jl.debit_ore - jl.credit_ore), 0)).where(
                    jl.account == account
                )
            ).scalar_one()
        )


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name[:60])
def test_every_sample_file_imports_with_the_files_own_totals(engine, path):
    data = path.read_bytes()
    parsed = parse(data, path.name)
    result = import_ours(engine, data, path.name)
    c = result.counts
    credits = [ln.amount.ore for ln in parsed.lines if ln.amount.ore > 0]
    debits = [-ln.amount.ore for ln in parsed.lines if ln.amount.ore < 0]
    assert (c.line_count, c.credit_count, c.credit_ore) == (
        len(parsed.lines),
        len(credits),
        sum(credits),
    )
    assert (c.debit_count, c.debit_ore) == (len(debits), sum(debits))
    assert c.booked_count + c.confirmed_count == c.line_count
    assert c.matched_count + c.unmatched_count == c.booked_count
    assert all(ctl["ok"] for ctl in result.summary["controls"])
    assert result.cash_ore == _account(engine, "1930") == sum(credits) - sum(debits)
    assert _counts(engine)["bank_lines"] == len(parsed.lines)
    with engine.connect() as conn:
        stored = b"".join(
            conn.execute(
                select(t.bank_import_chunks.c.data).order_by(t.bank_import_chunks.c.seq)
            ).scalars()
        )
    assert stored == data


def test_ocr_text_and_amount_name_match_and_the_rest_waits_in_suspense(engine):
    by_ocr = _plan(engine, 25_000)
    by_text = _plan(engine, 20_000, "Olle")
    by_name = _plan(engine, 7_500, "Lisa Berg")
    invoice = _plan(engine, 150_000, "IF Metall avd 12", kind="invoice")
    data = camt_bytes(
        [
            Entry((Tx(30_000, "T1", ocr=by_ocr.reference, name="Anna"),), DAY, "E1"),
            Entry((Tx(20_000, "T2", message=f"Gåva {by_text.reference}"),), DAY, "E2"),
            Entry((Tx(7_500, "T3", message="Till arbetet", name="LISA  berg"),), DAY, "E3"),
            Entry((Tx(150_000, "T4", ocr=invoice.reference),), DAY, "E4"),
            Entry((Tx(9_900, "T5", message="Stödet", name="Okänd"),), DAY, "E5"),
            Entry((Tx(-4_000, "T6", message="Hyra", name="Folkets Hus"),), DAY, "E6"),
        ]
    )
    result = import_ours(engine, data, "dag.xml")
    assert [(k, m, e, o) for k, m, e, o, _ in _lines(engine)] == [
        ("bank:T1", "ocr", by_ocr.id, 5_000),  # 50 kr more than the gift: surplus to suspense
        ("bank:T2", "text", by_text.id, 0),
        ("bank:T3", "amount_name", by_name.id, 0),
        ("bank:T4", "ocr", invoice.id, 0),
        ("bank:T5", "unmatched", None, 9_900),
        ("bank:T6", "unmatched", None, 4_000),
    ]
    c = result.counts
    assert (c.matched_count, c.unmatched_count, c.confirmed_count) == (4, 2, 0)
    assert _account(engine, "1930") == 30_000 + 20_000 + 7_500 + 150_000 + 9_900 - 4_000
    assert _account(engine, "1510") == -150_000
    assert _account(engine, "2890") == -(5_000 + 9_900) + 4_000
    assert _account(engine, "3993") == -(25_000 + 20_000 + 7_500)
    with engine.connect() as conn:
        assert expected.by_id(conn, by_ocr.id).status == "paid"
        assert expected.by_id(conn, invoice.id).paid_ore == 150_000


def test_no_entry_text_names_the_payer_only_the_bank_line(engine):
    """Entries are hash-chained and kept seven years; the payer's name stays on the bank line,
    where it can be erased (issue 12, item 8)."""
    gift = _plan(engine, 25_000)
    data = camt_bytes(
        [
            Entry((Tx(25_000, "T1", ocr=gift.reference, name="Anna Andersson"),), DAY, "E1"),
            Entry((Tx(9_900, "T2", message="Stödet", name="Bertil Ek"),), DAY, "E2"),
            Entry((Tx(-4_000, "T3", message="Hyra", name="Cecilia Holm"),), DAY, "E3"),
        ]
    )
    import_ours(engine, data, "dag.xml")
    with engine.connect() as conn:
        texts = conn.execute(select(t.journal_entries.c.text).order_by(t.journal_entries.c.id))
        assert list(texts.scalars()) == [
            f"Gåva {gift.reference}, bankrad bank:T1",
            "Oidentifierad inbetalning, bankrad bank:T2",
            "Utbetalning, bankrad bank:T3, ej fördelad",
        ]
        names = conn.execute(select(t.bank_lines.c.payer_name).order_by(t.bank_lines.c.line_no))
        assert list(names.scalars()) == ["Anna Andersson", "Bertil Ek", "Cecilia Holm"]


def test_amount_and_name_match_only_when_exactly_one_payment_fits(engine):
    _plan(engine, 7_500, "Lisa Berg")
    _plan(engine, 7_500, "Lisa Berg")
    import_ours(engine, camt_bytes([Entry((Tx(7_500, "T1", name="Lisa Berg"),), DAY, "E1")]), "a")
    assert [r[1] for r in _lines(engine)] == ["unmatched"]


def test_the_same_file_twice_is_refused_and_books_nothing(engine):
    plan = _plan(engine, 25_000)
    data = camt_bytes([Entry((Tx(25_000, "T1", ocr=plan.reference),), DAY, "E1")])
    first = import_ours(engine, data, "a.xml")
    before = _counts(engine)
    with pytest.raises(BankFileConflict, match=f"import {first.id}, a.xml"):
        import_ours(engine, data, "b.xml")
    assert _counts(engine) == before


def test_camt054_then_camt053_of_the_same_day_books_each_payment_once(engine):
    plan = _plan(engine, 25_000)
    entries = [
        Entry((Tx(25_000, "T1", ocr=plan.reference),), DAY, "E1"),
        Entry((Tx(9_900, "T2", message="Stödet"),), DAY, "E2"),
    ]
    notification = import_ours(engine, camt_bytes(entries), "dag.054.xml")
    statement = camt_bytes([], kind="053", version="08", statement=Statement(entries))
    result = import_ours(engine, statement, "dag.053.xml")
    assert notification.counts.booked_count == 2
    assert (result.counts.booked_count, result.counts.confirmed_count) == (0, 2)
    rows = _lines(engine)
    assert [r[4] for r in rows[:2]] == [r[4] for r in rows[2:]]  # the same entries
    assert _account(engine, "1930") == 34_900
    balance = result.summary["balances"][0]
    assert balance["closing_ore"] - balance["opening_ore"] == 34_900
    with engine.connect() as conn:
        assert expected.by_id(conn, plan.id).paid_ore == 25_000
        assert cash_balance(conn) == 34_900


def test_a_bad_line_refuses_the_whole_file_and_changes_nothing(engine):
    good = Entry((Tx(25_000, "T1", message="ok"),), DAY, "E1")
    bad = Entry((Tx(9_900, "T2", message="summa fel"),), DAY, "E2", amount_ore=9_800)
    many = [Entry((Tx(100 + i, f"G{i}"),), DAY, f"GE{i}") for i in range(30)]  # past one batch
    data = camt_bytes([good, *many, bad])
    before = _counts(engine)
    with pytest.raises(BankFileInvalid) as caught:
        import_ours(engine, data, "trasig.xml", batch_lines=10)
    first = caught.value.errors[0]
    assert first.file == "trasig.xml" and first.line is not None
    assert _counts(engine) == before


def test_a_crash_in_the_middle_books_nothing_and_a_worker_finishes_the_import(engine):
    data = camt_bytes([Entry((Tx(100 + i, f"G{i}"),), DAY, f"E{i}") for i in range(30)])
    before = _counts(engine)
    calls = []

    def crash(done: int, total: int) -> None:
        calls.append(done)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_ours(engine, data, "mitt.xml", progress=crash, batch_lines=10)
    assert calls and _counts(engine) == before  # it crashed checking the file: nothing booked
    with pytest.raises(BankFileConflict, match="väntar redan"):  # the job waits, once
        import_ours(engine, data, "mitt.xml")
    assert work_once(engine, OURS)[Outcome.DONE] == 1
    assert _counts(engine)["bank_lines"] == 30


def test_a_payment_booked_twice_over_files_of_different_formats_is_confirmed_by_key(engine):
    report = SAMPLES / "swish" / "handelsbanken-swishrapport-kommaseparerad-daglig.csv"
    first = import_ours(engine, report.read_bytes(), report.name)
    entries = [
        Entry(
            (Tx(150_000, "X1", clearing_ref="4469411476093487", name="Anna Swish"),),
            date(2015, 4, 16),
            "SW1",
            swish=True,
        )
    ]
    again = import_ours(engine, camt_bytes(entries), "swish.054.xml")
    assert first.counts.booked_count == 2
    assert (again.counts.booked_count, again.counts.confirmed_count) == (0, 1)
    assert _account(engine, "1930") == 380_050


def test_a_swish_payment_booked_by_the_callback_is_confirmed_not_booked_again(swish, engine):
    gift = swish.gift(30_000)
    instruction_id = swish.start(gift)
    assert swish.fake.complete(instruction_id, "PAID") == 200
    booked = swish.payment(instruction_id).entry_id
    reference = swish.expected_of(gift).reference
    entries = [
        Entry(
            (Tx(30_000, "SW1", message=reference, clearing_ref="4469411476093492"),),
            DAY,
            "N1",
            swish=True,
        )
    ]
    before = _account(engine, "1930")
    result = import_ours(engine, camt_bytes(entries), "swish.054.xml")
    assert (result.counts.booked_count, result.counts.confirmed_count) == (0, 1)
    assert _lines(engine)[0][1:] == ("confirmed", None, 0, booked)
    assert _account(engine, "1930") == before == 30_000
    assert swish.expected_of(gift).paid_ore == 30_000


def test_a_swish_payment_the_bank_reported_first_is_confirmed_by_its_callback_not_booked_again(
    swish, engine
):
    """The bank's report names the payment by its 16-digit reference, the callback by Swish's
    own id: other keys, one payment. Booking both would put the krona on 1930 twice."""
    gift = swish.gift(30_000)
    instruction_id = swish.start(gift)
    reference = swish.expected_of(gift).reference
    entries = [
        Entry(
            (Tx(30_000, "SW1", message=reference, clearing_ref="4469411476093492"),),
            DAY,
            "N1",
            swish=True,
        )
    ]
    result = import_ours(engine, camt_bytes(entries), "swish.054.xml")
    assert result.counts.booked_count == 1
    booked = _lines(engine)[0][4]
    assert _account(engine, "1930") == 30_000

    assert swish.fake.complete(instruction_id, "PAID") == 200

    assert swish.payment(instruction_id).entry_id == booked
    assert _account(engine, "1930") == 30_000
    assert _account(engine, "2890") == 0
    assert swish.expected_of(gift).paid_ore == 30_000


_IMPORT = """
import sys
from ledger.db.engine import make_engine
from tests.support.bank_accounts import OURS, import_ours
from webhooks.bankfiles.importer import BankFileConflict
try:
    import_ours(make_engine(sys.argv[1]), open(sys.argv[2], "rb"), "samma.xml")
except BankFileConflict:
    sys.exit(3)
"""


def test_the_same_file_imported_by_two_processes_at_once_books_once(engine, database_url, tmp_path):
    plans = [_plan(engine, 10_000 + i, f"Givare {i}") for i in range(20)]
    entries = [
        Entry((Tx(10_000 + i, f"T{i}", ocr=p.reference),), DAY, f"E{i}")
        for i, p in enumerate(plans)
    ]
    path = tmp_path / "samma.xml"
    path.write_bytes(camt_bytes(entries))
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _IMPORT, database_url, str(path)],
            cwd=root,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    codes = sorted(p.wait(timeout=120) for p in procs)
    for p in procs:
        p.stderr.close()  # type: ignore[union-attr]
    assert codes == [0, 3]
    assert _counts(engine)["bank_imports"] == 1
    assert _counts(engine)["journal_entries"] == 20
    assert _account(engine, "1930") == sum(10_000 + i for i in range(20))


def test_every_field_of_a_line_is_stored_as_the_file_gave_it(engine):
    # Bank lines are written by COPY on PostgreSQL and by executemany on SQLite: both must
    # store each field as parsed (dates, signs, Swedish letters, empty fields, the match).
    from tests.support.camt_files import swedish_entries

    data = camt_bytes(swedish_entries(), kind="054")
    parsed = parse(data, "dag.xml").lines
    import_ours(engine, data, "dag.xml")
    with engine.connect() as conn:
        rows = conn.execute(select(t.bank_lines).order_by(t.bank_lines.c.line_no)).all()
    assert [
        (
            r.line_no,
            r.key,
            r.booking_date,
            r.value_date,
            r.direction,
            r.amount_ore,
            r.currency,
            r.reference,
            r.message,
            r.payer_name,
            r.payer_account,
            r.account,
            r.channel,
        )
        for r in rows
    ] == [
        (
            ln.line_no,
            ln.key,
            ln.booking_date,
            ln.value_date,
            "in" if ln.is_credit else "out",
            abs(ln.amount.ore),
            ln.amount.currency,
            ln.reference,
            ln.message,
            ln.payer_name,
            ln.payer_account,
            ln.account,
            ln.channel,
        )
        for ln in parsed
    ]
    assert {r.match_kind for r in rows} == {"unmatched"}  # nothing is expected here
    assert all(r.entry_id is not None and r.open_ore == r.amount_ore for r in rows)
    assert any(ln.payer_name and not ln.payer_name.isascii() for ln in parsed) or any(
        ln.message and not ln.message.isascii() for ln in parsed
    )
