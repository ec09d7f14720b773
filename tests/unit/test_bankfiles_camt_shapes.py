"""camt entries as banks write them (issue 11, rule 7), in generated files valid against the
official schema: reversals, batches without amounts, pending entries, foreign instructed
amounts, missing optional references and dates; and a property test over generated files."""

from __future__ import annotations

from functools import lru_cache

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ledger.money import Money
from tests.support.camt_files import DAY, Entry, Statement, Tx, camt_bytes, xsd_path
from webhooks.bankfiles import parse_camt


@lru_cache(maxsize=8)
def _schema(kind: str, version: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd_path(kind, version))))


def _valid(kind: str, version: str, entries: list[Entry]) -> bytes:
    data = camt_bytes(entries, kind=kind, version=version, statement=Statement(entries))
    schema = _schema(kind, version)
    if not schema.validate(etree.fromstring(data)):
        raise AssertionError(f"generated file is not valid: {schema.error_log}")
    return data


def test_a_reversal_books_the_negative_of_the_original_under_a_key_derived_from_it():
    original = Entry((Tx(25000, "BG-1"),), DAY, "N-1")
    reversal = Entry((Tx(-25000, "BG-1"),), DAY, "N-2", reversal=True)
    lines = parse_camt(_valid("053", "08", [original, reversal])).lines
    assert [(line.key, line.amount) for line in lines] == [
        ("bank:BG-1", Money(25000)),
        ("bank:BG-1:reversal", Money(-25000)),
    ]
    assert lines[1].detail("reverses") == "bank:BG-1"
    assert lines[0].detail("reverses") is None


def test_a_batch_without_amounts_is_one_line_and_one_transaction_of_a_batch_is_booked():
    batch = Entry((Tx(100, "A", no_amount=True), Tx(200, "B", no_amount=True)), DAY, "N-1")
    one = Entry((Tx(700, None, e2e="E2E-7", no_amount=True),), DAY, "N-2")
    lines = parse_camt(_valid("054", "08", [batch, one])).lines
    assert [(line.key, line.amount.ore, line.detail("batch")) for line in lines] == [
        ("bank:N-1", 300, "2"),
        ("e2e:E2E-7", 700, None),
    ]


def test_an_entry_that_declares_more_transactions_than_it_details_is_not_split():
    entry = Entry((Tx(5000, "ONE"),), DAY, "N-1", batch_count=4)
    (line,) = parse_camt(_valid("054", "08", [entry])).lines
    assert (line.key, line.amount.ore, line.detail("batch")) == ("bank:N-1", 5000, "4")


def test_details_sharing_one_reference_each_get_their_position():
    entry = Entry((Tx(100, "SHARED"), Tx(200, "SHARED"), Tx(300, "OWN")), DAY, "N-1")
    lines = parse_camt(_valid("053", "08", [entry])).lines
    assert [line.key for line in lines] == ["bank:SHARED:1", "bank:SHARED:2", "bank:OWN"]


def test_without_any_acctsvcrref_the_entry_reference_and_position_name_the_payment():
    entry = Entry((Tx(100, None), Tx(200, None)), DAY, None, ntry_ref="R7")
    lines = parse_camt(_valid("054", "08", [entry])).lines
    assert [line.key for line in lines] == [
        "ntry:9912346:2026-12-01:R7:1",
        "ntry:9912346:2026-12-01:R7:2",
    ]


def test_a_repeated_end_to_end_id_in_one_file_still_gives_two_keys():
    entries = [Entry((Tx(100, None, e2e="INV-1"),), DAY, None) for _ in range(2)]
    lines = parse_camt(_valid("054", "08", entries)).lines
    assert [line.key for line in lines] == ["e2e:INV-1", "e2e:INV-1#2"]


def test_pending_entries_are_counted_as_skipped_not_booked():
    entries = [
        Entry((Tx(100, "B"),), DAY, "N-1"),
        Entry((Tx(200, "P"),), DAY, "N-2", status="PDNG"),
        Entry((Tx(300, "I"),), DAY, "N-3", status="INFO"),
    ]
    parsed = parse_camt(_valid("054", "08", entries))
    assert [line.key for line in parsed.lines] == ["bank:B"]
    assert parsed.file.skipped == 2


def test_a_foreign_instructed_amount_stays_on_the_line_booked_in_kronor():
    entry = Entry((Tx(11_500, "FX", instructed=(1000, "EUR")),), DAY, "N-1")
    for version in ("02", "08"):
        (line,) = parse_camt(_valid("054", version, [entry])).lines
        assert line.amount == Money(11_500)
        assert line.detail("instructed_amount") == "10.00"
        assert line.detail("instructed_currency") == "EUR"


def test_the_value_day_stands_in_for_a_missing_booking_day():
    entry = Entry((Tx(100, "V"),), DAY, "N-1", no_booking_date=True)
    (line,) = parse_camt(_valid("053", "08", [entry])).lines
    assert line.booking_date == line.value_date == DAY


payment = st.tuples(
    st.integers(min_value=1, max_value=5_000_000),
    st.sampled_from(["own", "e2e", "none"]),
    st.booleans(),  # a foreign instructed amount
)


@settings(max_examples=60, deadline=None)
@given(
    groups=st.lists(
        st.tuples(
            st.lists(payment, min_size=1, max_size=4), st.sampled_from([1, -1]), st.booleans()
        ),
        min_size=1,
        max_size=8,
    ),
    kind=st.sampled_from(["053", "054"]),
    version=st.sampled_from(["02", "08"]),
    shared_entry_ref=st.booleans(),
)
def test_every_generated_payment_is_one_line_with_a_unique_key_and_its_amount(
    groups, kind, version, shared_entry_ref
):
    entries = []
    for i, (payments, sign, booking_day) in enumerate(groups):
        txs = tuple(
            Tx(
                sign * ore,
                f"T{i}-{j}" if how == "own" else None,
                e2e=f"E{i}-{j}" if how == "e2e" else None,
                instructed=(ore // 11 + 1, "EUR") if fx else None,
            )
            for j, (ore, how, fx) in enumerate(payments)
        )
        # Entry references shared by every entry: a bank that repeats them is still read.
        ref = "SAME" if shared_entry_ref and i % 2 else f"N{i}"
        entries.append(Entry(txs, DAY, None, ntry_ref=ref, no_booking_date=not booking_day))
    data = _valid(kind, version, entries)
    parsed = parse_camt(data)
    expected = [tx for entry in entries for tx in entry.txs]
    assert [line.amount.ore for line in parsed.lines] == [tx.amount_ore for tx in expected]
    assert len({line.key for line in parsed.lines}) == len(expected)
    assert [line.detail("instructed_currency") for line in parsed.lines] == [
        "EUR" if tx.instructed else None for tx in expected
    ]
    assert sum(line.amount.ore for line in parsed.lines) == sum(e.total for e in entries)
    if kind == "053":
        (balance,) = parsed.file.balances
        assert balance.closing.ore - balance.opening.ore == sum(
            line.amount.ore for line in parsed.lines
        )
