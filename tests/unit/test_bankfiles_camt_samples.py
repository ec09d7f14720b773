"""camt files nobody on this project wrote (``../shared/samples/camt``: the test data of
genkgo/camt and kedder/ofxstatement-iso20022): each is read whole or refused with one clear
message, never a traceback; their own totals (Bal elements, TxsSummry) are the test's figures.

Most of them are accounts in EUR or CHF, which Kassan refuses; to check how their real shapes
are read, some tests turn their currency into SEK in memory (the file on disk stays as it is).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from webhooks.bankfiles import parse_camt
from webhooks.bankfiles.detect import detect, parse
from webhooks.errors import BankFileInvalid

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "camt"

FOREIGN = "konton i annan valuta stöds inte ännu"
# file -> (field of its one error, words of the message); None: read whole.
EXPECTED: dict[str, tuple[str, str] | None] = {
    "genkgo__camt053.v2.all-balance-types.xml": ("Bal/OPBD", "förs i EUR"),
    "genkgo__camt053.v2.five.decimals.xml": ("Acct/Ccy", "förs i EUR"),
    "genkgo__camt053.v2.minimal.ultimate.xml": ("Acct/Ccy", "förs i EUR"),
    "genkgo__camt053.v2.minimal.xml": ("Acct/Ccy", "förs i EUR"),
    "genkgo__camt053.v2.multi.statement.xml": ("Acct/Ccy", "förs i EUR"),
    "genkgo__camt053.v2.with-account-name.xml": ("Ntry/Amt", "förs i EUR"),
    "genkgo__camt053.v2.with-party-ids.xml": ("Acct/Ccy", "förs i EUR"),
    "genkgo__camt053.v2.wrong.xml": ("Stmt", "camt.053 utan något kontoutdrag"),
    "genkgo__camt053.v3.xml": ("Acct/Ccy", "förs i EUR"),
    "genkgo__camt053.v4.xml": ("Bal/OPBD", "förs i EUR"),
    "genkgo__camt053.v8.xml": ("Bal/OPBD", "förs i EUR"),
    "genkgo__camt054.v2.with-account-name.xml": ("BookgDt", "(ValDt) saknas"),
    "genkgo__camt054.v2.xml": None,
    "genkgo__camt054.v4.xml": ("Btch/NbOfTxs", "säger 2 transaktioner (NbOfTxs) men har 3"),
    "genkgo__camt054.v8-with-UETR.xml": ("BookgDt", "(ValDt) saknas"),
    "genkgo__camt054.v8-with-financial-institution.xml": ("BookgDt", "(ValDt) saknas"),
    "genkgo__camt054.v8.xml": ("Btch/NbOfTxs", "säger 2 transaktioner (NbOfTxs) men har 3"),
    "ofxiso__camt052.xml": ("Document", "camt.052 är en dagsrapport"),
    "ofxiso__camt053.xml": ("Acct/Ccy", "förs i CHF"),
    "ofxiso__davider80.xml": ("Bal/OPBD", "förs i CHF"),
    "ofxiso__gcamp6.xml": ("Bal/OPBD", "förs i XXX"),
    "ofxiso__simple.xml": ("Acct/Ccy", "förs i EUR"),
}


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _in_kronor(data: bytes) -> bytes:
    return re.sub(rb'(Ccy="|<Ccy>)(EUR|CHF|XXX)', rb"\1SEK", data)


def _errors(data: bytes, name: str = "fil.xml") -> list:
    with pytest.raises(BankFileInvalid) as caught:
        parse(data, name)
    return list(caught.value.errors)


def _balances(data: bytes) -> list[tuple[int, int]]:
    """(opening, closing) in öre per statement, read from the file's own Bal elements."""
    out = []
    for stmt in etree.fromstring(data).iter("{*}Stmt"):
        found = {}
        for bal in stmt.iter("{*}Bal"):
            code = bal.findtext("{*}Tp/{*}CdOrPrtry/{*}Cd")
            sign = -1 if bal.findtext("{*}CdtDbtInd") == "DBIT" else 1
            found[code] = sign * round(float(bal.findtext("{*}Amt")) * 100)
        out.append((found.get("OPBD", found.get("PRCD")), found["CLBD"]))
    return out


def test_every_sample_file_is_listed():
    assert sorted(p.name for p in SAMPLES.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_is_read_whole_or_refused_with_one_clear_message(name):
    data = _sample(name)
    expected = EXPECTED[name]
    if expected is None:
        assert parse(data, name).lines
        return
    (error,) = _errors(data, name)
    field, words = expected
    assert (error.file, error.field) == (name, field)
    assert words in error.message
    if "förs i" in words:
        assert FOREIGN in error.message
        assert error.line is not None


def test_a_batch_whose_details_carry_no_amounts_is_one_line_for_the_desk():
    # ISO 20022's own example: one debit of 200 000 kr, three TxDtls without amounts.
    parsed = parse_camt(_sample("genkgo__camt054.v2.xml"), "n.xml")
    assert parsed.file.accounts == ("CH2801234000123456789",)
    (line,) = parsed.lines
    assert line.amount.ore == -200_000_00
    assert line.detail("batch") == "3"
    assert line.key == "bank:AAAASESS-FP-ACCR001"
    assert line.account == "CH2801234000123456789"


def test_a_payment_in_eur_into_a_chf_account_is_refused_not_a_traceback():
    data = _sample("ofxiso__camt053.xml")
    assert b'Ccy="EUR"' in data or b"<Ccy>CHF</Ccy>" in data
    (error,) = _errors(data)
    assert "kontot 0035-2915203-10-000 förs i CHF" in error.message


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("ofxiso__davider80.xml", 16),
        ("ofxiso__simple.xml", 4),
        ("ofxiso__camt053.xml", 1),
        ("genkgo__camt053.v2.multi.statement.xml", 2),
    ],
)
def test_real_statements_in_kronor_balance_against_their_own_bal_elements(name, count):
    data = _in_kronor(_sample(name))
    parsed = parse_camt(data, name)
    assert len(parsed.lines) == count
    assert len({line.key for line in parsed.lines}) == count
    net = sum(line.amount.ore for line in parsed.lines)
    assert net == sum(closing - opening for opening, closing in _balances(data))
    assert [(b.opening.ore, b.closing.ore) for b in parsed.file.balances] == _balances(data)
    assert all(control.ok for control in parsed.file.controls)


