"""Property (issue 11, rules 1 and 3): for any sequence of camt files whose transactions share
references, repeat them with the same or another amount or day, or leave the reference out,
every import either is refused and changes nothing, or books exactly what its result says:

* the bank account moves by exactly the lines booked now;
* a line is "already booked" only when the line that booked its key says the same amount and
  day, and a line in conflict differs from it; neither moves money;
* the file's total = booked now + already booked + in conflict, and the import is ok exactly
  when nothing is in conflict.

Each example uses references of its own, so examples on the test's one database never meet.
"""

from __future__ import annotations

import itertools
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from ledger.chart import BANK
from ledger.db import tables as t
from tests.support.bank_accounts import import_ours as import_file
from tests.support.camt_files import Entry, Tx, camt_bytes
from webhooks.errors import BankFileInvalid

DAYS = (date(2026, 12, 1), date(2026, 12, 2))
_examples = itertools.count()

transaction = st.tuples(
    st.sampled_from(("A", "B", "C", None)),  # a reference shared within the example, or none
    st.sampled_from((100_00, 250_00, 1_000_00, -40_00)),
    st.sampled_from(DAYS),
)
files = st.lists(st.lists(transaction, min_size=1, max_size=5), min_size=1, max_size=3)


def _bank(engine: Engine) -> int:
    jl = t.journal_lines.c
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.coalesce(func.sum(jl.debit_ore - jl.credit_ore), 0)).where(
                    jl.account == BANK
                )
            ).scalar_one()
        )


def _lines(engine: Engine, import_id: int | None = None) -> list:
    b = t.bank_lines.c
    query = select(
        b.id,
        b.import_id,
        b.key,
        b.direction,
        b.amount_ore,
        b.booking_date,
        b.match_kind,
        b.entry_id,
    ).order_by(b.id)
    if import_id is not None:
        query = query.where(b.import_id == import_id)
    with engine.connect() as conn:
        return list(conn.execute(query))


def _signed(row) -> int:  # type: ignore[no-untyped-def]
    return int(row.amount_ore) * (1 if row.direction == "in" else -1)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=files)
def test_every_import_books_exactly_what_its_result_says_and_a_key_is_never_proof(engine, sequence):
    prefix = f"P{next(_examples)}-"
    for n, txs in enumerate(sequence):
        entries = [
            Entry((Tx(ore, f"{prefix}{ref}" if ref else None),), day, f"{prefix}F{n}E{i}")
            for i, (ref, ore, day) in enumerate(txs)
        ]
        before_bank, before_lines = _bank(engine), len(_lines(engine))
        try:
            result = import_file(engine, camt_bytes(entries), f"{prefix}{n}.xml")
        except BankFileInvalid:
            assert (_bank(engine), len(_lines(engine))) == (before_bank, before_lines)
            continue
        mine = _lines(engine, result.id)
        assert sum(_signed(r) for r in mine) == sum(ore for _ref, ore, _day in txs)
        booked_now = [r for r in mine if r.match_kind not in ("confirmed", "conflict")]
        assert _bank(engine) - before_bank == sum(_signed(r) for r in booked_now)
        assert result.total("booked_ore") == sum(_signed(r) for r in booked_now)
        assert result.total("file_ore") == (
            result.total("booked_ore") + result.total("already_ore") + result.total("conflict_ore")
        )
        assert result.ok == (result.counts.conflict_count == 0)
        earlier = {}
        for r in _lines(engine):
            if r.match_kind not in ("confirmed", "conflict"):
                earlier.setdefault(r.key, r)
        for r in mine:
            first = earlier.get(r.key)
            if r.match_kind == "confirmed":
                assert first is not None and first.id < r.id
                assert (_signed(first), first.booking_date) == (_signed(r), r.booking_date)
                assert r.entry_id == first.entry_id
            elif r.match_kind == "conflict":
                assert r.entry_id is None
                assert first is not None
                assert (_signed(first), first.booking_date) != (_signed(r), r.booking_date)
