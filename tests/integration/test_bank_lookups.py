"""The matcher's look-ups against a real database (``webhooks.bankfiles.matcher``): what is
booked already under a key, and which Stripe payouts a bank line may confirm."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, func, select

from ledger.chart import BANK, CARD_PROCESSOR, GIFT_INCOME, SUSPENSE
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.money import Money
from ledger.services import posting
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Tx, camt_bytes
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)
from webhooks.bankfiles.decide import Match, MatchKind
from webhooks.bankfiles.ledgering import _row
from webhooks.bankfiles.matcher import _booked
from webhooks.bankfiles.records import BANKGIRO, BankLine

DAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MAIL = {
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    "PUBLIC_BASE_URL": "https://ge.kassan.test",
    "ORGANISATION_NAME": "Solidaritetsfonden",
    "ORGANISATION_NUMBER": "802000-0000",
}


def _post(engine: Engine, key: str, ore: int, debit: str = BANK, credit: str = SUSPENSE,
          kind: str = "bank", day: date = DAY, currency: str = "SEK") -> int:  # fmt: skip
    amount = Money(ore, currency)
    draft = Draft(
        date=day,
        text="bokförd från annat håll",
        lines=(LineDraft.debit(debit, amount), LineDraft.credit(credit, amount)),
        series="B",
        source_kind=kind,
        source_key=key,
    )
    with engine.begin() as conn:
        return posting.post_once(conn, draft)[0].id


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


def _kind_and_note(engine: Engine, key: str) -> tuple[str, str | None]:
    b = t.bank_lines.c
    with engine.connect() as conn:
        row = conn.execute(select(b.match_kind, b.note).where(b.key == key)).one()
    return row.match_kind, row.note


def test_the_already_booked_look_up_answers_for_the_keys_asked_and_no_others(engine):
    import_ours(engine, camt_bytes([Entry((Tx(100_00, "T1"),), DAY, "E1")]), "a.xml")
    import_ours(engine, camt_bytes([Entry((Tx(200_00, "T2"),), DAY, "E2")]), "b.xml")
    _post(engine, "bank:T3", 300_00)
    _post(engine, "bank:T4", 400_00)
    with engine.connect() as conn:
        found = _booked(conn, ["bank:T1", "bank:T3", "bank:T5"])
    assert sorted(found) == ["bank:T1", "bank:T3"]
    assert found["bank:T1"].amount == Money(100_00)  # from the bank line that booked it
    assert (found["bank:T3"].amount, found["bank:T3"].account) == (Money(300_00), None)


def test_the_amount_booked_under_a_key_is_that_entrys_own_bank_lines(engine):
    _post(engine, "bank:OTHER", 1_000_00)  # another entry on the bank account
    booked = _post(engine, "bank:T7", 300_00)
    result = import_ours(engine, camt_bytes([Entry((Tx(300_00, "T7"),), DAY, "E7")]), "a.xml")
    assert (result.counts.confirmed_count, result.counts.conflict_count) == (1, 0)
    with engine.connect() as conn:
        assert _booked(conn, ["bank:T7"])["bank:T7"].entry_id == booked
    assert _bank(engine) == 1_300_00


def test_a_key_booked_by_an_entry_that_never_touched_the_bank_is_a_conflict_at_nothing(engine):
    _post(engine, "bank:T7", 300_00, CARD_PROCESSOR, GIFT_INCOME)
    result = import_ours(engine, camt_bytes([Entry((Tx(300_00, "T7"),), DAY, "E7")]), "a.xml")
    assert (result.counts.conflict_count, result.counts.booked_count) == (1, 0)
    assert _kind_and_note(engine, "bank:T7") == (
        "conflict",
        "krock: belopp 300,00\xa0kr, bokfört 0,00\xa0kr",
    )
    assert _bank(engine) == 0


def test_a_gift_booked_to_the_bank_is_not_taken_for_a_stripe_payout(engine):
    _post(engine, "stripe:payout:po_1", 700_00, BANK, CARD_PROCESSOR, "stripe")
    _post(engine, "swish:1234567890123456", 500_00, BANK, GIFT_INCOME, "swish")
    result = import_ours(engine, camt_bytes([Entry((Tx(500_00, "T1"),), DAY, "E1")]), "a.xml")
    assert (result.counts.confirmed_count, result.counts.booked_count) == (0, 1)
    assert _kind_and_note(engine, "bank:T1")[0] == "unmatched"


def test_a_payout_named_by_the_bank_line_is_confirmed_however_many_days_later_it_arrives(
    engine,
):
    payout = _post(
        engine, "stripe:payout:po_1Abc", 4_321_00, BANK, CARD_PROCESSOR, "stripe",
        DAY - timedelta(days=5),
    )  # fmt: skip
    entries = [Entry((Tx(4_321_00, "T1", message="STRIPE PAYOUT po_1Abc"),), DAY, "E1")]
    result = import_ours(engine, camt_bytes(entries), "a.xml")
    assert (result.counts.confirmed_count, result.counts.booked_count) == (1, 0)
    b = t.bank_lines.c
    with engine.connect() as conn:
        assert conn.execute(select(b.entry_id).where(b.key == "bank:T1")).scalar_one() == payout
    assert _bank(engine) == 4_321_00


def _stored_line(engine: Engine, key: str, amount: Money, entry_id: int) -> None:
    """A bank line of an earlier import that booked ``entry_id``, stored as the importer does."""
    line = BankLine(
        line_no=1, source_line=1, key=key, booking_date=DAY, amount=amount, channel=BANKGIRO
    )
    with engine.begin() as conn:
        import_id = conn.execute(
            t.bank_imports.insert()
            .values(sha256="0" * 64, filename="tidigare.txt", format="bgmax", imported_at=NOW)
            .returning(t.bank_imports.c.id)
        ).scalar_one()
        row = _row(import_id, line, Match(MatchKind.UNMATCHED), entry_id, 0)
        conn.execute(t.bank_lines.insert().values(**row))


def test_what_was_booked_under_a_key_keeps_its_currency(engine):
    _post(engine, "bank:E1", 300_00, currency="EUR")
    entry = _post(engine, "bgc:1", 200_00, currency="EUR")
    _stored_line(engine, "bgc:1", Money(200_00, "EUR"), entry)
    with engine.connect() as conn:
        found = _booked(conn, ["bank:E1", "bgc:1"])
    assert found["bank:E1"].amount == Money(300_00, "EUR")  # from the entry
    assert found["bgc:1"].amount == Money(200_00, "EUR")  # from the bank line


def test_a_callbacks_swish_booking_confirms_one_bank_line_over_all_files(swish, engine):
    import_ours(engine, camt_bytes([Entry((Tx(100_00, "T0"),), DAY, "E0")]), "annat.xml")
    gift = swish.gift(30_000)
    instruction_id = swish.start(gift)
    assert swish.fake.complete(instruction_id, "PAID") == 200
    booked = swish.payment(instruction_id).entry_id
    reference = swish.expected_of(gift).reference

    def report(clearing: str, name: str):
        tx = Tx(30_000, f"SW{clearing[-2:]}", message=reference, clearing_ref=clearing)
        entries = [Entry((tx,), DAY, f"N{clearing[-2:]}", swish=True)]
        return import_ours(engine, camt_bytes(entries), name, mail_config=MAIL)

    first = report("4469411476093401", "a.xml")
    assert first.counts.confirmed_count == 1
    b = t.bank_lines.c
    with engine.connect() as conn:
        confirmed = conn.scalar(select(b.entry_id).where(b.key == "swish:4469411476093401"))
    assert confirmed == booked
    again = report("4469411476093402", "b.xml")  # the donor paid a second time
    assert (again.counts.confirmed_count, again.counts.booked_count) == (0, 1)