def test_keys_come_from_the_transaction_else_its_end_to_end_id_else_the_entry():
    simple = parse_camt(_in_kronor(_sample("ofxiso__simple.xml"))).lines
    assert [line.key for line in simple] == [
        "bank:FC1261858984",
        "bank:FC1262466699",
        "bank:FC1260573114",
        "bank:FC1260573115",
    ]
    multi = parse_camt(_in_kronor(_sample("genkgo__camt053.v2.multi.statement.xml"))).lines
    assert [line.key for line in multi] == ["e2e:000000001", "e2e:000000002"]
    davider = parse_camt(_in_kronor(_sample("ofxiso__davider80.xml"))).lines
    assert davider[0].key == "bank:210564431020000000024556150000"


def test_an_amount_instructed_in_another_currency_stays_on_the_line_beside_the_kronor():
    data = _in_kronor(_sample("ofxiso__simple.xml"))
    data = re.sub(rb'(<InstdAmt>\s*<Amt Ccy=")SEK', rb"\1EUR", data)
    lines = parse_camt(data).lines
    assert [line.amount.ore for line in lines] == [-29, -29, -2819, -15224]
    assert [line.detail("instructed_amount") for line in lines] == [
        "0.29",
        "0.29",
        "28.19",
        "152.24",
    ]
    assert {line.detail("instructed_currency") for line in lines} == {"EUR"}


def test_a_file_without_any_reference_is_refused_naming_what_is_missing():
    (error,) = _errors(_in_kronor(_sample("genkgo__camt053.v2.minimal.xml")))
    assert error.field == "AcctSvcrRef"
    assert "varken transaktionen" in error.message


def test_the_uetr_names_the_payment_and_the_value_day_stands_in_for_the_booking_day():
    data = _sample("genkgo__camt054.v8-with-UETR.xml")
    data = data.replace(b"</Sts>", b"</Sts><ValDt><Dt>2007-10-19</Dt></ValDt>", 1)
    (line,) = parse_camt(data).lines
    assert line.key == "uetr:255ae394-9965-4438-ac86-f406feada396"
    assert line.booking_date.isoformat() == line.value_date.isoformat() == "2007-10-19"


def test_an_unbalanced_statement_gives_one_message_not_two():
    (error,) = _errors(_in_kronor(_sample("ofxiso__gcamp6.xml")))
    assert error.field == "Bal/CLBD"
    assert "13010.00" in error.message and "10000.00" in error.message


@pytest.mark.parametrize(
    ("old", "new", "field", "figures"),
    [
        (
            b"<Sum>1284.30</Sum>",
            b"<Sum>1284.31</Sum>",
            "TxsSummry/TtlNtries/Sum",
            ("1284.31", "1284.30"),
        ),
        (
            b"<NbOfNtries>1</NbOfNtries>",
            b"<NbOfNtries>2</NbOfNtries>",
            "TxsSummry/TtlNtries/NbOfNtries",
            ("2", "1"),
        ),
        (
            b"<Amt>1284.30</Amt>",
            b"<Amt>1284.00</Amt>",
            "TxsSummry/TtlNtries/TtlNetNtry",
            ("1284.00", "1284.30"),
        ),
    ],
)
def test_a_summary_that_disagrees_with_the_entries_is_refused_with_both_figures(
    old, new, field, figures
):
    data = _in_kronor(_sample("ofxiso__camt053.xml")).replace(old, new, 1)
    (error,) = _errors(data, "x.xml")
    assert error.field == field
    assert error.line is not None
    said, read = figures
    assert "filen säger" in error.message and said in error.message and read in error.message


def test_a_camt052_is_told_apart_and_refused_saying_what_it_is():
    data = _sample("ofxiso__camt052.xml")
    assert detect(data) == "camt.052"
    (error,) = _errors(data)
    assert error.message.startswith("camt.052 är en dagsrapport")


NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
BODY = (
    f'<Document xmlns="{NS}"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>&x;</MsgId>'
    "<CreDtTm>2026-12-01T06:00:00</CreDtTm></GrpHdr></BkToCstmrDbtCdtNtfctn></Document>\n"
)
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE Document [\n<!ENTITY a0 "lol">\n'
    + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">\n' for i in range(1, 10))
    + '<!ENTITY x "&a9;">\n]>\n'
    + BODY
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n' + BODY
)


@pytest.mark.parametrize("text", [LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_a_file_with_a_doctype_is_refused_before_any_entity_is_read(text):
    (error,) = _errors(text.encode())
    assert error.field == "DOCTYPE"
    assert "DOCTYPE" in error.message


def test_an_entity_reference_without_a_doctype_is_refused_by_name():
    (error,) = _errors(('<?xml version="1.0"?>\n' + BODY).encode())
    assert (error.field, error.line) == ("entity", 2)
    assert "entitetsreferens" in error.message
