"""Sessions end on the server (issue 12, item 3): logout ends that session, so a cookie copied
before it opens nothing; ``kassan users deactivate`` ends every session and API token of the
user at once; ``kassan users password`` ends the user's sessions."""

from __future__ import annotations

import pytest

from kassan.cli.main import main
from ledger.services import users
from tests.e2e.test_auth import PASSWORD, WRONG_CREDENTIALS, csrf_token, sign_in

FINANCE = "finance@kassan.test"
NEW_PASSWORD = "ett-helt-nytt-lösenord"


@pytest.fixture
def staff(engine):
    with engine.begin() as conn:
        for role in users.ROLES:
            users.create_user(conn, f"{role}@kassan.test", PASSWORD, role)


def signed_in(app, email=FINANCE, password=PASSWORD):
    client = app.test_client()
    assert sign_in(client, email, password).status_code == 302
    assert client.get("/ledger").status_code == 200
    return client


def copy_of(app, client):
    """Another browser holding the same session cookie, as a thief with a copy would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def log_out(client):
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/finance")})
    assert response.status_code == 302


def test_a_cookie_copied_before_logout_no_longer_opens_the_finance_desk(app, staff):
    client = signed_in(app)
    thief = copy_of(app, client)
    assert thief.get("/finance").status_code == 200
    log_out(client)
    response = thief.get("/finance")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert client.get("/finance").status_code == 302


def test_logout_ends_that_session_only(app, staff):
    laptop = signed_in(app)
    phone = signed_in(app)
    log_out(laptop)
    assert phone.get("/finance").status_code == 200


def test_deactivate_ends_every_session_and_token_and_the_user_cannot_sign_in(app, engine, staff):
    laptop, phone = signed_in(app), signed_in(app)
    thief = copy_of(app, laptop)
    with engine.begin() as conn:
        token = users.create_token(conn, FINANCE)
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/accounts", headers=bearer).status_code == 200

    result = app.test_cli_runner().invoke(main, ["users", "deactivate", "Finance@kassan.test"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "avaktiverade finance@kassan.test: avslutade 2 inloggningar, återkallade 1 token\n"
    )
    for browser in (laptop, phone, thief):
        assert browser.get("/finance").status_code == 302
    assert api.get("/api/v1/accounts", headers=bearer).status_code == 401
    response = sign_in(app.test_client(), FINANCE)
    assert response.status_code == 200
    assert WRONG_CREDENTIALS in response.get_data(as_text=True)
    # another user is untouched
    assert signed_in(app, "admin@kassan.test").get("/finance").status_code == 200


def test_deactivating_an_unknown_user_is_refused(app, staff):
    result = app.test_cli_runner().invoke(main, ["users", "deactivate", "nobody@kassan.test"])
    assert result.exit_code == 1
    assert "Fel: " in result.output and "nobody@kassan.test" in result.output


def test_a_new_password_ends_the_users_sessions_and_the_old_password(app, staff):
    laptop = signed_in(app)
    thief = copy_of(app, laptop)
    leadership = signed_in(app, "leadership@kassan.test")

    result = app.test_cli_runner().invoke(
        main, ["users", "password", FINANCE], input=f"{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"nytt lösenord för {FINANCE}; avslutade 1 inloggningar\n"
    assert laptop.get("/finance").status_code == 302
    assert thief.get("/finance").status_code == 302
    assert leadership.get("/dashboard").status_code == 200
    assert WRONG_CREDENTIALS in sign_in(app.test_client(), FINANCE).get_data(as_text=True)
    assert signed_in(app, FINANCE, NEW_PASSWORD).get("/finance").status_code == 200


def test_a_new_password_too_short_changes_nothing(app, staff):
    laptop = signed_in(app)
    result = app.test_cli_runner().invoke(main, ["users", "password", FINANCE], input="kort\n")
    assert result.exit_code == 1
    assert "Fel: " in result.output
    assert laptop.get("/finance").status_code == 200
    assert signed_in(app).get("/finance").status_code == 200
