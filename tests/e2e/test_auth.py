"""Staff sign-in over HTTP: the Swedish login page, CSRF on every form, roles, sign-out,
and the configuration the app refuses to start without."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import update

from kassan.web import appliers
from kassan.web.app import create_app
from kassan.web.auth import role_required
from ledger.db import tables as t
from ledger.errors import ConfigError
from ledger.services import users

PASSWORD = "korrekt-häst-batteri"
WRONG_CREDENTIALS = "Fel e-postadress eller lösenord."
_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


@pytest.fixture
def staff(engine):
    with engine.begin() as conn:
        for role in users.ROLES:
            users.create_user(conn, f"{role}@kassan.test", PASSWORD, role)


def csrf_token(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, html
    return match.group(1) or match.group(2)


def sign_in(client, email, password=PASSWORD, *, next_=None):
    url = "/login" if next_ is None else f"/login?next={next_}"
    token = csrf_token(client)
    return client.post(url, data={"csrf_token": token, "email": email, "password": password})


def test_the_login_page_is_swedish_with_labelled_fields(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert "<h1" in html and "Logga in</h1>" in html
    assert re.search(r'<label for="email">E-post</label>', html)
    assert re.search(r'<label for="password">Lösenord</label>', html)
    assert 'autocomplete="current-password"' in html
    assert "<script" not in html


def test_a_staff_member_signs_in_and_reaches_the_ledger(client, staff):
    response = sign_in(client, "finance@kassan.test")
    assert response.status_code == 302
    assert response.headers["Location"] == "/ledger"
    page = client.get("/ledger")
    assert page.status_code == 200
    assert "finance@kassan.test" in page.get_data(as_text=True)


def test_a_signed_in_member_who_opens_the_login_page_goes_to_the_ledger(client, staff):
    sign_in(client, "admin@kassan.test")
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/ledger"


def test_the_e_mail_address_is_matched_without_regard_to_case(client, staff):
    assert sign_in(client, "  Finance@Kassan.TEST ").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [("finance@kassan.test", "fel-lösenord-helt-och-hållet"), ("nobody@kassan.test", PASSWORD)],
)
def test_a_wrong_password_and_an_unknown_user_get_the_same_swedish_error(
    client, staff, email, password
):
    response = sign_in(client, email, password)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert WRONG_CREDENTIALS in html
    assert 'role="alert"' in html
    assert client.get("/ledger").status_code == 302


def test_an_empty_form_is_shown_again_with_field_errors(client, staff):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "email": "", "password": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Fyll i din e-postadress." in html
    assert "Fyll i ditt lösenord." in html
    assert 'aria-invalid="true"' in html


def test_a_login_post_without_a_csrf_token_is_refused(client, staff):
    client.get("/login")
    response = client.post("/login", data={"email": "finance@kassan.test", "password": PASSWORD})
    assert response.status_code == 400
    assert "säkerhetstoken" in response.get_data(as_text=True)
    assert client.get("/ledger").status_code == 302


def test_a_login_post_with_a_forged_csrf_token_is_refused(client, staff):
    client.get("/login")
    response = client.post(
        "/login",
        data={"csrf_token": "forged", "email": "finance@kassan.test", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert client.get("/ledger").status_code == 302


def test_a_deactivated_user_cannot_sign_in_and_is_signed_out(client, engine, staff):
    assert sign_in(client, "finance@kassan.test").status_code == 302
    with engine.begin() as conn:
        conn.execute(
            update(t.users).where(t.users.c.email == "finance@kassan.test").values(active=False)
        )
    assert client.get("/ledger").status_code == 302
    response = sign_in(client, "finance@kassan.test")
    assert WRONG_CREDENTIALS in response.get_data(as_text=True)


def test_logout_needs_a_csrf_token_and_ends_the_session(client, staff):
    sign_in(client, "leadership@kassan.test")
    assert client.post("/logout").status_code == 400
    assert client.get("/ledger").status_code == 200
    token = csrf_token(client, "/ledger")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Du är utloggad." in client.get("/login").get_data(as_text=True)
    assert client.get("/ledger").status_code == 302


def test_logout_is_not_a_get(client):
    assert client.get("/logout").status_code == 405


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/ledger?page=1", "/ledger?page=1"),
        ("https://evil.example/", "/ledger"),
        ("//evil.example/", "/ledger"),
        ("/\\evil.example", "/ledger"),
        ("////evil.example/phish", "/ledger"),
        ("///evil.example/phish", "/ledger"),
        ("%2F%2Fevil.example", "/ledger"),
        ("/%09/evil.example", "/ledger"),  # a browser drops the tab: //evil.example
        ("/%0A/evil.example", "/ledger"),
        ("%5C%5Cevil.example", "/ledger"),
        ("http:/evil.example", "/ledger"),
        ("javascript:alert(1)", "/ledger"),
        ("evil.example", "/ledger"),
        ("", "/ledger"),
        ("/finance?back=//y", "/finance?back=//y"),  # a query may hold slashes
    ],
)
def test_after_sign_in_only_a_path_on_this_site_is_followed(client, staff, target, landing):
    response = sign_in(client, "admin@kassan.test", next_=target)
    assert response.headers["Location"] == landing


def test_a_protected_page_sends_an_anonymous_visitor_to_login_and_back(client, staff):
    response = client.get("/ledger")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fledger"
    login_page = client.get("/login?next=%2Fledger").get_data(as_text=True)
    assert "Logga in för att se sidan." in login_page
    assert sign_in(client, "admin@kassan.test", next_="%2Fledger").headers["Location"] == "/ledger"


@pytest.fixture
def admin_only_app(app: Flask) -> Flask:
    @app.get("/test-admin-only")
    @role_required("admin")
    def admin_only() -> str:
        return "hemligt"

    return app


def test_role_required_refuses_other_roles_with_a_swedish_403(admin_only_app, staff):
    client = admin_only_app.test_client()
    sign_in(client, "finance@kassan.test")
    response = client.get("/test-admin-only")
    assert response.status_code == 403
    assert "Åtkomst nekad" in response.get_data(as_text=True)
    other = admin_only_app.test_client()
    sign_in(other, "admin@kassan.test")
    assert other.get("/test-admin-only").get_data(as_text=True) == "hemligt"


def test_role_required_sends_anonymous_visitors_to_login(admin_only_app):
    response = admin_only_app.test_client().get("/test-admin-only")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_role_required_refuses_unknown_role_names():
    with pytest.raises(ValueError, match="role_required"):
        role_required("treasurer")
    with pytest.raises(ValueError, match="role_required"):
        role_required()


def test_the_staff_session_does_not_open_the_api(client, staff):
    sign_in(client, "admin@kassan.test")
    assert client.get("/ledger").status_code == 200
    assert client.get("/api/v1/accounts").status_code == 401
    response = client.post("/api/v1/entries", json={})
    assert response.status_code == 401


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("KASSAN_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'kassan.db'}")
    monkeypatch.setenv("KASSAN_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "too-short")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_its_secrets_and_sends_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("KASSAN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'kassan.db'}")
    monkeypatch.setenv("KASSAN_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KASSAN_PII_KEYS", "k" * 43 + "=")
    monkeypatch.setenv("KASSAN_ORGANISATION_NUMBER", "556265-1892")
    app = create_app()
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        response = app.test_client().get("/login")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        # a production app starts its bank-import worker with the process: end it with the
        # test, or it polls this test's deleted database for the rest of the run
        appliers.stop(app)
        app.extensions["kassan.engine"].dispose()


def test_an_empty_secret_key_in_the_config_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("KASSAN_ENV", "test")
    monkeypatch.setenv("KASSAN_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"})
