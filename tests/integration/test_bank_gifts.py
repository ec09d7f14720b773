"""Bankgiro and Swish-QR gifts paid by a bank file or at the finance desk: the gift moves from
pending to paid (or active, for a monthly giver) and its receipt e-mail is queued once, in the
same transaction as the booking."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from ledger.db import tables as t
from ledger.money import Money
from ledger.services import expected, gifts, pii, reconcile
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Statement, Tx, camt_bytes

DAY = date(2026, 12, 1)
CRYPT = pii.cipher({"KASSAN_ENV": "test"})
CONFIG = {
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    "PUBLIC_BASE_URL": "https://ge.kassan.test",
    "ORGANISATION_NAME": "Solidaritetsfonden",
    "ORGANISATION_NUMBER": "802000-0000",
}


def _gift(engine: Engine, kr: str, channel: str, frequency: str = "once"):
    """A pending gift chosen on the checkout page, with its expected payment."""
    with engine.begin() as conn:
        public_id = gifts.create_gift(
            conn,
            gifts.validate(
                {
                    "amount": kr,
                    "frequency": frequency,
                    "donor_kind": "person",
                    "donor_name": "Anna Andersson",
                    "donor_email": "anna@example.se",
                },
                channels=("card", "bankgiro", "swish"),
            ),
            network_id=None,
            crypt=CRYPT,
            channel=channel,
        )
        gift = gifts.get_gift(conn, public_id)
        plan = expected.for_gift(
            conn,
            gift_id=gift.id,
            amount=Money(int(kr) * 100),
            network_id=None,
            monthly=frequency == "monthly",
        )
    return public_id, plan


def _status(engine: Engine, public_id: str) -> str:
    with engine.connect() as conn:
        return gifts.get_gift(conn, public_id).status


def _mails(engine: Engine) -> list[tuple[str, str]]:
    o = t.email_outbox.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(o.dedupe_key, o.to_addr).order_by(o.id))]


def _paid_by(engine: Engine) -> list[str]:
    """The receipts' "Betalsätt" lines, as the donors read them."""
    o = t.email_outbox.c
    with engine.connect() as conn:
        bodies = conn.execute(select(o.body_text).order_by(o.id)).scalars()
        return [ln for body in bodies for ln in body.splitlines() if ln.startswith("Betalsätt")]


def test_a_bankgiro_gift_paid_by_a_bank_line_is_paid_and_thanked_once(engine):
    public_id, plan = _gift(engine, "200", "bankgiro")
    part = Entry((Tx(5_000, "P1", ocr=plan.reference, name="Anna"),), DAY, "E1")
    import_ours(engine, camt_bytes([part]), "dag1.054.xml", mail_config=CONFIG)
    assert _status(engine, public_id) == "pending"  # 50 of 200 kr: it waits for the rest
    assert _mails(engine) == []
    rest = Entry((Tx(15_000, "P2", ocr=plan.reference, name="Anna"),), DAY, "E2")
    import_ours(engine, camt_bytes([rest]), "dag2.054.xml", mail_config=CONFIG)
    assert _status(engine, public_id) == "paid"
    assert _mails(engine) == [(f"receipt:{public_id}:bank:P2", "anna@example.se")]
    assert _paid_by(engine) == ["Betalsätt:   Bankgiro"]  # not "Kort"
    # the day's statement reports both payments again: confirmed, nothing booked or sent twice
    both = [part, rest]
    statement = camt_bytes(both, kind="053", statement=Statement(both))
    result = import_ours(engine, statement, "dag.053.xml", mail_config=CONFIG)
    assert result.counts.confirmed_count == 2
    assert len(_mails(engine)) == 1


def test_a_monthly_bankgiro_giver_becomes_active_and_is_thanked_for_each_payment(engine):
    public_id, plan = _gift(engine, "100", "bankgiro", frequency="monthly")
    for month, ref in enumerate(("M1", "M2"), start=1):
        day = date(2026, month, 25)
        entry = Entry((Tx(10_000, ref, ocr=plan.reference),), day, f"E{ref}")
        import_ours(engine, camt_bytes([entry]), f"{ref}.054.xml", mail_config=CONFIG)
        assert _status(engine, public_id) == "active"
    assert [k for k, _ in _mails(engine)] == [
        f"receipt:{public_id}:bank:M1",
        f"receipt:{public_id}:bank:M2",
    ]


def test_a_swish_qr_gift_matched_at_the_desk_is_paid_and_thanked(engine):
    public_id, plan = _gift(engine, "300", "swish")
    # the payer wrote no reference: the line waits in suspense
    import_ours(engine, camt_bytes([Entry((Tx(30_000, "Q1"),), DAY, "EQ1")]), "q.054.xml")
    assert _status(engine, public_id) == "pending"
    with engine.connect() as conn:
        line_id = conn.scalar(select(t.bank_lines.c.id).where(t.bank_lines.c.key == "bank:Q1"))
    target = reconcile.Target("expected", expected_payment_id=plan.id)
    with engine.begin() as conn:
        reconcile.allocate(
            conn, line_id, [reconcile.Part(target, 30_000)], token="swishgift1", mail_config=CONFIG
        )
    assert _status(engine, public_id) == "paid"
    assert [k for k, _ in _mails(engine)] == [f"receipt:{public_id}:desk:swishgift1:1"]
    assert _paid_by(engine) == ["Betalsätt:   Swish"]


def _swish_report(rows: list[tuple[str, int, str, str]]) -> bytes:
    """The bank's Swish report (comma variant): (payment reference, öre, message, order id)."""
    lines = ["01,2026-12-02,2026-12-01,"]
    for ref, ore, message, order in rows:
        lines.append(
            f"02,5566778899,123456789,HANDSESS,1235524400,2026-12-01,SWH,"
            f"{ore // 100}.{ore % 100:02d},SEK,+46709879879,Anna Andersson,{ref},{message},"
            f"{order},2026-12-01T13:32:22:683413"
        )
    lines.append(f"03,{len(rows)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_swish_report_line_matches_on_the_order_id_our_swish_request_sent(engine):
    public_id, plan = _gift(engine, "150", "swish")
    other_id, _ = _gift(engine, "150", "swish")
    data = _swish_report(
        [
            # no message: only the order id (our payeePaymentReference) names the gift
            ("4469411476093487", 15_000, "", plan.reference),
            # an order id that is not one of our references changes nothing
            ("4469411476093492", 15_000, "Tack", "ORDER-77"),
        ]
    )
    import_ours(engine, data, "swish.csv", mail_config=CONFIG)
    with engine.connect() as conn:
        b = t.bank_lines.c
        rows = conn.execute(select(b.key, b.match_kind, b.expected_payment_id).order_by(b.line_no))
        assert [tuple(r) for r in rows] == [
            ("swish:4469411476093487", "ocr", plan.id),
            ("swish:4469411476093492", "unmatched", None),
        ]
    assert _status(engine, public_id) == "paid"
    assert _status(engine, other_id) == "pending"
