"""Failed Autogiro debits and declined recurring-Swish months lower the funding-gap projection
by exactly their channel's failed share, on a real database (both engines)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ledger.db import tables as t
from reports.funding import FailureShare, funding_gap
from reports.funding.render import guidance_text
from tests.integration.test_autogiro_import import SETTINGS, _setup
from tests.support.autogiro_files import BANKGIRO, Debit, mandate_advice, payment_specification
from tests.support.swish_world import (  # noqa: F401 (fixtures)
    fake_swish_fixture,
    swish_pki_fixture,
    swish_world_fixture,
)
from webhooks.autogiro import outgoing
from webhooks.autogiro.incoming import import_autogiro

SENTENCE = (
    "50,0 % av dragningarna via Autogiro och Swish misslyckades det senaste året; "
    "prognosen räknar med det."
)


def test_an_autogiro_mandate_with_one_failed_of_two_debits_is_projected_at_half(engine):
    as_of = date(2027, 3, 15)  # 9 whole months left of 2027, no cancellations: factor 9
    with engine.begin() as conn:
        _, a, _ = _setup(conn)  # mandate a: 150 kr a month to bolivia
        import_autogiro(
            conn, BANKGIRO, mandate_advice(date(2026, 12, 3), [(a, "04", "32")]), "medav.txt"
        )
        outgoing.payments_out(conn, SETTINGS, "2027-01", date(2027, 1, 10))
        spec = payment_specification(date(2027, 1, 28), [Debit(a, 15000, "0", "GÅVA 2027-01")])
        assert import_autogiro(conn, BANKGIRO, spec, "spec1.txt").ok
        outgoing.payments_out(conn, SETTINGS, "2027-02", date(2027, 2, 10))
        waiting = funding_gap(conn, 2027, network="bolivia", as_of=as_of)
        spec = payment_specification(date(2027, 3, 1), [Debit(a, 15000, "1", "GÅVA 2027-02")])
        assert import_autogiro(conn, BANKGIRO, spec, "spec2.txt").ok
        failed = funding_gap(conn, 2027, network="bolivia", as_of=as_of)
        everyone = funding_gap(conn, 2027, as_of=as_of)
        next_year = funding_gap(conn, 2027, as_of=date(2028, 3, 15))
    # February's debit still waiting for its outcome counts for nothing either way
    assert waiting.autogiro_failures == FailureShare(failed=0, decided=1)
    assert waiting.total.projected_ore == 15_000 * 9 == 135_000
    assert failed.autogiro_failures == FailureShare(failed=1, decided=2)
    assert failed.swish_failures == FailureShare(failed=0, decided=0)
    assert failed.total.projected_ore == 15_000 * 9 // 2 == 67_500
    assert waiting.total.projected_ore - failed.total.projected_ore == 67_500
    assert failed.total.monthly_ore == 15_000 and failed.total.monthly_givers == 1
    assert everyone.total.projected_ore == 67_500
    assert guidance_text(everyone.total, everyone).endswith(SENTENCE)
    # debits older than the 12 months up to the reference date are left out
    assert next_year.autogiro_failures == FailureShare(failed=0, decided=0)


def _charge(swish, month: str) -> None:
    from kassan.cli.main import main as kassan

    result = swish.app.test_cli_runner().invoke(
        kassan, ["swish", "charge-monthly", "--month", month]
    )
    assert result.exit_code == 0, result.output


def _gap(swish):
    with swish.engine.connect() as conn:
        return funding_gap(conn, 2027, as_of=date(2026, 12, 15))  # 12 months left of 2027


def test_a_recurring_swish_consent_with_one_declined_month_is_projected_at_half(swish):
    gift = swish.monthly_gift(20_000)
    consent_id = swish.consent(gift, payer="070-123 45 67")
    assert swish.fake.consent_outcome(consent_id, "ACTIVE") == 200
    _charge(swish, "2026-11")
    (november,) = swish.charges(consent_id)
    assert swish.fake.charge_outcome(november.payment_id, "PAID") == 200
    paid = _gap(swish)
    _charge(swish, "2026-12")
    december = swish.charges(consent_id)[1]
    open_ = _gap(swish)
    assert swish.fake.charge_outcome(december.payment_id, "DECLINED", error_code="AM04") == 200
    declined = _gap(swish)
    _charge(swish, "2026-12")  # the one retry, not answered yet: the month is open again
    retry = _gap(swish)
    with swish.engine.connect() as conn:
        statuses = conn.execute(
            select(t.swish_recurring_payments.c.month, t.swish_recurring_payments.c.status)
            .where(t.swish_recurring_payments.c.consent_id == consent_id)
            .order_by(t.swish_recurring_payments.c.month, t.swish_recurring_payments.c.attempt)
        ).all()
    assert [tuple(s) for s in statuses] == [
        ("2026-11", "PAID"),
        ("2026-12", "DECLINED"),
        ("2026-12", "CREATED"),
    ]
    assert paid.swish_failures == open_.swish_failures == FailureShare(failed=0, decided=1)
    assert paid.total.projected_ore == open_.total.projected_ore == 20_000 * 12 == 240_000
    assert declined.swish_failures == FailureShare(failed=1, decided=2)
    assert declined.autogiro_failures == FailureShare(failed=0, decided=0)
    assert declined.total.projected_ore == 20_000 * 12 // 2 == 120_000
    assert paid.total.projected_ore - declined.total.projected_ore == 120_000
    assert guidance_text(declined.total, declined).endswith(SENTENCE)
    assert retry.swish_failures == FailureShare(failed=0, decided=1)
    assert retry.total.projected_ore == 240_000
