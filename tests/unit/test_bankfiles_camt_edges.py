"""camt at its edges (``webhooks.bankfiles.camt`` and ``camt_totals``): the file's header and
totals, balances written in other ways, a transaction summary held against the entries, and
every refusal naming its line, field and what was wrong."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from ledger.money import Money
from tests.support.camt_files import IBAN, Entry, Statement, Tx, camt_bytes
from webhooks.bankfiles import camt, parse_camt
from webhooks.bankfiles.camt_totals import Tally
from webhooks.errors import BankFileInvalid

DAY = date(2026, 12, 1)
NEXT = date(2026, 12, 2)


def _statement(entries: list[Entry], **kwargs: object) -> bytes:
    return camt_bytes(entries, kind="053", statement=Statement(entries), **kwargs)


def _refused(data: bytes) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(BankFileInvalid) as caught:
        parse_camt(data, "dag.xml")
    assert all(e.file == "dag.xml" for e in caught.value.errors)
    return [(e.line, e.field, e.message) for e in caught.value.errors]


def _line_of(data: bytes, text: bytes) -> int:
    return data[: data.index(text)].count(b"\n") + 1


def test_a_statements_header_totals_period_and_balances_are_its_own():
    entries = [
        Entry((Tx(300_00, "T1"),), DAY, "E1"),
        Entry((Tx(-120_00, "T2"),), NEXT, "E2"),
        Entry((Tx(50_00, "T3"),), NEXT, "E3", status="PDNG"),
    ]
    parsed = parse_camt(_statement(entries))
    file = parsed.file
    assert (file.format, file.currency, file.accounts) == ("camt.053.001.02", "SEK", (IBAN,))
    assert file.created_at == datetime(2026, 12, 1, 6, 0)
    assert (file.line_count, file.skipped) == (2, 1)
    assert (file.credit_total, file.debit_total) == (Money(300_00), Money(-120_00))
    assert (file.period_start, file.period_end) == (DAY, NEXT)
    (balance,) = file.balances
    assert (balance.account, balance.opening, balance.closing) == (
        IBAN,
        Money(1_000_000),
        Money(1_000_000 + 300_00 - 120_00),
    )
    assert (balance.opening_date, balance.closing_date) == (DAY, DAY)
    assert [(c.what, c.declared, c.computed) for c in file.controls] == [
        (f"{IBAN}: utgående saldo (öre)", 1_018_000, 1_018_000)
    ]


def test_a_balance_without_a_currency_is_in_kronor_and_one_dated_by_time_has_its_day():
    data = _statement([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = re.sub(rb'(<Bal>.*?)<Amt Ccy="SEK">', rb"\1<Amt>", data)
    data = data.replace(
        b"<Dt><Dt>2026-12-01</Dt></Dt>", b"<Dt><DtTm>2026-12-02T23:59:00</DtTm></Dt>"
    )
    (balance,) = parse_camt(data).file.balances
    assert (balance.opening, balance.closing) == (Money(1_000_000), Money(1_030_000))
    assert (balance.opening_date, balance.closing_date) == (NEXT, NEXT)


def test_a_balance_in_debit_is_negative():
    entries = [Entry((Tx(300_00, "T1"),), DAY, "E1")]
    data = camt_bytes(
        entries, kind="053", statement=Statement(entries, opening_ore=-500_00)
    )  # an overdrawn account
    (balance,) = parse_camt(data).file.balances
    assert (balance.opening, balance.closing) == (Money(-500_00), Money(-200_00))


def test_a_creation_time_that_is_no_time_is_refused_at_its_line():
    data = _statement([Entry((Tx(300_00, "T1"),), DAY, "E1")], created="igår")
    assert (
        _line_of(data, b"<GrpHdr>"),
        "CreDtTm",
        "CreDtTm är ingen tidpunkt: 'igår'",
    ) in _refused(data)


def test_a_statement_without_balances_is_refused_naming_them():
    data = _statement([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = re.sub(rb"<Bal>.*?</Bal>\n", b"", data)
    assert _refused(data) == [
        (
            _line_of(data, b"<Stmt>"),
            "Bal",
            "kontoutdraget saknar ingående (OPBD/PRCD) eller utgående (CLBD) saldo, så det "
            "går inte att se att posterna stämmer mot banken",
        )
    ]


def test_an_entry_whose_transaction_is_on_another_amount_is_refused_with_both_amounts():
    entries = [Entry((Tx(100_00, "T1"),), DAY, "E1", amount_ore=200_00)]
    data = camt_bytes(entries)
    (error,) = _refused(data)
    assert error[0] == _line_of(data, b"<Ntry>")
    assert error[2] == "transaktionen är på 100.00, posten är på 200.00"


def test_past_the_most_errors_kept_the_rest_are_counted(monkeypatch):
    monkeypatch.setattr(camt, "_MAX_ERRORS", 2)
    entries = [Entry((Tx(100_00, f"T{i}"),), DAY, f"E{i}", amount_ore=200_00) for i in range(1, 5)]
    errors = _refused(camt_bytes(entries))
    assert len(errors) == 3
    assert errors[2] == (None, None, "och 2 fel till")


def test_an_account_in_another_currency_is_refused_once_naming_it():
    data = camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")]).replace(
        b"<Ccy>SEK</Ccy>", b"<Ccy>EUR</Ccy>"
    )
    errors = _refused(data)
    assert len(errors) == 1
    assert errors[0][1] == "Acct/Ccy"
    assert errors[0][2].startswith("kontot 9912346 förs i EUR, inte i kronor (SEK)")


def _summary_tally() -> Tally:
    tally = Tally()
    tally.add({"Amt": "300.00", "CdtDbtInd": "CRDT"}, True)
    tally.add({"Amt": "120.00", "CdtDbtInd": "DBIT"}, True)
    tally.add({"Amt": "0.50", "CdtDbtInd": "DBIT"}, True)
    tally.add({"Amt": "50.00", "CdtDbtInd": "CRDT"}, False)  # pending
    tally.add({"Amt": "abc", "CdtDbtInd": "CRDT"}, True)  # unreadable: counted, not summed
    return tally


def test_a_summary_that_agrees_with_the_entries_gives_every_control():
    summary = {
        "TtlNtries/NbOfNtries": "5",
        "TtlNtries/Sum": "470.50",
        "TtlCdtNtries/NbOfNtries": "2",
        "TtlCdtNtries/Sum": "350.00",
        "TtlDbtNtries/NbOfNtries": "2",
        "TtlDbtNtries/Sum": "120.50",
        "TtlNtries/TtlNetNtry/Amt": "229.50",
        "TtlNtries/TtlNetNtry/CdtDbtInd": "CRDT",
    }
    controls, errors = _summary_tally().check_summary(summary, "K")
    assert errors == []
    assert [(c.what, c.declared, c.computed) for c in controls] == [
        ("K: antal poster", 5, 5),
        ("K: summa poster (öre)", 47050, 47050),
        ("K: antal insättningar", 2, 2),
        ("K: summa insättningar (öre)", 35000, 35000),
        ("K: antal uttag", 2, 2),
        ("K: summa uttag (öre)", 12050, 12050),
        ("K: nettobelopp (öre)", 22950, 22950),
    ]


def test_a_summary_counting_only_booked_entries_agrees_too():
    summary = {
        "TtlCdtNtries/NbOfNtries": "1",
        "TtlCdtNtries/Sum": "300.00",
        "TtlNtries/TtlNetNtryAmt": "179.50",
        "TtlNtries/CdtDbtInd": "CRDT",
    }
    controls, errors = _summary_tally().check_summary(summary, "K")
    assert errors == []
    assert [(c.declared, c.computed) for c in controls] == [(1, 1), (30000, 30000), (17950, 17950)]


def test_a_summary_that_disagrees_is_refused_with_both_figures():
    summary = {
        "TtlDbtNtries/NbOfNtries": "3",
        "TtlNtries/Sum": "471.00",
        "TtlNtries/TtlNetNtry/Amt": "230.00",
        "TtlNtries/TtlNetNtry/CdtDbtInd": "DBIT",
        "TtlCdtNtries/NbOfNtries": "två",
    }
    _, errors = _summary_tally().check_summary(summary, "K")
    assert errors == [
        (
            "TxsSummry/TtlNtries/Sum",
            "filen säger summa poster 471.00, men filens poster ger 420.50",
        ),
        ("TxsSummry/TtlCdtNtries/NbOfNtries", "antal insättningar är inget tal: 'två'"),
        ("TxsSummry/TtlDbtNtries/NbOfNtries", "filen säger antal uttag 3, men filens poster ger 2"),
        (
            "TxsSummry/TtlNtries/TtlNetNtry",
            "filen säger nettobelopp -230.00, men filens poster ger 179.50",
        ),
    ]


def _one_line(data: bytes):
    (line,) = parse_camt(data).lines
    return line


def test_a_camt_line_keeps_the_banks_references_for_the_desk():
    tx = Tx(300_00, "T1", e2e="E2E-1", clearing_ref="C1", name="Anna", account="3783511")
    line = _one_line(camt_bytes([Entry((tx,), DAY, "E1")]))
    assert dict(line.raw) == {
        "entry_ref": "E1",
        "tx_ref": "T1",
        "clearing_ref": "C1",
        "end_to_end_id": "E2E-1",
        "bank_tx_code": "BGINBET",
    }
    assert (line.key, line.payer_name, line.payer_account) == ("bank:T1", "Anna", "3783511")


def test_money_out_names_the_payee_as_the_other_party():
    tx = Tx(-120_00, "T1", name="Elbolaget", account="5050-1055")
    line = _one_line(camt_bytes([Entry((tx,), DAY, "E1")]))
    assert (line.amount, line.payer_name, line.payer_account) == (
        Money(-120_00),
        "Elbolaget",
        "5050-1055",
    )


def test_a_swish_entry_known_by_its_additional_information_is_keyed_by_swishs_reference():
    tx = Tx(300_00, "T1", clearing_ref="1234567890123456")
    data = camt_bytes([Entry((tx,), DAY, "E1", swish=True)]).replace(
        b"<Cd>SWISH</Cd>", b"<Cd>BGINBET</Cd>"
    )
    line = _one_line(data)
    assert (line.channel, line.key) == ("swish", "swish:1234567890123456")


def test_a_reversal_marked_with_1_reverses_the_payment_it_names():
    data = camt_bytes([Entry((Tx(-300_00, "T1"),), DAY, "E1", reversal=True)])
    line = _one_line(data.replace(b"<RvslInd>true</RvslInd>", b"<RvslInd>1</RvslInd>"))
    assert line.key == "bank:T1:reversal"
    assert (line.detail("reverses"), line.detail("reversal")) == ("bank:T1", "1")


def test_a_creditor_reference_written_the_older_way_is_the_lines_reference():
    data = camt_bytes([Entry((Tx(300_00, "T1", ocr="1234567897"),), DAY, "E1")])
    data = data.replace(b"<Ref>1234567897</Ref>", b"<CdtrRef>1234567897</CdtrRef>")
    assert _one_line(data).reference == "1234567897"


def test_a_card_settlement_is_a_card_line():
    data = camt_bytes([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = data.replace(b"<Fmly><Cd>RCDT</Cd>", b"<Fmly><Cd>CCRD</Cd>")
    assert _one_line(data).channel == "card"


def test_a_transaction_known_only_by_the_agents_transaction_id_is_keyed_by_it():
    data = camt_bytes([Entry((Tx(300_00, None),), DAY, "E1")])
    data = data.replace(b"<EndToEndId>", b"<TxId>AGENT-7</TxId><EndToEndId>")
    assert _one_line(data).key == "txid:AGENT-7"


def test_a_statement_with_an_opening_but_no_closing_balance_is_refused():
    data = _statement([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = re.sub(rb"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd>.*?</Bal>\n", b"", data)
    (error,) = _refused(data)
    assert error[1] == "Bal"


def test_a_batch_netting_a_payment_out_against_payments_in_keeps_each_sign():
    txs = (Tx(300_00, "T1"), Tx(-100_00, "T2"))
    data = camt_bytes([Entry(txs, DAY, "E1")], version="08")
    assert [line.amount for line in parse_camt(data).lines] == [Money(300_00), Money(-100_00)]


def test_an_amount_or_indicator_that_cannot_be_read_is_refused_saying_what_it_was():
    data = camt_bytes([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    comma = data.replace(b'<Amt Ccy="SEK">300.00</Amt>', b'<Amt Ccy="SEK">300,00</Amt>', 1)
    ((_, field, message),) = _refused(comma)
    assert (field, message) == ("Amt", "beloppet är inget belopp i öre: '300,00'")
    sideways = data.replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>UPP</CdtDbtInd>", 1)
    ((_, field, message),) = _refused(sideways)
    assert (field, message) == ("CdtDbtInd", "CdtDbtInd ska vara CRDT eller DBIT, är 'UPP'")


def test_a_payment_without_any_reference_is_refused_naming_the_references_looked_for():
    data = camt_bytes([Entry((Tx(300_00, None),), DAY, None)])
    ((_, field, message),) = _refused(data)
    assert (field, message) == (
        "AcctSvcrRef",
        "betalningen saknar referens: varken transaktionen (AcctSvcrRef, UETR, TxId, "
        "EndToEndId) eller posten (AcctSvcrRef, NtryRef) har någon",
    )


def test_an_account_without_a_number_in_another_currency_is_named_as_such():
    data = camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")])
    data = re.sub(rb"<Acct>.*?</Acct>", b"<Acct><Ccy>EUR</Ccy></Acct>", data)
    ((_, field, message),) = _refused(data)
    assert field == "Acct/Ccy"
    assert message.startswith("kontot (utan nummer) förs i EUR, inte i kronor (SEK)")


def test_an_entry_of_issued_direct_debits_is_an_autogiro_line():
    data = camt_bytes([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = data.replace(b"<Fmly><Cd>RCDT</Cd>", b"<Fmly><Cd>IDDT</Cd>")
    assert _one_line(data).channel == "autogiro"


def test_without_the_banks_own_code_the_iso_sub_family_names_the_transaction():
    data = camt_bytes([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = re.sub(rb"<Prtry><Cd>BGINBET</Cd></Prtry>", b"", data)
    assert _one_line(data).detail("bank_tx_code") == "DMCT"


def test_a_bad_day_count_or_detail_amount_is_refused_naming_field_and_line():
    data = camt_bytes([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    bad_day = data.replace(b"<BookgDt><Dt>2026-12-01</Dt>", b"<BookgDt><Dt>2026-13-01</Dt>")
    ((_, field, message),) = _refused(bad_day)
    assert (field, message) == ("BookgDt", "BookgDt är inget datum: '2026-13-01'")
    batch = camt_bytes([Entry((Tx(100_00, "T1"), Tx(200_00, "T2")), DAY, "E1")])
    count = batch.replace(b"<NbOfTxs>2</NbOfTxs>", b"<NbOfTxs>tva</NbOfTxs>")
    ((_, field, message),) = _refused(count)
    assert (field, message) == ("Btch/NbOfTxs", "NbOfTxs är inget antal: 'tva'")
    detail = camt_bytes([Entry((Tx(300_00, "T1"),), DAY, "E1")], version="08")
    detail = detail.replace(b"<TxDtls>", b"<TxDtls>\n", 1)
    at = detail.rindex(b'<Amt Ccy="SEK">300.00</Amt>')  # the transaction's, after the entry's
    detail = detail[:at] + b'<Amt Ccy="SEK">3x</Amt>' + detail[at + 27 :]
    ((line, field, message),) = _refused(detail)
    assert line == _line_of(detail, b"<TxDtls>") and field == "Amt"


def test_an_older_summary_with_its_net_on_the_debit_side_is_read_as_negative():
    summary = {"TtlNtries/TtlNetNtryAmt": "179.50", "TtlNtries/CdtDbtInd": "DBIT"}
    _, errors = _summary_tally().check_summary(summary, "K")
    assert errors == [
        (
            "TxsSummry/TtlNtries/TtlNetNtry",
            "filen säger nettobelopp -179.50, men filens poster ger 179.50",
        )
    ]


def test_a_summary_counting_only_booked_entries_counts_every_booked_one_even_unreadable():
    # Five entries, four of them booked (one with an amount that cannot be read).
    controls, errors = _summary_tally().check_summary({"TtlNtries/NbOfNtries": "4"}, "K")
    assert errors == []
    assert [(c.what, c.declared, c.computed) for c in controls] == [("K: antal poster", 4, 4)]


def test_a_transaction_without_its_own_message_takes_the_entrys_additional_information():
    data = camt_bytes([Entry((Tx(300_00, "T1"),), DAY, "E1", info="Insamling julen")])
    assert _one_line(data).message == "Insamling julen"


def test_two_batches_known_by_one_entry_reference_get_two_keys():
    batch = (Tx(100_00, None, no_amount=True), Tx(200_00, None, no_amount=True))
    entries = [Entry(batch, DAY, None, ntry_ref="B1"), Entry(batch, DAY, None, ntry_ref="B1")]
    lines = parse_camt(camt_bytes(entries)).lines
    assert [(line.key, line.detail("batch")) for line in lines] == [
        ("ntry:9912346:2026-12-01:B1", "2"),
        ("ntry:9912346:2026-12-01:B1#2", "2"),
    ]


def test_an_amount_with_a_third_decimal_that_is_not_zero_is_refused_naming_field_and_line():
    data = camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")])
    data = data.replace(b'<Amt Ccy="SEK">100.00</Amt>', b'<Amt Ccy="SEK">100.001</Amt>', 1)
    ((line, field, message),) = _refused(data)
    assert (line, field, message) == (
        _line_of(data, b"<Ntry>"),
        "Amt",
        "beloppet är inget belopp i öre: '100.001'",
    )


def test_an_amount_without_a_currency_code_is_refused_naming_its_field_and_line():
    data = camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")])
    data = data.replace(b'<Amt Ccy="SEK">100.00</Amt>', b"<Amt>100.00</Amt>", 1)
    ((line, field, message),) = _refused(data)
    assert (line, field) == (_line_of(data, b"<Ntry>"), "Amt")
    assert message.startswith("beloppet '100.00' '' går inte att läsa: ")


def test_a_bad_instructed_amount_is_refused_at_its_transactions_line():
    tx = Tx(100_00, "T1", instructed=(9_00, "EUR"))
    data = camt_bytes([Entry((tx,), DAY, "E1")], version="08")
    data = data.replace(b"<TxDtls>", b"<TxDtls>\n", 1)
    data = data.replace(b'<Amt Ccy="EUR">9.00</Amt>', b'<Amt Ccy="EUR">9x</Amt>', 1)
    ((line, field, message),) = _refused(data)
    assert (line, field, message) == (
        _line_of(data, b"<TxDtls>"),
        "AmtDtls/InstdAmt/Amt",
        "beloppet är inget belopp i öre: '9x'",
    )


def test_a_balance_whose_day_is_no_date_is_refused_naming_its_line_not_a_crash():
    data = _statement([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = data.replace(b"<Dt><Dt>2026-12-01</Dt></Dt>", b"<Dt><Dt>2026-13-01</Dt></Dt>", 1)
    assert _refused(data) == [
        (
            _line_of(data, b"<Bal><Tp><CdOrPrtry><Cd>OPBD"),
            "Bal/OPBD/Dt",
            "saldots dag är inget datum: '2026-13-01'",
        )
    ]


def test_a_message_in_several_unstructured_lines_is_joined_with_a_space():
    data = camt_bytes([Entry((Tx(300_00, "T1", message="Gift to"),), DAY, "E1")])
    data = data.replace(
        b"<Ustrd>Gift to</Ustrd>", b"<Ustrd>Gift to</Ustrd><Ustrd>the school</Ustrd>"
    )
    assert _one_line(data).message == "Gift to the school"


def test_an_entry_the_bank_calls_autogiro_in_its_additional_information_is_an_autogiro_line():
    data = camt_bytes([Entry((Tx(300_00, "T1"),), DAY, "E1", info="Autogiro insättning")])
    assert _one_line(data).channel == "autogiro"


def test_a_previous_closing_balance_stands_for_a_missing_opening_balance():
    data = _statement([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = data.replace(b"<Cd>OPBD</Cd>", b"<Cd>PRCD</Cd>")
    (balance,) = parse_camt(data).file.balances
    assert (balance.opening, balance.closing) == (Money(1_000_000), Money(1_030_000))


def test_an_empty_account_currency_is_read_as_none_given_and_the_file_is_in_kronor():
    data = _statement([Entry((Tx(300_00, "T1"),), DAY, "E1")])
    data = data.replace(b"<Ccy>SEK</Ccy>", b"<Ccy></Ccy>")
    file = parse_camt(data).file
    assert (file.currency, file.accounts, file.line_count) == ("SEK", (IBAN,), 1)


def test_a_transactions_own_indicator_that_cannot_be_read_is_refused_at_its_line():
    data = camt_bytes([Entry((Tx(300_00, "T1"),), DAY, "E1")], version="08")
    data = data.replace(b"<TxDtls>", b"<TxDtls>\n", 1)
    at = data.rindex(b"<CdtDbtInd>CRDT</CdtDbtInd>")  # the transaction's, after the entry's
    data = data[:at] + b"<CdtDbtInd>UPP</CdtDbtInd>" + data[at + 27 :]
    assert _refused(data) == [
        (_line_of(data, b"<TxDtls>"), "CdtDbtInd", "CdtDbtInd ska vara CRDT eller DBIT, är 'UPP'")
    ]
