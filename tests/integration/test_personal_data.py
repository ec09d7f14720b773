"""One person's data (issue 12, item 8): ``export`` finds it in every table that holds it,
``erase`` anonymises it there and keeps the books as they were (``verify`` passes, amounts and
entry texts unchanged), and the books' retention runs seven years past the fiscal year."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select, text

from kassan.cli.contributors import contributors_cli
from ledger.db import tables as t
from ledger.money import Money
from ledger.services import contributors, expected, gifts, mail, personal_data, pii
from ledger.services.autogiro import mandates
from ledger.services.verify import verify
from ledger.statuses import MandateStatus
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Tx, camt_bytes

CRYPT = pii.cipher({"KASSAN_ENV": "test"})
DAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
CONFIG = {
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    "PUBLIC_BASE_URL": "https://ge.kassan.test",
    "ORGANISATION_NAME": "Solidaritetsfonden",
    "ORGANISATION_NUMBER": "802000-0000",
}
PERSONAL = ("Anna", "Andersson", "anna@example.se", "19811218", "0701234567", "Storgatan")


def _anna(engine: Engine) -> tuple[int, int, str]:
    """A person with a personnummer, a bankgiro gift paid by a bank line (its receipt queued), a
    Swish attempt and two e-mails (one sent); returns her id, the gift's plan and public id."""
    with engine.begin() as conn:
        cid = contributors.create(
            conn,
            CRYPT,
            "person",
            {"name": "Anna Andersson", "email": "anna@example.se", "personnummer": "198112189876"},
        )
        public_id = gifts.create_gift(
            conn,
            gifts.validate(
                {
                    "amount": "200",
                    "frequency": "once",
                    "donor_kind": "person",
                    "donor_name": "Anna Andersson",
                    "donor_email": "anna@example.se",
                    "personnummer": "19811218-9876",
                },
                channels=("card", "bankgiro", "swish"),
            ),
            network_id=None,
            crypt=CRYPT,
            channel="bankgiro",
        )
        gift = gifts.get_gift(conn, public_id)
        conn.execute(t.gifts.update().where(t.gifts.c.id == gift.id).values(contributor_id=cid))
        plan = expected.for_gift(
            conn, gift_id=gift.id, amount=Money(20_000), network_id=None, monthly=False
        )
        conn.execute(
            t.expected_payments.update()
            .where(t.expected_payments.c.id == plan.id)
            .values(contributor_id=cid)
        )
        conn.execute(
            t.swish_payments.insert().values(
                instruction_id="A" * 32,
                gift_id=gift.id,
                expected_payment_id=plan.id,
                attempt=1,
                payee_payment_reference=plan.reference,
                payer_alias="46701234567",
                amount_ore=20_000,
                currency="SEK",
                message="Gåva",
                status="DECLINED",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        conn.execute(
            t.swish_consents.insert().values(
                consent_id="B" * 32,
                gift_id=gift.id,
                expected_payment_id=plan.id,
                attempt=1,
                payee_payment_reference=plan.reference,
                payer_alias="46701234567",
                status="DECLINED",
                token="secret-token",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        mail.enqueue(conn, "sent-1", "Anna@Example.se", "Tack", "Hej Anna Andersson!")
        mail.enqueue(conn, "waiting-1", "anna@example.se", "Kvitto", "Hej Anna Andersson!")
        mail.enqueue(conn, "other-1", "bertil@example.se", "Tack", "Hej Bertil!")
        o = t.email_outbox.c
        conn.execute(t.email_outbox.update().where(o.dedupe_key == "sent-1").values(sent_at=NOW))
    lines = [
        Entry(
            (Tx(20_000, "T1", ocr=plan.reference, name="Anna Andersson", account="0701234567"),),
            DAY,
            "E1",
        ),
        Entry((Tx(9_900, "T2", message="Stödet", name="Bertil Ek"),), DAY, "E2"),
    ]
    import_ours(engine, camt_bytes(lines), "dag.xml", mail_config=CONFIG)
    return cid, plan.id, public_id


def _snapshot(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT e.id, e.text, e.hash, l.account, l.debit_ore, l.credit_ore, "
                    "l.contributor_id FROM journal_entries e JOIN journal_lines l "
                    "ON l.entry_id = e.id ORDER BY e.id, l.line_no"
                )
            )
        ]


def test_the_export_holds_everything_kassan_keeps_about_one_person(engine):
    cid, plan_id, public_id = _anna(engine)
    with engine.connect() as conn:
        data = json.loads(json.dumps(personal_data.export(conn, CRYPT, cid)))
    assert data["contributor"]["name"] == "Anna Andersson"
    assert data["contributor"]["personnummer"] == "19811218-9876"
    assert "personnummer_enc" not in json.dumps(data)
    assert [g["public_id"] for g in data["gifts"]] == [public_id]
    assert data["gifts"][0]["personnummer"] == "19811218-9876"
    assert [p["id"] for p in data["expected_payments"]] == [plan_id]
    assert [(b["key"], b["payer_name"]) for b in data["bank_lines"]] == [
        ("bank:T1", "Anna Andersson")
    ]
    assert [s["payer_alias"] for s in data["swish_payments"]] == ["46701234567"]
    assert [s["payer_alias"] for s in data["swish_consents"]] == ["46701234567"]
    assert "token" not in data["swish_consents"][0]
    assert len(data["emails"]) == 3 and {"Kvitto", "Tack"} <= {m["subject"] for m in data["emails"]}
    assert [(e["date"], [ln["credit_ore"] for ln in e["lines"]]) for e in data["entries"]] == [
        ("2026-12-01", [20_000])
    ]


def test_erasure_anonymises_the_person_and_keeps_the_books_as_they_were(engine):
    cid, _, public_id = _anna(engine)
    books = _snapshot(engine)
    with engine.begin() as conn:
        done = personal_data.erase(conn, cid, now=NOW)
    assert not done.already
    assert done.changed == {
        "contributors": 1,
        "gifts": 1,
        "bank_lines": 1,
        "swish_payments": 1,
        "swish_consents": 1,
        "autogiro_mandates": 0,
        "email_outbox": 3,  # the sent one anonymised, the waiting one and the receipt dropped
    }
    assert (done.entries_kept, done.kept_until) == (1, date(2033, 12, 31))
    assert _snapshot(engine) == books
    with engine.connect() as conn:
        assert verify(conn).problems == []
        after = json.dumps(personal_data.export(conn, CRYPT, cid), ensure_ascii=False)
        assert not [bit for bit in PERSONAL if bit in after]
        assert personal_data.export(conn, CRYPT, cid)["contributor"]["erased_at"] is not None
        o = t.email_outbox.c
        left = conn.execute(select(o.dedupe_key, o.to_addr).order_by(o.id)).all()
        assert [tuple(r) for r in left] == [
            ("sent-1", personal_data.ERASED_ADDRESS),
            ("other-1", "bertil@example.se"),
        ]
        b = t.bank_lines.c
        payers = conn.execute(select(b.key, b.payer_name, b.amount_ore).order_by(b.key)).all()
        assert [tuple(r) for r in payers] == [
            ("bank:T1", None, 20_000),
            ("bank:T2", "Bertil Ek", 9_900),
        ]
        gift = gifts.get_gift(conn, public_id)
        assert (gift.amount_ore, gift.status) == (20_000, "paid")
    with engine.begin() as conn:
        again = personal_data.erase(conn, cid, now=NOW)
    assert again.already and again.changed == {} and again.kept_until == date(2033, 12, 31)


def test_a_contributor_with_no_entries_keeps_nothing_and_an_unknown_one_is_refused(engine):
    with engine.begin() as conn:
        cid = contributors.create(conn, CRYPT, "person", {"name": "Cecilia Holm"})
        done = personal_data.erase(conn, cid, now=NOW)
    assert (done.entries_kept, done.kept_until) == (0, None)
    with engine.connect() as conn:
        try:
            personal_data.export(conn, CRYPT, 999)
        except Exception as exc:  # noqa: BLE001 (the type is the assertion)
            assert type(exc).__name__ == "DimensionNotFound"
        else:
            raise AssertionError("an unknown contributor was exported")


def test_the_commands_export_as_json_and_erase_saying_what_is_kept_until_when(engine, cli):
    cid, _, _ = _anna(engine)
    exported = cli.invoke(contributors_cli, ["export", str(cid)])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["contributor"]["personnummer"] == "19811218-9876"
    erased = cli.invoke(contributors_cli, ["erase", str(cid)])
    assert erased.exit_code == 0, erased.output
    assert erased.output.splitlines() == [
        f"Raderade personuppgifter för givare {cid}: givaren 1, gåvor 1, bankrader 1, "
        "Swishbetalningar 1, Swishmedgivanden 1, autogiromedgivanden 0, e-postmeddelanden 3.",
        "Kvar: 1 verifikation(er) med belopp och datum, utfärdade fakturor och bankfilerna som "
        "banken skickade, till och med 2033-12-31 (Bokföringslagen 7 kap. 2 §: sju år efter "
        "räkenskapsårets slut).",
    ]
    assert "Anna" not in cli.invoke(contributors_cli, ["export", str(cid)]).output
    again = cli.invoke(contributors_cli, ["erase", str(cid)])
    assert again.output.startswith(f"Givare {cid} är redan raderad")
    unknown = cli.invoke(contributors_cli, ["erase", "999"])
    assert unknown.exit_code == 1 and unknown.output.startswith("Fel: ") and "999" in unknown.output


def test_autogiro_mandates_are_exported_in_clear_and_erased_a_running_one_cancelled(engine):
    cid, _, _ = _anna(engine)
    with engine.begin() as conn:
        draft = mandates.MandateDraft(
            cid, None, Money(15_000), "19811218-9876", "8327-9", "9123456700", "Jag medger ..."
        )
        payer = mandates.create(conn, CRYPT, draft)
        mandates.record_status(conn, payer, MandateStatus.SENT, "medgivandefil")
        exported = personal_data.export(conn, CRYPT, cid)["autogiro_mandates"]
        erased = personal_data.erase(conn, cid, now=NOW)
        after = conn.execute(select(t.autogiro_mandates)).one()
        left = personal_data.export(conn, CRYPT, cid)["autogiro_mandates"]
    ((mandate,),) = (exported,)
    assert (mandate["identity"], mandate["account"]) == ("198112189876", "9123456700")
    assert not any(k.endswith("_enc") for k in mandate)
    assert [h["status"] for h in mandate["history"]] == ["new", "sent"]
    assert erased.changed["autogiro_mandates"] == 1
    assert (after.status, after.tk03_pending) == ("cancelled", True)  # Bankgirot is told
    assert (after.identity_enc, after.account_enc, after.identity_masked) == ("", "", "raderat")
    assert (left[0]["identity"], left[0]["account"]) == (None, None)
    flat = json.dumps(left, default=str)
    assert "19811218" not in flat and "9123456700" not in flat
