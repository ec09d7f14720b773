"""Workplace collections over HTTP: the start form (CSRF, organisation number, image by content,
rate limit), nothing public before approval, the finance desk's queue and the organiser's
e-mail with a signed, revocable link, the public page with progress read from the ledger, a
bankgiro payment with the collection's reference in a camt file, the management page, the
poster read back from the PDF, the API and ``kassan collections close-expired``."""

from __future__ import annotations

import io
import random
import re
import struct
import zlib
from datetime import date, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kassan.cli.main import main
from ledger.db import tables as t
from ledger.errors import CollectionConflict
from ledger.services import collections, dimensions, users
from tests.support.bank_accounts import (
    import_ours,
    ours_in_app_fixture,  # noqa: F401 (fixtures)
)
from tests.support.camt_files import Entry, Tx, camt_bytes
from tests.support.fake_stripe_checkout import FakeStripeServer

pytestmark = pytest.mark.usefixtures("ours_in_app")

NBSP = "\u00a0"
PASSWORD = "korrekt-häst-batteri"
ORGNR = "802481-1658"
SCRIPT = "<script>alert(1)</script>"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LOGIN_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_LINK = re.compile(r"(/i/[a-z0-9-]+/hantera/\S+)")


@pytest.fixture
def setup(app, engine):
    app.config.update(BANKGIRO="5050-1055", SWISH_PAYEE_NUMBER="1231181189")
    app.config["PUBLIC_BASE_URL"] = "https://ge.kassan.test"
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")


def _form(client, **changes):
    page = client.get("/insamling/ny").get_data(as_text=True)
    data = {
        "csrf_token": _CSRF.search(page).group(1),
        "org_name": "Verkstadsklubben Volvo",
        "organisation_number": ORGNR,
        "contact_name": "Karin Berg",
        "contact_email": "karin@example.se",
        "network": "fred",
        "title": "Fika för fred " + SCRIPT,
        "body": "Vi samlar in på jobbet.",
        "goal": "5 000",
        "end_date": (date.today() + timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return client.post("/insamling/ny", data=data, content_type="multipart/form-data")


def _only(engine):
    with engine.connect() as conn:
        return collections.list_collections(conn)[0]


def _approve(client, engine, found):
    with engine.begin() as conn:
        users.create_user(conn, "finance@kassan.test", PASSWORD, "finance")
    token = _LOGIN_CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post(
        "/login", data={"csrf_token": token, "email": "finance@kassan.test", "password": PASSWORD}
    )
    queue = client.get("/finance/insamlingar").get_data(as_text=True)
    assert SCRIPT not in queue and "&lt;script&gt;" in queue
    csrf = _CSRF.search(queue).group(1)
    response = client.post(
        f"/finance/insamlingar/{found.id}", data={"csrf_token": csrf, "decision": "approve"}
    )
    assert response.status_code == 303
    client.post("/logout", data={"csrf_token": csrf})
    return _only(engine)


def _mail_link(engine) -> tuple[str, str]:
    o = t.email_outbox.c
    with engine.connect() as conn:
        subject, body = conn.execute(select(o.subject, o.body_text).order_by(o.id.desc())).first()
    return subject, _LINK.search(body).group(1)


def test_the_start_form_refuses_a_bad_organisation_number_and_a_fake_image(client, engine, setup):
    fake = (io.BytesIO(b"<?php echo 1; ?>" * 10), "bild.png")
    response = _form(client, organisation_number="802000-0001", image=fake)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Organisationsnumret stämmer inte" in page
    assert "JPEG-, PNG- eller WebP-bild" in page
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.collections)) == 0


def _png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width x height (Pillow reads the size before any pixel)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(20_000, 20_000), (12_000, 12_000), (6_000, 5_000)])
def test_an_image_with_too_many_pixels_is_refused_in_swedish_and_nothing_is_stored(
    client, engine, setup, size
):
    bomb = (io.BytesIO(_png_header(*size)), "bild.png")
    response = _form(client, image=bomb)
    assert response.status_code == 422
    assert "Bilden har för många bildpunkter (högst 24 megapixlar)" in response.get_data(
        as_text=True
    )
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.collections)) == 0


