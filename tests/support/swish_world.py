"""The Swish tests' world: the fake Swish (mutual TLS), the app served over real HTTP on
127.0.0.1 for Swish's callbacks, and gifts with their expected payments.

Import the ``*_fixture`` functions into a test module and use them by their short names.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from werkzeug.serving import make_server

from ledger.db import tables as t
from ledger.money import Money
from ledger.services import expected
from tests.support.fake_swish import MERCHANT, FakeSwish, Pki, make_pki
from tests.support.ledger import add_network
from webhooks.swish import checkout, consents


class SwishWorld:
    def __init__(self, app: Any, engine: Engine, fake: FakeSwish, base_url: str) -> None:
        self.app, self.engine, self.fake, self.base_url = app, engine, fake, base_url

    def gift(self, amount_ore: int = 25_000, *, network: str | None = "palestina") -> str:
        """A pending Swish gift and its expected payment, as the checkout page makes them."""
        public_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            network_id = None
            if network is not None:
                network_id = conn.scalar(
                    select(t.networks.c.id).where(t.networks.c.slug == network)
                ) or add_network(conn, network)
            gift_id = conn.execute(
                text(
                    "INSERT INTO gifts (public_id, network_id, amount_ore, currency, frequency, "
                    "channel, status, donor_kind, donor_name, donor_email, consent_contact, "
                    "locale) VALUES (:p, :n, :a, 'SEK', 'once', 'swish', 'pending', 'person', "
                    "'Sara Lind', 'sara@example.se', false, 'sv') RETURNING id"
                ),
                {"p": public_id, "n": network_id, "a": amount_ore},
            ).scalar_one()
            expected.create(
                conn,
                kind="gift",
                amount=Money(amount_ore, "SEK"),
                network_id=network_id,
                contributor_id=None,
                gift_id=gift_id,
            )
        return public_id

    def start(self, public_id: str, payer: str | None = "0701234567") -> str:
        """``checkout.start`` as the checkout page calls it; returns the instruction id."""
        with self.app.app_context(), self.engine.begin() as conn:
            gift_id = conn.scalar(select(t.gifts.c.id).where(t.gifts.c.public_id == public_id))
            plan = expected.by_gift(conn, gift_id)
            assert plan is not None
            path = checkout.start(conn, self.app.config, public_id, plan, payer)
        return path.rsplit("/", 1)[-1]

    def monthly_gift(self, amount_ore: int = 20_000, *, network: str | None = "palestina") -> str:
        """A pending monthly Swish gift and its monthly reference, as the gift form makes them."""
        public_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            network_id = None
            if network is not None:
                network_id = conn.scalar(
                    select(t.networks.c.id).where(t.networks.c.slug == network)
                ) or add_network(conn, network)
            gift_id = conn.execute(
                text(
                    "INSERT INTO gifts (public_id, network_id, amount_ore, currency, frequency, "
                    "channel, status, donor_kind, donor_name, donor_email, consent_contact, "
                    "locale, created_at, updated_at) VALUES (:p, :n, :a, 'SEK', 'monthly', "
                    "'swish', 'pending', 'person', 'Sara Lind', 'sara@example.se', false, 'sv', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"p": public_id, "n": network_id, "a": amount_ore},
            ).scalar_one()
            expected.for_gift(
                conn,
                gift_id=gift_id,
                amount=Money(amount_ore, "SEK"),
                network_id=network_id,
                monthly=True,
            )
        return public_id

    def consent(self, public_id: str, payer: str | None = "0701234567") -> str:
        """``consents.start`` as the gift form calls it; returns the consent id."""
        with self.app.app_context(), self.engine.begin() as conn:
            gift_id = conn.scalar(select(t.gifts.c.id).where(t.gifts.c.public_id == public_id))
            plan = expected.by_gift(conn, gift_id)
            assert plan is not None
            path = consents.start(conn, self.app.config, public_id, plan, payer)
        return path.rsplit("/", 1)[-1]

    def consent_row(self, consent_id: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                select(t.swish_consents).where(t.swish_consents.c.consent_id == consent_id)
            ).one()

    def charges(self, consent_id: str) -> list[Any]:
        """The consent's recurring payments, by month and attempt."""
        r = t.swish_recurring_payments.c
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(t.swish_recurring_payments)
                    .where(r.consent_id == consent_id)
                    .order_by(r.month, r.attempt)
                )
            )

    def payment(self, instruction_id: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                select(t.swish_payments).where(t.swish_payments.c.instruction_id == instruction_id)
            ).one()

    def entries(self, prefix: str = "swish") -> list[tuple[str, str, int, int, int | None]]:
        """(source key, account, debit, credit, network id) of every line booked from Swish."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT e.source_key, l.account, l.debit_ore, l.credit_ore, l.network_id "
                    "FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id "
                    "WHERE e.source_key LIKE :p ORDER BY e.id, l.line_no"
                ),
                {"p": f"{prefix}%"},
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    def gift_status(self, public_id: str) -> str:
        with self.engine.connect() as conn:
            return str(
                conn.scalar(select(t.gifts.c.status).where(t.gifts.c.public_id == public_id))
            )

    def expected_of(self, public_id: str) -> expected.ExpectedPayment:
        with self.engine.connect() as conn:
            gift_id = conn.scalar(select(t.gifts.c.id).where(t.gifts.c.public_id == public_id))
            found = expected.by_gift(conn, gift_id)
        assert found is not None
        return found


@pytest.fixture(name="swish_pki", scope="session")
def swish_pki_fixture(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(Path(tmp_path_factory.mktemp("swish-pki")))


@pytest.fixture(name="fake_swish")
def fake_swish_fixture(swish_pki: Pki) -> Iterator[FakeSwish]:
    with FakeSwish(swish_pki) as fake:
        fake.allow_http_callback = True  # the live app below is served over http
        yield fake


def swish_config(pki: Pki, fake: FakeSwish, base_url: str) -> dict[str, str]:
    return {
        "SWISH_MERCHANT_NUMBER": MERCHANT,
        "SWISH_API_BASE": fake.base,
        "SWISH_CERT": str(pki.client_cert),
        "SWISH_KEY": str(pki.client_key),
        "SWISH_CA": str(pki.ca),
        "SWISH_CALLBACK_URL": f"{base_url}/webhooks/swish",
        "PUBLIC_BASE_URL": base_url,
    }


@pytest.fixture(name="swish")
def swish_world_fixture(
    app: Any, engine: Engine, fake_swish: FakeSwish, swish_pki: Pki
) -> Iterator[SwishWorld]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config.update(swish_config(swish_pki, fake_swish, base_url))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SwishWorld(app, engine, fake_swish, base_url)
    server.shutdown()
    thread.join(timeout=5)
