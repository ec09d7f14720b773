"""Our bank accounts (issue 11, rule 4): added with a checked IBAN or a Swedish clearing and
account number, stored normalised, each booking to an asset account of the chart."""

import pytest

from kassan.cli.main import main as kassan
from ledger.errors import BankAccountConflict, BankAccountInvalid, BankAccountNotFound
from ledger.services import bank_accounts
from tests.support.camt_files import IBAN as TEMPLATE_IBAN

IBAN = "SE3550000000054910000003"
TEMPLATE = {TEMPLATE_IBAN: "1930"}  # the test template's own account (tests/conftest.py)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("SE35 5000 0000 0549 1000 0003", IBAN),
        ("se3550000000054910000003", IBAN),
        ("CH93 0076 2011 6238 5295 7", "CH9300762011623852957"),
        ("6789-123456789", "6789-123456789"),
        ("8327-9, 123 456 789-0", "83279-1234567890"),
    ],
)
def test_an_account_is_stored_normalised(given, stored):
    assert bank_accounts.normalise(given) == stored


@pytest.mark.parametrize(
    "given",
    ["SE45 5000 0000 0583 9825 7467", "SE45 5000", "XX4550000000058398257466", "12-3", "hej"],
)
def test_a_wrong_iban_or_swedish_number_is_refused(given):
    with pytest.raises(BankAccountInvalid):
        bank_accounts.normalise(given)


def test_an_account_is_added_listed_and_removed(engine):
    with engine.begin() as conn:
        bank_accounts.add(conn, "SE35 5000 0000 0549 1000 0003", "1930", "Företagskonto")
        bank_accounts.add(conn, "6789-123456789", "1910")
    with engine.connect() as conn:
        assert bank_accounts.ledger_accounts(conn) == {
            **TEMPLATE,
            IBAN: "1930",
            "6789-123456789": "1910",
        }
    with engine.begin() as conn:
        assert bank_accounts.remove(conn, IBAN.lower()).name == "Företagskonto"
        assert bank_accounts.ledger_accounts(conn) == {**TEMPLATE, "6789-123456789": "1910"}
        with pytest.raises(BankAccountNotFound):
            bank_accounts.remove(conn, IBAN)


def test_the_same_account_twice_is_refused_however_it_is_written(engine):
    with engine.begin() as conn:
        bank_accounts.add(conn, IBAN, "1930")
    with pytest.raises(BankAccountConflict), engine.begin() as conn:
        bank_accounts.add(conn, "SE35 5000 0000 0549 1000 0003", "1930")


@pytest.mark.parametrize(("code", "why"), [("1999", "finns inte"), ("3993", "tillgångskonto")])
def test_the_ledger_account_must_be_an_asset_account_of_the_chart(engine, code, why):
    with pytest.raises(BankAccountInvalid, match=why), engine.begin() as conn:
        bank_accounts.add(conn, IBAN, code)
    with engine.connect() as conn:
        assert bank_accounts.ledger_accounts(conn) == TEMPLATE


def test_the_commands_add_list_and_remove_in_swedish(cli, engine):
    with engine.begin() as conn:
        bank_accounts.remove(conn, TEMPLATE_IBAN)
    added = cli.invoke(
        kassan, ["bank-accounts", "add", IBAN, "--account", "1930", "--name", "Bank"]
    )
    assert added.exit_code == 0, added.output
    assert added.output == f"bankkontot {IBAN} är vårt och bokförs på konto 1930\n"
    listed = cli.invoke(kassan, ["bank-accounts", "list"])
    assert listed.output == f"{IBAN}\t1930\tBank\n"
    again = cli.invoke(kassan, ["bank-accounts", "add", IBAN, "--account", "1930"])
    assert again.exit_code == 1 and "finns redan" in again.output
    wrong = cli.invoke(kassan, ["bank-accounts", "add", "SE00 1234", "--account", "1930"])
    assert wrong.exit_code == 1 and "inte ett giltigt IBAN" in wrong.output
    removed = cli.invoke(kassan, ["bank-accounts", "remove", IBAN])
    assert removed.exit_code == 0 and "inte längre vårt" in removed.output
    assert "inga bankkonton" in cli.invoke(kassan, ["bank-accounts", "list"]).output
