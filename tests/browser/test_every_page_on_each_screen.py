"""Every page as a person on a 375 px phone and a 1280 px desktop sees it: it opens, nothing
sticks out sideways (``scrollWidth <= innerWidth``), and the Content Security Policy blocks
nothing on it (the ``screen`` fixture fails the test on any blocked style or script)."""

from __future__ import annotations

from ledger.services import users
from tests.support.dashboard import build_world

PASSWORD = "ett långt lösenord"

PUBLIC = ("/", "/ge", "/n/fred", "/insamling/ny", "/login")
STAFF = (
    "/ledger",
    "/dashboard?year=2026",
    "/finance",
    "/finance/imports",
    "/finance/autogiro",
    "/finance/invoices",
    "/finance/invoices/new",
    "/finance/pledges",
    "/finance/pledges/new",
    "/finance/insamlingar",
    "/admin/contributors",
    "/admin/networks",
    "/admin/networks/fred",
)


# A button (or a link styled as one) is one box inside the screen: an inline link whose text
# wraps is several boxes, and its background spills out of its place (the board report's link
# on the dashboard did).
_BROKEN_BUTTONS = """
[...document.querySelectorAll('.button, button')]
  .filter(b => b.offsetParent !== null)
  .filter(b => b.getClientRects().length > 1
               || b.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
               || b.scrollWidth > b.clientWidth + 1)
  .map(b => b.textContent.trim())
"""


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def _open(page, url: str) -> None:  # type: ignore[no-untyped-def]
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    assert _overflow(page) <= 0, f"{url} is {_overflow(page)} px wider than the screen"
    broken = page.evaluate(_BROKEN_BUTTONS)
    assert broken == [], f"{url}: buttons broken over lines or out of the screen: {broken}"


def test_every_page_fits_the_screen_and_the_policy_blocks_nothing(engine, live_server, screen, app):
    app.config.update(BANKGIRO="991-2346", SWISH_PAYEE_NUMBER="1231181189")
    with engine.begin() as conn:
        users.create_user(conn, "admin@example.org", PASSWORD, "admin")
        ids = build_world(conn)
    for path in PUBLIC:
        _open(screen, f"{live_server}{path}")

    screen.goto(f"{live_server}/login")
    screen.get_by_label("E-post").fill("admin@example.org")
    screen.get_by_label("Lösenord").fill(PASSWORD)
    screen.get_by_role("button", name="Logga in").click()
    screen.wait_for_url(f"{live_server}/ledger**")
    for path in (*STAFF, f"/admin/contributors/{ids['byggnads']}"):
        _open(screen, f"{live_server}{path}")