def test_an_image_within_the_stated_limit_is_never_refused_for_the_requests_size(
    client, engine, setup
):
    form = client.get("/insamling/ny").get_data(as_text=True)
    assert "högst 2 MB och 24 megapixlar" in form
    noise = Image.frombytes("RGB", (800, 700), random.Random(7).randbytes(800 * 700 * 3))
    png = io.BytesIO()
    noise.save(png, "PNG")
    assert 1024 * 1024 < png.tell() < 2 * 1024 * 1024  # above the app's usual 1 MiB
    png.seek(0)
    page = client.get("/insamling/ny").get_data(as_text=True)
    values = {
        "csrf_token": _CSRF.search(page).group(1),
        "org_name": "Verkstadsklubben Volvo",
        "organisation_number": ORGNR,
        "contact_name": "Karin Berg",
        "contact_email": "karin@example.se",
        "title": "Stor bild",
        "body": "Vi samlar in på jobbet.",
        "goal": "5 000",
        "end_date": (date.today() + timedelta(days=30)).isoformat(),
        "image": FileStorage(png, filename="bild.png", content_type="image/png"),
    }
    # encoded here, in memory: the test client would spool a body this large to a temporary
    # file of its own that it never closes
    boundary, body = encode_multipart(values)
    response = client.post(
        "/insamling/ny", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 200
    assert _only(engine).has_image


def test_the_start_form_needs_its_csrf_token(client, setup):
    client.application.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/insamling/ny", data={"title": "x"})
    assert response.status_code == 400


def test_a_fourth_start_from_one_address_within_the_hour_is_refused(client, engine, setup):
    for n in range(collections.RATE_LIMIT):
        assert _form(client, title=f"Insamling {n}").status_code == 200
    assert _form(client, title="En till").status_code == 429
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.collections)) == 3


def test_a_collection_is_started_approved_given_to_and_its_page_agrees_with_the_ledger(
    client, engine, setup
):
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    assert _form(client, image=(io.BytesIO(png.getvalue()), "x.exe")).status_code == 200
    started = _only(engine)
    assert started.status == "pending" and started.has_image
    # nothing is public before approval
    assert client.get(f"/i/{started.slug}").status_code == 404
    assert client.get(f"/i/{started.slug}/bild").status_code == 404

    found = _approve(client, engine, started)
    assert found.status == "active" and found.reference
    subject, link = _mail_link(engine)
    assert "\n" not in subject and found.title in subject
    with engine.connect() as conn:
        club = conn.execute(
            select(t.contributors.c.name, t.contributors.c.organisation_number).where(
                t.contributors.c.id == found.contributor_id
            )
        ).one()
    assert tuple(club) == ("Verkstadsklubben Volvo", ORGNR)  # soft credit goes to the club

    # two members pay by bankgiro with the collection's one reference
    entries = [
        Entry((Tx(30_000, "C1", ocr=found.reference, name="Per"),), date.today(), "E1"),
        Entry((Tx(12_550, "C2", ocr=found.reference, name="Lisa"),), date.today(), "E2"),
    ]
    import_ours(engine, camt_bytes(entries), "dag.054.xml")
    with engine.connect() as conn:
        income = conn.scalar(
            select(func.sum(t.journal_lines.c.credit_ore))
            .join(t.journal_entries, t.journal_lines.c.entry_id == t.journal_entries.c.id)
            .join(t.networks, t.journal_lines.c.network_id == t.networks.c.id)
            .where(
                t.journal_entries.c.source_key.in_(["bank:C1", "bank:C2"]),
                t.journal_lines.c.account == "3993",
                t.networks.c.slug == "fred",
            )
        )
        progress = collections.progress(conn, found)
    assert income == progress.raised.ore == 42_550
    assert progress.gift_count == 2

    page = client.get(f"/i/{found.slug}").get_data(as_text=True)
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert f"425,50{NBSP}kr" in page and f"5{NBSP}000,00{NBSP}kr" in page
    assert "2 gåvor" in page and "30 dagar kvar" in page
    assert found.reference in page and "anonym" in page
    assert client.get(f"/i/{found.slug}/bild").mimetype == "image/png"

    # the organiser edits the goal and reports cash; history kept
    manage = client.get(link).get_data(as_text=True)
    csrf = _CSRF.search(manage).group(1)
    edit = {"csrf_token": csrf, "action": "edit", "title": found.title, "body": found.body}
    edit |= {"goal": "8000", "end_date": found.end_date.isoformat(), "thanks_text": "Tack!"}
    assert client.post(link, data=edit).status_code == 303
    cash = {"csrf_token": csrf, "action": "cash", "cash": "3 450", "note": "årsmötet"}
    assert client.post(link, data=cash).status_code == 303
    manage = client.get(link).get_data(as_text=True)
    assert "500000 → 800000" in manage and f"3{NBSP}450,00{NBSP}kr" in manage

    # revoking the links makes the old one fail
    with engine.begin() as conn:
        collections.revoke_links(conn, found.id)
    assert client.get(link).status_code == 404


