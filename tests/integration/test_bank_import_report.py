"""What an import keeps and reports beside the booking (``webhooks.bankfiles.importer``): the
file's own header, controls, balances and groups as stored with the import, the refusal of a
file read before, the progress told while reading, the ledger balance shown beside the file's,
and the file itself, byte for byte."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ledger.db import tables as t
from ledger.money import Money
from ledger.services import bank_accounts, expected, users
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import IBAN, Entry, Statement, Tx, camt_bytes
from webhooks.bankfiles.importer import read_file
from webhooks.bankfiles.job_files import CHUNK_BYTES
from webhooks.errors import BankFileConflict, BankFileInvalid

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
BGMAX = SAMPLES / "bgmax" / "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt"
DAY = date(2026, 12, 1)


def _control(what: str, declared: int) -> dict[str, object]:
    return {"what": what, "declared": declared, "computed": declared, "ok": True}


def _group(group: str, account: str, count: int, ore: int) -> dict[str, object]:
    return {
        "group": group,
        "account": account,
        "currency": "SEK",
        "file_count": count,
        "file_ore": ore,
        "booked_count": count,
        "booked_ore": ore,
        "already_count": 0,
        "already_ore": 0,
        "conflict_count": 0,
        "conflict_ore": 0,
        "difference_ore": 0,
    }


def test_a_bgmax_import_keeps_the_files_header_controls_and_deposit_groups(engine):
    result = import_ours(engine, BGMAX.read_bytes(), "ocr.txt")
    assert result.summary == {
        "format": "bgmax",
        "created_at": "2004-05-25T17:30:35.010331",
        "accounts": ["9912346"],
        "period_start": "2004-05-25",
        "period_end": "2004-05-25",
        "controls": [
            _control("insättning 1: belopp (öre)", 210000),
            _control("insättning 1: antal betalningar", 4),
            _control("antal betalningsposter", 4),
            _control("antal avdragsposter", 0),
            _control("antal extra referensposter", 3),
            _control("antal insättningsposter", 1),
        ],
        "balances": [],
        "skipped": 0,
        "test": False,
        "groups": [_group("9912346 insättning 00054", "9912346", 4, 210000)],
        "problems": [],
    }
    assert result.cash_ore == 210000


def test_a_camt_statement_import_keeps_its_balances_beside_the_ledgers(engine):
    statement = Statement([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = camt_bytes(statement.entries, kind="053", statement=statement)
    result = import_ours(engine, data, "konto.053.xml")
    assert result.summary["format"] == "camt.053.001.02"
    assert result.summary["created_at"] == "2026-12-01T06:00:00"
    assert (result.summary["period_start"], result.summary["period_end"]) == (
        "2026-12-01",
        "2026-12-01",
    )
    assert result.summary["balances"] == [
        {
            "account": IBAN,
            "currency": "SEK",
            "opening_ore": 1_000_000,
            "closing_ore": 1_030_000,
            "closing_date": "2026-12-01",
        }
    ]
    assert result.summary["groups"] == [_group(IBAN, IBAN, 1, 300_00)]
    assert (result.format, result.currency) == ("camt.053.001.02", "SEK")


def test_a_file_read_before_is_refused_naming_both_files_and_when(engine):
    first = import_ours(engine, BGMAX.read_bytes(), "ocr.txt")
    with pytest.raises(BankFileConflict) as caught:
        import_ours(engine, BGMAX.read_bytes(), "igen.txt")
    assert caught.value.field == "file"
    assert re.fullmatch(
        rf"igen\.txt: filen är redan inläst \(import {first.id}, ocr\.txt, "
        r"\d{4}-\d\d-\d\d \d\d:\d\d\); inget bokfördes",
        caught.value.message,
    )


def test_progress_is_told_per_batch_and_ends_with_all_the_work_done(engine):
    data = BGMAX.read_bytes()
    told: list[tuple[int, int]] = []
    import_ours(engine, data, "ocr.txt", batch_lines=2, progress=lambda d, s: told.append((d, s)))
    work = 2 * len(data)  # reading the file through once to check it, then booking it
    assert {total for _, total in told} == {work}
    done = [d for d, _ in told]
    assert done == sorted(done) and 0 < done[0] < work
    assert told[-1] == (work, work)


def test_the_ledger_balance_beside_a_file_is_that_of_the_files_own_bank_account(engine):
    second = "SE3550000000054910000003"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (code, name, type, normal_side, active) "
                "VALUES ('1940', 'Övriga bankkonton', 'asset', 'debit', true)"
            )
        )
        bank_accounts.add(conn, second, "1940", "Sparkonto")
    import_ours(engine, BGMAX.read_bytes(), "ocr.txt")  # 2 100 kr on 1930
    statement = Statement([Entry((Tx(400_00, "T1"),), DAY, "E1")])
    data = camt_bytes(statement.entries, kind="053", statement=statement)
    saved = import_ours(engine, data.replace(IBAN.encode(), second.encode()), "spar.053.xml")
    assert saved.cash_ore == 400_00


def test_an_imported_file_reads_back_byte_for_byte_across_its_chunks(engine):
    statement = Statement([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = camt_bytes(statement.entries, kind="053", statement=statement)
    padded = data.replace(b"</Document>", b"<!--" + b"x" * CHUNK_BYTES + b"--></Document>")
    result = import_ours(engine, padded, "stor.053.xml")
    out = io.BytesIO()
    with engine.connect() as conn:
        read_file(conn, result.id, out)
    assert out.getvalue() == padded


def test_the_entries_of_an_import_name_who_imported_the_file(engine):
    with engine.begin() as conn:
        user = users.create_user(conn, "ekonomi@example.se", "ett långt lösenord", "finance")
    import_ours(engine, BGMAX.read_bytes(), "ocr.txt", user_id=user.id)
    e = t.journal_entries.c
    with engine.connect() as conn:
        assert set(conn.scalars(select(e.created_by))) == {user.id}


def test_one_ore_more_than_expected_waits_in_suspense(engine):
    with engine.begin() as conn:
        plan = expected.create(
            conn, kind="gift", amount=Money(200_00), network_id=None, contributor_id=None
        )
    tx = Tx(200_01, "T1", ocr=plan.reference)
    import_ours(engine, camt_bytes([Entry((tx,), DAY, "E1")]), "dag.xml")
    jl, e = t.journal_lines.c, t.journal_entries.c
    with engine.connect() as conn:
        surplus = conn.execute(
            select(jl.account, jl.debit_ore, jl.credit_ore)
            .join_from(t.journal_lines, t.journal_entries, jl.entry_id == e.id)
            .where(e.source_key == "bank-surplus:bank:T1")
            .order_by(jl.line_no)
        ).all()
        open_ore = conn.scalar(
            select(t.bank_lines.c.open_ore).where(t.bank_lines.c.key == "bank:T1")
        )
    assert [tuple(r) for r in surplus] == [("3993", 1, 0), ("2890", 0, 1)]
    assert open_ore == 1


def test_a_refused_flat_file_names_itself_in_every_fault(engine):
    broken = BGMAX.read_bytes()[:-80]  # records back to back: the last, TK70, cut off
    with pytest.raises(BankFileInvalid) as caught:
        import_ours(engine, broken, "trasig.txt")
    assert caught.value.errors
    assert {e.file for e in caught.value.errors} == {"trasig.txt"}


def test_the_surplus_of_an_overpaid_gift_names_who_imported_the_file(engine):
    with engine.begin() as conn:
        user = users.create_user(conn, "ekonomi@example.se", "ett långt lösenord", "finance")
        plan = expected.create(
            conn, kind="gift", amount=Money(200_00), network_id=None, contributor_id=None
        )
    tx = Tx(250_00, "T1", ocr=plan.reference)
    import_ours(engine, camt_bytes([Entry((tx,), DAY, "E1")]), "dag.xml", user_id=user.id)
    e = t.journal_entries.c
    with engine.connect() as conn:
        made = conn.execute(select(e.source_key, e.created_by).order_by(e.id)).all()
    assert made == [("bank:T1", user.id), ("bank-surplus:bank:T1", user.id)]
