"""A monthly Swish charge reaches the bank as well: the bank's Swish report or camt.054 names it
by the bank's 16-digit reference and the consent's reference, the charge's callback by Swish's
own payment id. Other keys, one payment: whichever comes second confirms or takes over the
first one's entry, so the krona is on 1930 once (DESIGN: a key is never proof)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, func, select

from kassan.cli.main import main as kassan
from ledger.db import tables as t
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Tx, camt_bytes
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)

DAY = date(2026, 12, 1)


def _account(engine: Engine, account: str) -> int:
    jl = t.journal_lines.c
    with engine.connect() as conn:
        total = conn.scalar(
            select(func.coalesce(func.sum(jl.debit_ore - jl.credit_ore), 0)).where(
                jl.account == account
            )
        )
    return int(total or 0)


def _charged(swish, consent_id: str, month: str, status: str = "PAID"):
    runner = swish.app.test_cli_runner()
    result = runner.invoke(kassan, ["swish", "charge-monthly", "--month", month])
    assert result.exit_code == 0, result.output
    charge = next(c for c in swish.charges(consent_id) if c.month == month)
    return charge


def _bank_file(reference: str, amount_ore: int, clearing_ref: str, name: str) -> bytes:
    """The bank's camt.054 line for one Swish payment into our Swish number."""
    line = Tx(amount_ore, name, message=reference, clearing_ref=clearing_ref)
    return camt_bytes([Entry((line,), DAY, f"N{clearing_ref[-4:]}", swish=True)])


def _import(swish, data: bytes, name: str):
    """The bank file through the importer, with the app's configuration (receipt e-mails)."""
    return import_ours(swish.engine, data, name, mail_config=dict(swish.app.config))


def _active_monthly(swish, amount_ore: int = 20_000) -> tuple[str, str]:
    gift = swish.monthly_gift(amount_ore)
    consent_id = swish.consent(gift, payer="070-123 45 67")
    assert swish.fake.consent_outcome(consent_id, "ACTIVE") == 200
    return gift, consent_id


def test_a_monthly_swish_charge_booked_by_its_callback_is_confirmed_by_the_bank_not_booked_again(
    swish,
):
    gift, consent_id = _active_monthly(swish)
    reference = swish.expected_of(gift).reference
    for n, month in enumerate(("2026-12", "2027-01")):
        charge = _charged(swish, consent_id, month)
        assert swish.fake.charge_outcome(charge.payment_id, "PAID") == 200
        booked = next(c for c in swish.charges(consent_id) if c.month == month).entry_id
        assert booked is not None
        data = _bank_file(reference, 20_000, f"446941147609349{n}", f"SW{n}")
        result = _import(swish, data, f"swish-{month}.054.xml")
        assert (result.counts.booked_count, result.counts.confirmed_count) == (0, 1), month
        assert _account(swish.engine, "1930") == 20_000 * (n + 1)
    assert _account(swish.engine, "2890") == 0
    assert swish.expected_of(gift).paid_ore == 40_000


def test_a_monthly_swish_charge_the_bank_reported_first_is_taken_over_by_its_callback(swish):
    gift, consent_id = _active_monthly(swish)
    reference = swish.expected_of(gift).reference
    charge = _charged(swish, consent_id, "2026-12")
    result = _import(
        swish, _bank_file(reference, 20_000, "4469411476093492", "SW1"), "swish.054.xml"
    )
    assert result.counts.booked_count == 1
    assert _account(swish.engine, "1930") == 20_000

    assert swish.fake.charge_outcome(charge.payment_id, "PAID") == 200

    with swish.engine.connect() as conn:
        bank_entry = conn.scalar(select(t.bank_lines.c.entry_id))
    (row,) = swish.charges(consent_id)
    assert (row.status, row.entry_id) == ("PAID", bank_entry)
    assert _account(swish.engine, "1930") == 20_000
    assert _account(swish.engine, "2890") == 0
    assert swish.expected_of(gift).paid_ore == 20_000

    # January's callback comes first: December's bank entry is taken, January books its own
    january = _charged(swish, consent_id, "2027-01")
    assert swish.fake.charge_outcome(january.payment_id, "PAID") == 200
    assert _account(swish.engine, "1930") == 40_000
    assert swish.expected_of(gift).paid_ore == 40_000


def test_a_bank_line_of_another_amount_under_the_consents_reference_confirms_no_charge(swish):
    gift, consent_id = _active_monthly(swish)
    reference = swish.expected_of(gift).reference
    charge = _charged(swish, consent_id, "2026-12")
    assert swish.fake.charge_outcome(charge.payment_id, "PAID") == 200
    data = _bank_file(reference, 25_000, "4469411476093493", "SW9")
    result = _import(swish, data, "swish-other.054.xml")
    assert result.counts.confirmed_count == 0
    # booked as a payment of its own (not silently confirmed): the bank holds 450 kr
    assert _account(swish.engine, "1930") == 45_000
