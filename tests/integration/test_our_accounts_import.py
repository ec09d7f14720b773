"""Only our accounts' files are imported (issue 11, rule 4): a camt file for an account that is
not in ``bank_accounts``, a BgMax file for another bankgiro than ours and a Swish report for
another Swish number are refused whole, naming the account, and nothing is stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from kassan.cli.main import main as kassan
from ledger.services import bank_accounts, posting
from reports import bank_reconciliation
from tests.support.bank_accounts import OURS, import_ours
from tests.support.camt_files import IBAN, Entry, Statement, Tx, camt_bytes
from tests.support.ledger import gift
from webhooks.bankfiles.importer import import_file
from webhooks.errors import BankFileInvalid

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
BGMAX = SAMPLES / "bgmax" / "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt"
SWISH = SAMPLES / "swish" / "handelsbanken-swishrapport-kommaseparerad-daglig.csv"
TABLES = ("bank_imports", "bank_import_chunks", "bank_lines", "journal_entries")
THEIRS = "CH9300762011623852957"
DAY = date(2026, 11, 2)


def _stored(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {n: conn.execute(text(f"SELECT count(*) FROM {n}")).scalar_one() for n in TABLES}


def _statement(iban: str = THEIRS) -> bytes:
    entries = [Entry((Tx(250_00, "T1"),), DAY, "E1")]
    data = camt_bytes([], kind="053", version="08", statement=Statement(entries))
    return data.replace(IBAN.encode(), iban.encode())


def test_a_statement_for_an_account_that_is_not_ours_is_refused_naming_it(engine):
    with pytest.raises(BankFileInvalid) as err:
        import_ours(engine, _statement(), "theirs.053.xml")
    assert f"kontot {THEIRS} är inte vårt" in err.value.message
    assert f"kassan bank-accounts add {THEIRS}" in err.value.message
    assert err.value.errors[0].field == "account"
    assert set(_stored(engine).values()) == {0}


def test_the_same_statement_is_imported_once_the_account_is_ours(engine):
    with engine.begin() as conn:
        bank_accounts.add(conn, "CH93 0076 2011 6238 5295 7", "1930", "Schweiziskt konto")
    result = import_ours(engine, _statement(), "ours.053.xml")
    assert result.counts.booked_count == 1


def test_a_statement_without_entries_for_another_account_is_refused_too(engine):
    data = camt_bytes([], kind="053", version="08", statement=Statement([]))
    with pytest.raises(BankFileInvalid, match="inte vårt"):
        import_ours(engine, data.replace(IBAN.encode(), THEIRS.encode()), "tom.053.xml")
    assert set(_stored(engine).values()) == {0}


def test_a_removed_account_is_no_longer_ours(engine):
    with engine.begin() as conn:
        bank_accounts.remove(conn, IBAN)
    with pytest.raises(BankFileInvalid, match=f"kontot {IBAN} är inte vårt"):
        import_ours(engine, _statement(IBAN), "ours.053.xml")


@pytest.mark.parametrize("config", [None, {"BANKGIRO": "5050-1055"}])
def test_a_bgmax_file_for_another_bankgiro_is_refused(engine, config):
    with pytest.raises(BankFileInvalid, match="bankgirot 9912346 är inte vårt"):
        import_file(engine, BGMAX.read_bytes(), BGMAX.name, mail_config=config)
    assert set(_stored(engine).values()) == {0}


def test_a_camt_notification_for_another_bankgiro_is_refused(engine):
    data = camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")])
    with pytest.raises(BankFileInvalid, match="kontot 9912346 är inte vårt"):
        import_file(engine, data, "bg.054.xml", mail_config={"BANKGIRO": "5050-1055"})
    assert import_file(engine, data, "bg.054.xml", mail_config=OURS).counts.booked_count == 1


@pytest.mark.parametrize(
    "config", [None, {"SWISH_PAYEE_NUMBER": "1231181189", "SWISH_MERCHANT_NUMBER": "1234679304"}]
)
def test_a_swish_report_for_another_swish_number_is_refused(engine, config):
    with pytest.raises(BankFileInvalid, match="Swishnumret 1235524400 är inte vårt"):
        import_file(engine, SWISH.read_bytes(), SWISH.name, mail_config=config)
    assert set(_stored(engine).values()) == {0}


def test_a_swish_report_for_our_merchant_number_is_imported(engine):
    result = import_file(
        engine, SWISH.read_bytes(), SWISH.name, mail_config={"SWISH_MERCHANT_NUMBER": "1235524400"}
    )
    assert result.counts.line_count > 0


def test_kassan_import_refuses_another_account_with_exit_1_and_stores_nothing(
    cli, engine, tmp_path
):
    path = tmp_path / "theirs.053.xml"
    path.write_bytes(_statement())
    result = cli.invoke(kassan, ["import", str(path)])
    assert result.exit_code == 1
    assert f"kontot {THEIRS} är inte vårt" in result.output
    assert set(_stored(engine).values()) == {0}


def _balance(engine: Engine, account: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT coalesce(sum(debit_ore - credit_ore), 0) FROM journal_lines "
                "WHERE account = :a"
            ),
            {"a": account},
        ).scalar_one()


def test_each_account_books_to_its_own_ledger_account(engine):
    second = "SE3550000000054910000003"
    with engine.begin() as conn:
        # 1940 as a SIE import of the organisation's chart would have added it
        conn.execute(
            text(
                "INSERT INTO accounts (code, name, type, normal_side, active) "
                "VALUES ('1940', 'Övriga bankkonton', 'asset', 'debit', true)"
            )
        )
        bank_accounts.add(conn, second, "1940", "Sparkonto")
    first = import_ours(engine, _statement(IBAN), "foretag.053.xml")
    other = _statement(second).replace(b"T1", b"T2").replace(b"E1", b"E2")
    saved = import_ours(engine, other, "spar.053.xml")
    assert (first.counts.booked_count, saved.counts.booked_count) == (1, 1)
    assert (_balance(engine, "1930"), _balance(engine, "1940")) == (250_00, 250_00)
    assert (first.cash_ore, saved.cash_ore) == (250_00, 250_00)
    again = import_ours(engine, other.replace(b"<MsgId>", b"<MsgId>X"), "spar-igen.053.xml")
    assert (again.counts.booked_count, again.counts.confirmed_count) == (0, 1)
    assert _balance(engine, "1940") == 250_00
    # each statement's closing balance is set beside its own ledger account, not 1930 for all
    with engine.begin() as conn:
        posting.post(conn, gift(100_00, on=DAY))  # 1930 alone moves: 350 kr against 1940's 250
    with engine.connect() as conn:
        checks = [bank_reconciliation.import_report(conn, r.id).accounts for r in (first, saved)]
    assert [c.ledger_ore for (c,) in checks] == [350_00, 250_00]


def test_a_bgmax_deposit_in_euro_is_refused_and_nothing_is_booked(engine):
    """The books are kept in kronor: a deposit in EUR booked on 1930 would be left out of the
    trial balance (issue 11). Bankgirot's own sample with its opening record (TK05) in EUR."""
    raw = BGMAX.read_bytes()  # 80-character records, no line breaks
    records = [raw[i : i + 80] for i in range(0, len(raw), 80)]
    tk05 = next(i for i, r in enumerate(records) if r.startswith(b"05"))
    assert records[tk05][22:25] == b"SEK"
    records[tk05] = records[tk05][:22] + b"EUR" + records[tk05][25:]
    data = b"".join(records)
    with pytest.raises(BankFileInvalid) as err:
        import_ours(engine, data, "euro.txt")
    fault = err.value.errors[0]
    assert (fault.file, fault.field) == ("euro.txt", "currency")
    assert fault.line is not None
    assert "i EUR, inte i kronor (SEK)" in fault.message and "inget bokfördes" in fault.message
    assert set(_stored(engine).values()) == {0}


def test_one_file_for_two_of_our_accounts_books_each_line_to_its_own_ledger_account(engine):
    second = "SE3550000000054910000003"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (code, name, type, normal_side, active) "
                "VALUES ('1940', 'Övriga bankkonton', 'asset', 'debit', true)"
            )
        )
        bank_accounts.add(conn, second, "1940", "Sparkonto")
    ours = _statement(IBAN)
    saving = _statement(second).replace(b"T1", b"T2").replace(b"E1", b"E2")
    saving = saving.replace(b"<Id>053-1</Id>", b"<Id>053-2</Id>")
    stmt = saving[saving.index(b"<Stmt>") : saving.index(b"</Stmt>") + len(b"</Stmt>")]
    both = ours.replace(b"</Stmt>", b"</Stmt>\n" + stmt, 1)
    result = import_ours(engine, both, "tva-konton.053.xml")
    assert (result.counts.line_count, result.counts.booked_count) == (2, 2) and result.ok
    assert (_balance(engine, "1930"), _balance(engine, "1940")) == (250_00, 250_00)
    assert result.cash_ore == 250_00  # the bank account's balance: the file names two