def test_the_same_application_sent_twice_waits_in_the_queue_once(client, engine, setup):
    first = _form(client)
    again = _form(client, title=("Fika för fred " + SCRIPT).upper())  # a reload, retyped
    assert first.status_code == again.status_code == 200
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.collections)) == 1
    assert _form(client, title="Något annat").status_code == 200
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.collections)) == 2


def test_the_desk_lists_collections_in_swedish_with_one_notice_after_a_decision(
    client, engine, setup
):
    _form(client)
    found = _only(engine)
    with engine.begin() as conn:
        users.create_user(conn, "finance@kassan.test", PASSWORD, "finance")
    token = _LOGIN_CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post(
        "/login", data={"csrf_token": token, "email": "finance@kassan.test", "password": PASSWORD}
    )
    desk = client.get("/finance").get_data(as_text=True)
    assert 'href="/finance/insamlingar"' in desk  # in the menu and the desk's own navigation
    queue = client.get("/finance/insamlingar").get_data(as_text=True)
    assert "(väntar på granskning)" in queue and "pending" not in queue
    assert "Inga pågående insamlingar." in queue
    assert 'class="button button--small" name="decision" value="approve"' in queue
    csrf = _CSRF.search(queue).group(1)
    answer = client.post(
        f"/finance/insamlingar/{found.id}",
        data={"csrf_token": csrf, "decision": "approve"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert answer.count("Insamlingen Fika för fred") == 1
    assert ": pågår." in answer and "active" not in answer
    assert "Inga insamlingar väntar på granskning." in answer


def test_the_poster_offers_the_card_only_where_card_payments_are_set_up(client, engine, setup):
    _form(client)
    started = _only(engine)
    with engine.begin() as conn:
        found = collections.approve(conn, started.id)

    def poster_text() -> str:
        response = client.get(f"/i/{found.slug}/affisch.pdf")
        return PdfReader(io.BytesIO(response.data)).pages[0].extract_text()

    assert "Ge med kort" not in poster_text() and "Läs mer och följ insamlingen" in poster_text()
    client.application.config["STRIPE_SECRET_KEY"] = "sk_test_poster"
    assert "Ge med kort eller läs mer" in poster_text()


def test_a_refused_collection_stays_hidden_and_its_organiser_reads_why(client, engine, setup):
    _form(client)
    found = _only(engine)
    with engine.begin() as conn:
        refused = collections.review(conn, found.id, "refused", "Inte en facklig insamling.")
    assert refused.status == "refused"
    assert client.get(f"/i/{found.slug}").status_code == 404
    with engine.begin() as conn, pytest.raises(CollectionConflict):
        collections.approve(conn, found.id)


def test_the_poster_carries_title_goal_bankgiro_ocr_and_the_short_url(client, engine, setup):
    _form(client)
    started = _only(engine)
    with engine.begin() as conn:
        found = collections.approve(conn, started.id)
    response = client.get(f"/i/{found.slug}/affisch.pdf")
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert SCRIPT in text  # shown as the text it is, never run
    for expected in ("5 000,00 kr", "5050-1055", found.reference, "1231181189"):
        assert expected in text.replace(NBSP, " ")
    assert f"https://ge.kassan.test/i/{found.slug}" in text.replace("\n", "")


def test_close_expired_closes_once(cli, engine, setup, client):
    _form(client)
    started = _only(engine)
    with engine.begin() as conn:
        found = collections.approve(conn, started.id)
    later = (found.end_date + timedelta(days=1)).isoformat()
    first = cli.invoke(main, ["collections", "close-expired", "--date", later])
    second = cli.invoke(main, ["collections", "close-expired", "--date", later])
    assert "stängde 1 insamling" in first.output
    assert "stängde 0 insamling" in second.output
    assert _only(engine).status == "closed"


def test_the_api_creates_approves_lists_and_closes(client, engine, setup):
    with engine.begin() as conn:
        users.create_user(conn, "api@kassan.test", PASSWORD, "finance")
        token = users.create_token(conn, "api@kassan.test", "test")
    auth = {"Authorization": f"Bearer {token}"}
    body = {
        "org_name": "Klubben",
        "organisation_number": ORGNR,
        "contact_name": "Karin",
        "contact_email": "karin@example.se",
        "network": "fred",
        "title": "Jul",
        "body": "Text",
        "goal": 1000,
        "end_date": (date.today() + timedelta(days=10)).isoformat(),
    }
    created = client.post("/api/v1/collections", json=body, headers=auth)
    assert created.status_code == 201, created.get_json()
    cid = created.get_json()["id"]
    bad = client.post("/api/v1/collections", json={**body, "goal": 0}, headers=auth)
    assert bad.status_code == 422
    approved = client.post(f"/api/v1/collections/{cid}/approve", headers=auth).get_json()
    assert approved["status"] == "active" and approved["reference"]
    listed = client.get("/api/v1/collections", headers=auth).get_json()["collections"]
    assert [c["id"] for c in listed] == [cid]
    closed = client.post(f"/api/v1/collections/{cid}/close", headers=auth).get_json()
    assert closed["status"] == "closed"
    assert client.get("/api/v1/collections/999", headers=auth).status_code == 404


def _approved(client, engine):
    _form(client)
    started = _only(engine)
    with engine.begin() as conn:
        return collections.approve(conn, started.id)


def _give(client, slug, **changes):
    page = client.get(f"/i/{slug}").get_data(as_text=True)
    data = {
        "csrf_token": _CSRF.search(page).group(1),
        "gift": re.search(r'name="gift" value="([0-9a-f]{32})"', page).group(1),
        "amount": "200",
        "frequency": "once",
        "donor_kind": "person",
        "donor_name": "Anna Andersson",
        "donor_email": "anna@example.se",
        "channel": "bankgiro",
    }
    data.update(changes)
    return client.post(f"/i/{slug}", data=data)


def test_a_card_gift_on_the_page_carries_the_collection_in_the_checkout_metadata(
    client, engine, setup, app
):
    found = _approved(client, engine)
    with FakeStripeServer() as fake:
        app.config["STRIPE_SECRET_KEY"] = fake.secret_key
        app.config["STRIPE_API_BASE"] = fake.url
        response = _give(client, found.slug, channel="card", show_name="1")
        assert response.status_code == 303
        (sent,) = fake.posts("/v1/checkout/sessions")
    assert sent.params["metadata"]["collection"] == found.slug
    assert sent.params["cancel_url"].endswith(
        f"/i/{found.slug}?gift={sent.params['metadata']['gift']}"
    )
    with engine.connect() as conn:
        gift = conn.execute(select(t.gifts.c.collection_id, t.gifts.c.shown_name)).one()
    assert tuple(gift) == (found.id, "Anna")


def test_a_bankgiro_gift_on_the_page_counts_once_paid_with_its_own_reference(
    client, engine, setup, app
):
    found = _approved(client, engine)
    response = _give(client, found.slug, show_name="1")
    assert response.status_code == 303
    with engine.connect() as conn:
        reference = conn.scalar(
            select(t.expected_payments.c.reference).where(t.expected_payments.c.kind == "gift")
        )
    import_ours(
        engine,
        camt_bytes([Entry((Tx(20_000, "G1", ocr=reference),), date.today(), "E9")]),
        "g.xml",
        mail_config=app.config,
    )
    page = client.get(f"/i/{found.slug}").get_data(as_text=True)
    assert "1 gåvor" in page and f"200,00{NBSP}kr" in page and "Anna" in page
    assert "Andersson" not in page  # the first name only
