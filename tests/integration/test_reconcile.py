"""The finance desk's actions against a real database: bank lines imported to suspense, then
accepted, split, sent back, undone and matched several to one, each booking the entry that
moves the money out of 2890, and refusals that leave everything as it was."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.errors import DeskRefused, LedgerError
from ledger.money import Money
from ledger.services import expected, journal, posting, reconcile, suspense
from ledger.services.balances import account_totals
from reports import bank_reconciliation
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Statement, Tx, camt_bytes
from tests.support.ledger import add_contributor, add_network

DAY = date(2026, 12, 1)
NBSP = "\u00a0"
TABLES = ("journal_entries", "bank_line_allocations", "expected_payment_receipts")


def kr(s: str) -> str:
    return s.replace(" ", NBSP)


def _import(engine: Engine, txs: list[Tx], name: str = "dag.054.xml") -> int:
    entries = [Entry((tx,), DAY, f"E-{tx.ref}") for tx in txs]
    return import_ours(engine, camt_bytes(entries), name).id


def _line(engine: Engine, ref: str) -> suspense.QueueLine:
    with engine.connect() as conn:
        line_id = conn.scalar(select(t.bank_lines.c.id).where(t.bank_lines.c.key == f"bank:{ref}"))
        found = suspense.get_line(conn, line_id)
    assert found is not None
    return found


def _balance(engine: Engine, account: str) -> int:
    """Debit minus credit from the kept aggregates (2890: negative while money waits)."""
    with engine.connect() as conn:
        totals = {a.account: a.balance_ore for a in account_totals(conn)}
    return totals.get(account, 0)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {n: conn.execute(text(f"SELECT count(*) FROM {n}")).scalar_one() for n in TABLES}


def _plan(engine: Engine, ore: int, name: str, *, kind: str = "gift", due: date | None = None):
    with engine.begin() as conn:
        network = conn.scalar(select(t.networks.c.id).where(t.networks.c.slug == "fred"))
        network = network or add_network(conn, "fred", "Fred och demokrati")
        who = add_contributor(conn, name, "organisation")
        return expected.create(
            conn, kind=kind, amount=Money(ore), network_id=network, contributor_id=who, due_date=due
        )


@pytest.fixture
def desk(engine):
    """Three payments that matched nothing on import (their expected payments were registered
    afterwards), and one payment out."""
    _import(
        engine,
        [
            Tx(120_000, "K12", message="Insamling", name="Kommunal avd 12"),
            Tx(50_000, "OCR1", message="Gåva", name="Lisa Berg"),
            Tx(30_000, "DUE1", message="Stödet", name="Okänd Givare"),
            Tx(-20_000, "OUT1", message="Hyra", name="Folkets Hus"),
        ],
    )
    return engine


def test_the_queue_holds_the_unmatched_lines_and_ranks_suggestions_with_their_reason(desk):
    kommunal = _plan(desk, 120_000, "Kommunal avdelning 12")
    in_text = _plan(desk, 50_000, "Lisa Berg")
    due = _plan(desk, 30_000, "Någon helt annan", due=date(2026, 12, 4))
    with desk.begin() as conn:
        conn.execute(
            t.bank_lines.update()
            .where(t.bank_lines.c.key == "bank:OCR1")
            .values(message=f"Gåva, se ref {in_text.reference}")
        )
    with desk.connect() as conn:
        lines, count, total = suspense.queue(conn)
        assert (count, total) == (3, 200_000)  # money out is not in the queue
        assert suspense.suspense_balance(conn) == 200_000 - 20_000
        by_key = {ln.payer_name: suspense.suggestions(conn, ln) for ln in lines}
    top = by_key["Lisa Berg"][0]
    assert top.payment.id == in_text.id
    assert top.reason == f"OCR-referens {in_text.reference} finns i meddelandet"
    assert by_key["Kommunal avd 12"][0].payment.id == kommunal.id
    assert by_key["Kommunal avd 12"][0].reason == (
        "samma belopp och namn liknar 'Kommunal avdelning 12'"
    )
    assert by_key["Okänd Givare"][0].payment.id == due.id
    assert by_key["Okänd Givare"][0].reason == "samma belopp, förfallodag ±5 dagar"
    assert by_key["Lisa Berg"][0].score > by_key["Kommunal avd 12"][0].score


def test_accepting_a_suggestion_moves_the_money_from_suspense_to_the_network(desk):
    plan = _plan(desk, 50_000, "Lisa Berg")
    line = _line(desk, "OCR1")
    before = _balance(desk, "2890")
    with desk.begin() as conn:
        done = reconcile.allocate(
            conn,
            line.id,
            [reconcile.Part(reconcile.Target("expected", expected_payment_id=plan.id), 50_000)],
            token="tokenaccept1",
        )
    assert len(done) == 1
    assert _balance(desk, "2890") == before + 50_000
    with desk.connect() as conn:
        entry = journal.get_entry(conn, done[0].entry_id)
        assert entry.series == "A"
        assert [(ln.account, ln.debit_ore, ln.credit_ore) for ln in entry.lines] == [
            ("2890", 50_000, 0),
            ("3993", 0, 50_000),
        ]
        assert entry.lines[1].network_id == plan.network_id
        assert entry.lines[1].contributor_id == plan.contributor_id
        assert expected.by_id(conn, plan.id).status == "paid"
        assert suspense.get_line(conn, line.id).open_ore == 0


def test_a_double_submit_of_the_same_form_books_once(desk):
    line = _line(desk, "K12")
    part = reconcile.Part(reconcile.Target("network", network_id=None), 20_000)
    with desk.begin() as conn:
        first = reconcile.allocate(conn, line.id, [part], token="sametoken99")
    counts = _counts(desk)
    with desk.begin() as conn:
        again = reconcile.allocate(conn, line.id, [part], token="sametoken99")
    assert [a.id for a in again] == [a.id for a in first]
    assert _counts(desk) == counts
    assert _line(desk, "K12").open_ore == 100_000


def test_a_split_books_one_entry_per_target_and_leaves_the_rest_in_suspense(desk):
    invoice = _plan(desk, 70_000, "Kommunal avdelning 12", kind="invoice")
    line = _line(desk, "K12")
    with desk.connect() as conn:
        network = journal.network_id(conn, "fred")
    parts = [
        reconcile.Part(reconcile.Target("expected", expected_payment_id=invoice.id), 70_000),
        reconcile.Part(reconcile.Target("network", network_id=network), 30_000),
    ]
    with desk.begin() as conn:
        done = reconcile.allocate(conn, line.id, parts, token="splittoken1")
    assert _line(desk, "K12").open_ore == 20_000
    with desk.connect() as conn:
        accounts = [
            [
                (ln.account, ln.debit_ore, ln.credit_ore)
                for ln in journal.get_entry(conn, a.entry_id).lines
            ]
            for a in done
        ]
        assert expected.by_id(conn, invoice.id).status == "paid"
    assert accounts == [
        [("2890", 70_000, 0), ("1510", 0, 70_000)],
        [("2890", 30_000, 0), ("3993", 0, 30_000)],
    ]


def test_amounts_beyond_what_remains_are_refused_in_swedish_and_book_nothing(desk):
    line = _line(desk, "DUE1")
    to_network = reconcile.Target("network")
    counts = _counts(desk)
    with pytest.raises(DeskRefused) as refused, desk.begin() as conn:
        reconcile.allocate(
            conn,
            line.id,
            [reconcile.Part(to_network, 20_000), reconcile.Part(to_network, 15_000)],
            token="toomuch001",
        )
    assert refused.value.message == (
        f"Beloppet {kr('350,00 kr')} är större än det som återstår ({kr('300,00 kr')})."
    )
    assert refused.value.field == "amount"
    assert _counts(desk) == counts
    assert _line(desk, "DUE1").open_ore == 30_000


def test_more_than_an_expected_payment_still_wants_is_refused(desk):
    plan = _plan(desk, 40_000, "Kommunal avdelning 12", kind="invoice")
    line = _line(desk, "K12")
    counts = _counts(desk)
    target = reconcile.Target("expected", expected_payment_id=plan.id)
    with pytest.raises(DeskRefused) as refused, desk.begin() as conn:
        reconcile.allocate(conn, line.id, [reconcile.Part(target, 50_000)], token="overdue0001")
    assert f"referens {plan.reference} ({kr('400,00 kr')})" in refused.value.message
    assert refused.value.field == "amount"
    assert _counts(desk) == counts


def test_a_payment_that_waits_for_nothing_more_is_refused_naming_it(desk):
    plan = _plan(desk, 50_000, "Lisa Berg")
    target = reconcile.Target("expected", expected_payment_id=plan.id)
    first, second = _line(desk, "OCR1").id, _line(desk, "K12").id
    with desk.begin() as conn:
        reconcile.allocate(conn, first, [reconcile.Part(target, 50_000)], token="paidfirst01")
    with pytest.raises(DeskRefused) as refused, desk.begin() as conn:
        reconcile.allocate(conn, second, [reconcile.Part(target, 100)], token="paidagain01")
    assert (refused.value.message, refused.value.field) == (
        f"Referens {plan.reference} väntar inte på pengar (paid).",
        "target",
    )


def test_sending_money_back_needs_a_note_and_books_2890_against_the_bank(desk):
    line = _line(desk, "DUE1")
    back = reconcile.Part(reconcile.Target("returned"), 30_000)
    with pytest.raises(DeskRefused) as refused, desk.begin() as conn:
        reconcile.allocate(conn, line.id, [back], token="returnnote1", note="  ")
    assert refused.value.field == "note"
    cash = _balance(desk, "1930")
    with desk.begin() as conn:
        done = reconcile.allocate(
            conn, line.id, [back], token="returnnote2", note="Fel mottagare", on=DAY
        )
    assert done[0].kind == "returned" and done[0].note == "Fel mottagare"
    assert _balance(desk, "1930") == cash - 30_000
    assert _line(desk, "DUE1").open_ore == 0


def test_an_undo_is_a_reversal_that_gives_the_amount_back_and_happens_once(desk):
    line = _line(desk, "K12")
    before = _balance(desk, "2890")
    with desk.begin() as conn:
        (done,) = reconcile.allocate(
            conn, line.id, [reconcile.Part(reconcile.Target("network"), 120_000)], token="undome001"
        )
    with desk.begin() as conn:
        undone = reconcile.undo(conn, done.id)
    assert undone.reversal_entry_id is not None
    assert _balance(desk, "2890") == before
    assert _line(desk, "K12").open_ore == 120_000
    counts = _counts(desk)
    with desk.begin() as conn:
        again = reconcile.undo(conn, done.id)
    assert again.reversal_entry_id == undone.reversal_entry_id
    assert _counts(desk) == counts
    with desk.connect() as conn:
        reversal = journal.get_entry(conn, undone.reversal_entry_id)
        assert reversal.reverses_id == done.entry_id
        # the original stays as it was: a correction is a new entry
        assert journal.get_entry(conn, done.entry_id).reversed_by_id == reversal.id


def test_several_lines_go_to_one_target_with_all_that_is_open_on_each(desk):
    lines = [_line(desk, "DUE1"), _line(desk, "OCR1")]
    with desk.begin() as conn:
        network = add_network(conn, "fred")
    before = _balance(desk, "2890")
    with desk.begin() as conn:
        done = reconcile.allocate_lines(
            conn,
            [ln.id for ln in lines],
            reconcile.Target("network", network_id=network),
            token="manylines01",
        )
    assert sorted(a.amount_ore for a in done) == [30_000, 50_000]
    assert _balance(desk, "2890") == before + 80_000
    assert [_line(desk, "DUE1").open_ore, _line(desk, "OCR1").open_ore] == [0, 0]


def test_money_out_is_not_allocated_from_the_desk(desk):
    line = _line(desk, "OUT1")
    with pytest.raises(DeskRefused) as refused, desk.begin() as conn:
        reconcile.allocate(
            conn, line.id, [reconcile.Part(reconcile.Target("network"), 100)], token="outline001"
        )
    assert refused.value.field == "line_id"


def test_the_import_report_sets_the_files_closing_balance_beside_the_ledgers_bank_account(engine):
    entries = [
        Entry((Tx(25_000, "S1", message="Gåva", name="Anna"),), DAY, "N1"),
        Entry((Tx(-5_000, "S2", message="Avgift", name="Banken"),), DAY, "N2"),
    ]
    data = camt_bytes([], kind="053", version="08", statement=Statement(entries, opening_ore=0))
    result = import_ours(engine, data, "konto.053.xml")
    with engine.connect() as conn:
        report = bank_reconciliation.import_report(conn, result.id)
    assert report.read_in == (1, 25_000) and report.read_out == (1, 5_000)
    assert (report.file.credit_count, report.file.credit_ore) == report.read_in
    (account,) = report.accounts
    assert account.closing_ore == 20_000
    assert account.ledger_ore == 20_000 and account.difference_ore == 0
    assert report.open_ore == 30_000  # both lines wait for the desk


def test_searching_finds_open_expected_payments_by_reference_name_and_amount(engine):
    plan = _plan(engine, 123_450, "Byggnads Mälardalen")
    other = _plan(engine, 5_000, "Seko klubb")
    with engine.connect() as conn:
        assert [ep.id for ep in suspense.search_expected(conn, plan.reference[2:8])] == [plan.id]
        assert [ep.id for ep in suspense.search_expected(conn, "byggnads")] == [plan.id]
        assert [ep.id for ep in suspense.search_expected(conn, "1 234,50")] == [plan.id]
        assert other.id not in [ep.id for ep in suspense.search_expected(conn, "100_%")]


def test_two_submits_of_one_form_at_the_same_moment_book_once(desk):
    line = _line(desk, "K12")
    part = reconcile.Part(reconcile.Target("network"), 120_000)
    start = threading.Barrier(2)
    results: list[object] = []

    def submit() -> None:
        start.wait()
        try:
            with desk.begin() as conn:
                results.append(reconcile.allocate(conn, line.id, [part], token="racetoken01"))
        except LedgerError as exc:  # recorded, so the assertion below shows it
            results.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    first, second = results
    assert isinstance(first, list) and isinstance(second, list), results
    assert [a.id for a in first] == [a.id for a in second]
    assert _line(desk, "K12").open_ore == 0
    with desk.connect() as conn:
        booked = conn.execute(
            text("SELECT count(*) FROM journal_entries WHERE source_key LIKE 'desk:racetoken01:%'")
        ).scalar_one()
    assert booked == 1


def test_undoing_a_match_to_an_expected_payment_leaves_it_as_it_was(desk):
    plan = _plan(desk, 50_000, "Lisa Berg")
    line = _line(desk, "OCR1")
    target = reconcile.Target("expected", expected_payment_id=plan.id)
    with desk.begin() as conn:
        (done,) = reconcile.allocate(
            conn, line.id, [reconcile.Part(target, 30_000)], token="undoplan01"
        )
        assert expected.by_id(conn, plan.id).status == "partly_paid"
    with desk.begin() as conn:
        undone = reconcile.undo(conn, done.id)
    with desk.connect() as conn:
        after = expected.by_id(conn, plan.id)
        receipt = conn.execute(select(t.expected_payment_receipts)).one()
    assert (after.paid_ore, after.status) == (0, "open")
    # the receipt stays, naming the reversal; a second undo changes nothing
    assert receipt.reversal_entry_id == undone.reversal_entry_id
    with desk.begin() as conn:
        reconcile.undo(conn, done.id)
        assert expected.reverse_receipt(
            conn, receipt.source_key, reversal_entry_id=undone.reversal_entry_id
        ) == expected.by_id(conn, plan.id)
    with desk.connect() as conn:
        assert expected.by_id(conn, plan.id).paid_ore == 0
    # the whole amount can be matched again afterwards, and pays it in full
    with desk.begin() as conn:
        reconcile.allocate(conn, line.id, [reconcile.Part(target, 50_000)], token="undoplan02")
        assert expected.by_id(conn, plan.id).status == "paid"


def test_the_database_refuses_a_second_allocation_or_undo_with_the_same_entry(desk):
    line = _line(desk, "K12")
    with desk.begin() as conn:
        (done,) = reconcile.allocate(
            conn, line.id, [reconcile.Part(reconcile.Target("network"), 60_000)], token="uniqent1"
        )
    with desk.begin() as conn:
        undone = reconcile.undo(conn, done.id)
    row = {"line_id": line.id, "kind": "network", "amount_ore": 1, "created_at": done.created_at}
    for column, entry in (
        ("entry_id", done.entry_id),
        ("reversal_entry_id", undone.reversal_entry_id),
    ):
        with pytest.raises(IntegrityError), desk.begin() as conn:
            conn.execute(t.bank_line_allocations.insert().values(**row, **{column: entry}))


# The desk at its edges: what an allocation records, the once-only keys of its entries, a
# repeated form, an undo of an entry reversed elsewhere, every refusal with message and field.

LATER = date(2026, 12, 5)


def _refusal(engine, action) -> tuple[str, str | None]:
    with pytest.raises(DeskRefused) as caught, engine.begin() as conn:
        action(conn)
    return caught.value.message, caught.value.field


def _network_part(ore: int, network_id: int | None = None) -> reconcile.Part:
    return reconcile.Part(reconcile.Target("network", network_id=network_id), ore)


def test_an_allocation_records_its_target_amount_and_who_and_books_under_the_forms_key(desk):
    plan = _plan(desk, 50_000, "Lisa Berg")
    line = _line(desk, "OCR1")
    target = reconcile.Target("expected", expected_payment_id=plan.id)
    with desk.begin() as conn:
        (done,) = reconcile.allocate(
            conn, line.id, [reconcile.Part(target, 50_000)], token="tokenwho01", user_id=None
        )
        entry = journal.get_entry(conn, done.entry_id)
        assert reconcile.allocations_for(conn, line.id) == [done]
    assert (done.line_id, done.kind, done.amount_ore) == (line.id, "expected", 50_000)
    assert (done.expected_payment_id, done.network_id, done.contributor_id) == (
        plan.id,
        plan.network_id,
        plan.contributor_id,
    )
    assert entry.source_key == "desk:tokenwho01:1"
    assert (
        entry.text == f"Bankrad {line.id} (500,00\xa0kr 2026-12-01) till referens {plan.reference}"
    )


def test_money_to_where_it_is_needed_most_says_so_and_each_part_has_its_own_key(desk):
    line = _line(desk, "K12")
    with desk.begin() as conn:
        network = add_network(conn, "klimat")
        done = reconcile.allocate(
            conn,
            line.id,
            [_network_part(20_000), _network_part(30_000, network)],
            token="tokensplit1",
        )
        entries = [journal.get_entry(conn, a.entry_id) for a in done]
    assert [a.network_id for a in done] == [None, network]
    assert [e.source_key for e in entries] == ["desk:tokensplit1:1", "desk:tokensplit1:2"]
    assert entries[0].text.endswith(" till där det behövs mest")
    assert entries[1].text.endswith(" till klimat")


def test_money_sent_back_is_booked_under_the_forms_key_with_the_note(desk):
    line = _line(desk, "K12")
    part = reconcile.Part(reconcile.Target("returned"), 120_000)
    with desk.begin() as conn:
        (done,) = reconcile.allocate(
            conn, line.id, [part], token="tokenback01", note="Fel mottagare"
        )
        entry = journal.get_entry(conn, done.entry_id)
    assert (done.kind, done.note) == ("returned", "Fel mottagare")
    assert entry.source_key == "desk:tokenback01:1"
    assert entry.text == (
        f"Återbetald till avsändaren: bankrad {line.id} (1\xa0200,00\xa0kr 2026-12-01). "
        "Fel mottagare"
    )


def test_several_lines_are_booked_under_one_key_each_and_a_repeated_form_returns_them(desk):
    lines = [_line(desk, "DUE1"), _line(desk, "OCR1")]
    target = reconcile.Target("network", network_id=None)
    with desk.begin() as conn:
        first = reconcile.allocate_lines(conn, [ln.id for ln in lines], target, token="manylines02")
        keys = [journal.get_entry(conn, a.entry_id).source_key for a in first]
    assert keys == ["desk:manylines02:1", "desk:manylines02:2"]
    with desk.begin() as conn:
        again = reconcile.allocate_lines(conn, [ln.id for ln in lines], target, token="manylines02")
    assert [a.id for a in again] == [a.id for a in first]


def test_an_undo_is_dated_as_asked_and_one_of_an_entry_reversed_elsewhere_records_that(desk):
    line = _line(desk, "K12")
    with desk.begin() as conn:
        one, two = reconcile.allocate(
            conn, line.id, [_network_part(20_000), _network_part(30_000)], token="tokenundo01"
        )
        undone = reconcile.undo(conn, one.id, on=LATER, user_id=7)
        assert journal.get_entry(conn, undone.reversal_entry_id).date == LATER
        e = t.journal_entries.c
        who = conn.scalar(select(e.created_by).where(e.id == undone.reversal_entry_id))
        assert who == 7
        elsewhere = posting.reverse(conn, two.entry_id, on=LATER)
        recorded = reconcile.undo(conn, two.id)
    assert recorded.reversal_entry_id == elsewhere.id
    assert _line(desk, "K12").open_ore == 120_000


def test_each_refusal_says_what_is_wrong_and_names_its_field(desk):
    line = _line(desk, "K12")
    out = _line(desk, "OCR1")

    def allocate(parts, token="tokenrefuse", note=None):
        return lambda conn: reconcile.allocate(conn, line.id, parts, token=token, note=note)

    assert _refusal(desk, allocate([], token="x")) == (
        "Formulärets nyckel saknas eller är felaktig. Ladda om sidan.",
        "token",
    )
    assert _refusal(desk, allocate([])) == ("Ange minst ett belopp och vart det ska.", "amount")
    assert _refusal(desk, allocate([_network_part(0)])) == (
        "Beloppet måste vara större än 0,00 kr.",
        "amount",
    )
    assert _refusal(desk, allocate([_network_part(10), _network_part(0)])) == (
        "Beloppet måste vara större än 0,00 kr.",
        "parts[1].amount",
    )
    back = [reconcile.Part(reconcile.Target("returned"), 10)]
    assert _refusal(desk, allocate(back)) == (
        "Skriv en anteckning om varför pengarna skickas tillbaka.",
        "note",
    )
    assert _refusal(desk, allocate(back, note="x" * 501)) == (
        "Anteckningen får vara högst 500 tecken.",
        "note",
    )
    assert _refusal(desk, allocate([_network_part(10, 999)])) == (
        "Nätverk 999 finns inte.",
        "network_id",
    )
    missing = reconcile.Part(reconcile.Target("expected", expected_payment_id=999), 10)
    assert _refusal(desk, allocate([missing])) == ("Förväntad betalning 999 finns inte.", "target")
    assert _refusal(desk, allocate([reconcile.Part(reconcile.Target("expected"), 10)])) == (
        "Välj vart pengarna ska.",
        "target",
    )
    assert _refusal(
        desk, lambda conn: reconcile.allocate(conn, 999, [_network_part(10)], token="tokenrefuse")
    ) == ("Bankrad 999 finns inte.", "line_id")
    target = reconcile.Target("network")
    assert _refusal(
        desk, lambda conn: reconcile.allocate_lines(conn, [], target, token="tokenrefuse")
    ) == ("Markera minst en bankrad.", "line_id")
    assert _refusal(
        desk,
        lambda conn: reconcile.allocate_lines(
            conn, [line.id], reconcile.Target("returned"), token="tokenrefuse"
        ),
    ) == ("Återbetalning görs en bankrad i taget, med en anteckning.", "target")
    assert _refusal(desk, lambda conn: reconcile.undo(conn, 999)) == (
        "Kopplingen 999 finns inte.",
        "allocation_id",
    )
    with desk.begin() as conn:
        reconcile.allocate_lines(conn, [out.id], target, token="tokenall001")
    assert _refusal(
        desk, lambda conn: reconcile.allocate_lines(conn, [out.id], target, token="tokenall002")
    ) == (f"Bankrad {out.id} har inget kvar att koppla.", "line_id")
