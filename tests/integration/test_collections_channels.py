"""One collection given to through every channel (card by Stripe-signed events, the bank's
Swish report with the collection's reference as message and as order id, camt.054 with it as
OCR): the page's progress, the ledger's 3993 credits and the funding gap's ``received`` agree.
The organising club gets soft credit on its contributor page and in ``for_contributor``, while
the payers stay the donors of record on the ledger lines."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.services import collections, users
from reports.funding import funding_gap
from tests.support.bank_accounts import import_ours
from tests.support.camt_files import Entry, Tx, camt_bytes
from tests.support.collection_world import approved_collection
from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    add_gift,
    card_payment,
    event,
    fake_stripe_fixture,
    network_id_fixture,
    world_fixture,
)

NBSP = "\u00a0"
CARD, SWISH_MESSAGE, SWISH_ORDER, BANKGIRO = 50_000, 20_000, 7_500, 12_550
RAISED = CARD + SWISH_MESSAGE + SWISH_ORDER + BANKGIRO
PASSWORD = "korrekt-häst-batteri"
_LOGIN_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _book_inline(world):
    world.app.config["STRIPE_WEBHOOK_APPLY"] = "inline"


@pytest.fixture
def collection(engine, network_id):
    return approved_collection(engine, network_id)


def _swish_report(rows: list[tuple[str, int, str, str, str]]) -> bytes:
    """Handelsbanken's Swish report, comma variant: (payment reference, öre, payer, message,
    order id) per payment, all on 2026-11-21."""
    lines = ["01,2026-11-22,2026-11-21,"]
    for ref, ore, payer, message, order in rows:
        lines.append(
            f"02,5566778899,123456789,HANDSESS,1235524400,2026-11-21,SWH,"
            f"{ore // 100}.{ore % 100:02d},SEK,+46709879879,{payer},{ref},{message},"
            f"{order},2026-11-21T13:32:22:683413"
        )
    lines.append(f"03,{len(rows)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _give_through_every_channel(world, collection):
    public_id = add_gift(
        world.engine, network_id=collection.network_id, amount_ore=CARD, email="sara@example.se"
    )
    with world.engine.begin() as conn:
        gift_id = conn.scalar(select(t.gifts.c.id).where(t.gifts.c.public_id == public_id))
        collections.attach_gift(conn, gift_id, collection.id, "Sara Lind")
    payment = card_payment(
        world.fake,
        gift=public_id,
        network="palestina",
        amount_ore=CARD,
        fee_ore=930,
        email="sara@example.se",
    )
    assert world.deliver(event("checkout.session.completed", payment.session)).status_code == 200
    reference = collection.reference
    swish = _swish_report(
        [
            ("4469411476093487", SWISH_MESSAGE, "Anna Swish", reference, ""),
            ("4469411476093492", SWISH_ORDER, "Sven Svensson", "", reference),
        ]
    )
    import_ours(world.engine, swish, "swish.csv", mail_config=world.app.config)
    camt = camt_bytes(
        [Entry((Tx(BANKGIRO, "C1", ocr=reference, name="Per"),), date(2026, 11, 22), "E1")]
    )
    import_ours(world.engine, camt, "dag.054.xml", mail_config=world.app.config)
    return gift_id


def _income_3993(conn, network_id):
    lines = t.journal_lines.c
    return conn.scalar(
        select(func.sum(lines.credit_ore - lines.debit_ore)).where(
            lines.account == "3993", lines.network_id == network_id
        )
    )


def test_every_channel_agrees_on_the_page_in_the_ledger_and_in_the_funding_gap(
    world, collection, network_id
):
    _give_through_every_channel(world, collection)
    with world.engine.connect() as conn:
        progress = collections.progress(conn, collection)
        income = _income_3993(conn, network_id)
        gap = funding_gap(conn, 2026, network="palestina", as_of=date(2026, 11, 28))
        matched = conn.scalar(
            select(func.count())
            .select_from(t.bank_lines)
            .where(t.bank_lines.c.expected_payment_id == collection.expected_payment_id)
        )
    assert matched == 3  # both Swish lines and the camt line found the collection
    assert progress.raised.ore == income == gap.total.received_ore == RAISED
    assert progress.gift_count == 4
    page = world.client.get(f"/i/{collection.slug}").get_data(as_text=True)
    assert f"900,50{NBSP}kr" in page and "4 gåvor" in page and "Sara" in page


def test_the_club_gets_soft_credit_while_the_payers_stay_the_donors_of_record(
    world, collection, network_id
):
    gift_id = _give_through_every_channel(world, collection)
    club = collection.contributor_id
    assert club is not None
    lines = t.journal_lines.c
    with world.engine.connect() as conn:
        organised = collections.for_contributor(conn, club)
        donors = set(conn.scalars(select(lines.contributor_id).where(lines.account == "3993")))
        payer = conn.scalar(select(t.gifts.c.contributor_id).where(t.gifts.c.id == gift_id))
    assert [(o.collection.id, o.progress.raised.ore) for o in organised] == [
        (collection.id, RAISED)
    ]
    assert club not in donors and payer in donors

    with world.engine.begin() as conn:
        users.create_user(conn, "admin@kassan.test", PASSWORD, "admin")
    client = world.client
    token = _LOGIN_CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post(
        "/login", data={"csrf_token": token, "email": "admin@kassan.test", "password": PASSWORD}
    )
    page = client.get(f"/admin/contributors/{club}").get_data(as_text=True)
    assert "Insamlingar som givaren ordnat" in page
    assert "Fika för Palestina" in page and f"900,50{NBSP}kr" in page
    # the payer's own page shows no collection of its own
    assert "Insamlingar som givaren ordnat" not in client.get(
        f"/admin/contributors/{payer}"
    ).get_data(as_text=True)
