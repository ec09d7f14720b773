"""Issue 15's "done when" for Autogiro, end to end through the real doors: one donor gives
monthly by Autogiro on the gift form; ``kassan autogiro mandates-out`` sends the mandate;
Bankgirot's mandate advice (``kassan import``) makes it active; two months' debit orders
(``kassan autogiro payments-out``) come back in payment specifications, January approved,
February failed for want of funds and then approved when Bankgirot tries again; the donor
stops the gift with the e-mail's link (a TK03 in the next mandate file). Along the way the
dashboard counts the donor as a monthly giver, then as stopped; the annual statement holds the
two gifts."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from kassan.cli.main import main
from ledger.db import tables as t
from ledger.money import Money
from ledger.services import dimensions, gifts
from ledger.services.autogiro import mandates, signup
from ledger.statuses import MandateStatus
from reports import dashboard, donor_documents
from tests.support.autogiro_files import BANKGIRO, CUSTOMER, Debit
from tests.support.autogiro_files import mandate_advice as advice_file
from tests.support.autogiro_files import payment_specification as spec_file
from webhooks.bankfiles.autogiro import parse_autogiro

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_GIFT = re.compile(r'name="gift" value="([0-9a-f]{32})"')


def _run(cli, *args: str) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _import(cli, tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return _run(cli, "import", str(path))


def _records(path) -> list[object]:
    return list(parse_autogiro(path.read_bytes(), path.name).records)


def test_one_donor_from_the_gift_form_to_the_dashboard_and_the_annual_statement(
    app, client, cli, engine, tmp_path
):
    app.config.update(
        BANKGIRO=BANKGIRO,
        AUTOGIRO_CUSTOMER_NUMBER=CUSTOMER,
        ORGANISATION_NAME="Solidaritetskassan",
        PUBLIC_BASE_URL="https://ge.kassan.test",
    )
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")
    today = date.today()

    # the gift form: 250 kr a month by Autogiro
    page = client.get("/n/fred").get_data(as_text=True)
    given = client.post(
        "/n/fred",
        data={
            "csrf_token": _CSRF.search(page).group(1),
            "gift": _GIFT.search(page).group(1),
            "amount": "other",
            "amount_other": "250",
            "frequency": "monthly",
            "donor_kind": "person",
            "donor_name": "Anna Andersson",
            "donor_email": "anna@example.se",
            "channel": "autogiro",
            "ag_identity": "19811218-9876",
            "ag_clearing": "3300",
            "ag_account": "1212121212",
            "ag_consent": "1",
        },
    )
    assert given.status_code == 303
    public_id = given.headers["Location"].rsplit("/", 1)[-1]
    with engine.connect() as conn:
        gift = gifts.get_gift(conn, public_id)
        payer = signup.for_gift(conn, gift.id).payer_number
        cid = gift.contributor_id

    # the mandate file to Bankgirot, then Bankgirot's approval
    _run(cli, "autogiro", "mandates-out", "-o", str(tmp_path / "medgivanden.txt"))
    (tk04,) = _records(tmp_path / "medgivanden.txt")
    assert (tk04.code, int(tk04.payer_number), tk04.identity) == ("04", payer, "198112189876")
    approved = _import(cli, tmp_path, "medav.txt", advice_file(today, [(payer, "04", "32")]))
    assert "filen och bokföringen stämmer [ok]" in approved
    with engine.connect() as conn:
        assert gifts.get_gift(conn, public_id).status == "active"
        givers = dashboard.build(conn, today.year, as_of=today).givers
    assert (givers.paying, givers.started, givers.stopped) == (1, 1, 0)

    # January: ordered and approved
    _run(cli, "autogiro", "payments-out", "--month", "2027-01", "-o", str(tmp_path / "jan.txt"))
    (january,) = _records(tmp_path / "jan.txt")
    assert (int(january.payer_number), january.amount) == (payer, Money.kr(250))
    ok = Debit(payer, 25000, "0", january.reference)
    booked = _import(cli, tmp_path, "spec-jan.txt", spec_file(january.due, [ok]))
    assert "BOKFÖRD" in booked and "[ok]" in booked

    # February: no funds on the day, approved when Bankgirot tries again
    _run(cli, "autogiro", "payments-out", "--month", "2027-02", "-o", str(tmp_path / "feb.txt"))
    (february,) = _records(tmp_path / "feb.txt")
    failed = Debit(payer, 25000, "1", february.reference)
    listed = _import(cli, tmp_path, "spec-feb1.txt", spec_file(february.due, [failed]))
    assert "täckning saknas" in listed
    with engine.connect() as conn:
        debits = {
            r.month: r.status
            for r in conn.execute(select(t.autogiro_debits.c.month, t.autogiro_debits.c.status))
        }
    assert debits == {"2027-01": "approved", "2027-02": "failed"}
    again = Debit(payer, 25000, "0", february.reference)
    retried = spec_file(date(2027, 3, 1), [again], stamp="130000000000")
    _import(cli, tmp_path, "spec-feb2.txt", retried)

    # the donor stops the gift with the link in the confirmation e-mail
    o = t.email_outbox.c
    with engine.connect() as conn:
        body = conn.scalar(select(o.body_text).where(o.dedupe_key == f"autogiro-signup:{payer}"))
    stop_path = re.search(r"https://ge\.kassan\.test(/sluta/\S+)", body).group(1)
    token = _CSRF.search(client.get(stop_path).get_data(as_text=True)).group(1)
    assert client.post(stop_path, data={"csrf_token": token}).status_code == 200
    _run(cli, "autogiro", "mandates-out", "-o", str(tmp_path / "makulering.txt"))
    (tk03,) = _records(tmp_path / "makulering.txt")
    assert (tk03.code, int(tk03.payer_number)) == ("03", payer)

    with engine.connect() as conn:
        assert mandates.get(conn, payer).status is MandateStatus.CANCELLED
        assert gifts.get_gift(conn, public_id).status == "cancelled"
        after = dashboard.build(conn, today.year, as_of=today).givers
        statement = donor_documents.annual_statement(
            conn, donor_documents.get_donor(conn, cid), 2027
        )
        debits = {
            r.month: r.status
            for r in conn.execute(select(t.autogiro_debits.c.month, t.autogiro_debits.c.status))
        }
    assert (after.paying, after.stopped) == (0, 1)
    assert debits == {"2027-01": "approved", "2027-02": "approved"}
    assert [(g.date, g.gross, g.channel, g.network) for g in statement.gifts] == [
        (january.due, Money.kr(250), "Autogiro", "Fred och demokrati"),
        (date(2027, 3, 1), Money.kr(250), "Autogiro", "Fred och demokrati"),
    ]
    assert statement.total == Money.kr(500)
