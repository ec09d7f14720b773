"""Sign-in throttling over HTTP (issue 12, item 2): failed tries are counted per account and per
client address; over either limit the login answers 429 with ``Retry-After`` and a Swedish
message, before any password is hashed, and the right password waits out the lockout too."""

from __future__ import annotations

import logging
import time
import types

import limits.storage.memory
import pytest
from argon2 import PasswordHasher

from kassan.web import login_throttle
from ledger.services import users
from tests.e2e.test_auth import PASSWORD, WRONG_CREDENTIALS, sign_in

WRONG = "fel-lösenord-helt-och-hållet"
LOCKED = "För många inloggningsförsök. Försök igen om 15 minuter."


@pytest.fixture
def staff(engine):
    with engine.begin() as conn:
        for role in users.ROLES:
            users.create_user(conn, f"{role}@kassan.test", PASSWORD, role)


@pytest.fixture
def clock(monkeypatch):
    """The memory store's clock, moved forward by the test instead of waited for."""
    offset = [0.0]
    fake = types.SimpleNamespace(time=lambda: time.time() + offset[0])
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(login_throttle, "time", fake)

    def advance(seconds: float) -> None:
        offset[0] += seconds

    return advance


class CountingHasher:
    """argon2's hasher, counting the hashes and verifications it does."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.count = 0

    def hash(self, password: str) -> str:
        self.count += 1
        return self.real.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        self.count += 1
        return self.real.verify(stored, password)

    def check_needs_rehash(self, stored: str) -> bool:
        return self.real.check_needs_rehash(stored)


@pytest.fixture
def argon2(monkeypatch):
    """How often argon2 ran: a throttled try must not reach it."""
    counting = CountingHasher(users._hasher)
    monkeypatch.setattr(users, "_hasher", counting)
    return counting


def test_ten_wrong_passwords_lock_the_account_and_the_right_one_is_refused(
    client, staff, argon2, caplog
):
    caplog.set_level(logging.WARNING, logger="kassan.web.login_throttle")
    for _ in range(10):
        response = sign_in(client, "finance@kassan.test", WRONG)
        assert response.status_code == 200
        assert WRONG_CREDENTIALS in response.get_data(as_text=True)
    assert argon2.count == 10
    response = sign_in(client, "finance@kassan.test", PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    html = response.get_data(as_text=True)
    assert LOCKED in html
    assert 'role="alert"' in html
    assert client.get("/ledger").status_code == 302
    assert argon2.count == 10  # the throttled try never reached argon2
    failed = [r.getMessage() for r in caplog.records if "failed sign-in" in r.getMessage()]
    assert len(failed) == 10
    assert "'finance@kassan.test' from 127.0.0.1" in failed[0]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert WRONG not in logged and PASSWORD not in logged


def test_the_e_mail_is_one_account_whatever_its_case(client, staff):
    for n in range(10):
        sign_in(client, "Finance@Kassan.test" if n % 2 else " finance@kassan.test", WRONG)
    assert sign_in(client, "FINANCE@kassan.test").status_code == 429


def test_another_account_from_the_same_address_is_held_by_the_address_limit(app, staff):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "12 per 15 minutes"
    client = app.test_client()
    for _ in range(10):
        sign_in(client, "finance@kassan.test", WRONG)
    # the account limit holds finance only: admin signs in from the same address
    assert sign_in(client, "admin@kassan.test").status_code == 302
    other = app.test_client()
    for email in ("nobody@kassan.test", "noone@kassan.test"):
        assert sign_in(other, email, WRONG).status_code == 200
    # twelve failures from 127.0.0.1: now every account is held there
    response = sign_in(other, "leadership@kassan.test")
    assert response.status_code == 429
    assert "För många inloggningsförsök" in response.get_data(as_text=True)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert sign_in(elsewhere, "leadership@kassan.test").status_code == 302


def test_after_the_window_the_right_password_works_again(client, staff, clock):
    for _ in range(10):
        sign_in(client, "finance@kassan.test", WRONG)
    assert sign_in(client, "finance@kassan.test").status_code == 429
    clock(14 * 60)
    response = sign_in(client, "finance@kassan.test")
    assert response.status_code == 429
    assert "Försök igen om 1 minut." in response.get_data(as_text=True)
    clock(60 + 1)
    response = sign_in(client, "finance@kassan.test")
    assert response.status_code == 302
    assert client.get("/ledger").status_code == 200


def test_a_successful_sign_in_does_not_count(client, staff):
    for _ in range(12):
        assert sign_in(client, "finance@kassan.test").status_code == 302
        client.get("/ledger")
        client.delete_cookie("session")
    assert sign_in(client, "finance@kassan.test").status_code == 302


def test_looking_at_the_login_page_is_never_throttled(client, staff):
    for _ in range(10):
        sign_in(client, "finance@kassan.test", WRONG)
    assert client.get("/login").status_code == 200
