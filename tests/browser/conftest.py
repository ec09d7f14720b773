"""Browser tests: Playwright driving Debian's Chromium against the app served over real HTTP.

Playwright's own browser download cannot run here, so Chromium is launched by path
(``make test`` installs Debian's package when it is missing). As root Chromium needs
``--no-sandbox``; ``--disable-background-networking`` keeps it off the closed network.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("KASSAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"browser tests need Chromium at {CHROMIUM} (make test installs Debian's)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def _blocked_by_policy(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    """A 375 px page. Whatever the Content Security Policy blocked on any page the test opened
    (an inline style, a script) fails the test: a person would see the page without it."""
    yield from _watched_page(browser, PHONE)


@pytest.fixture(params=[PHONE, DESKTOP], ids=["375px", "1280px"])
def screen(browser, request):  # type: ignore[no-untyped-def]
    """The same page on a phone and on a desktop screen, watched as ``phone`` is."""
    yield from _watched_page(browser, request.param)


def _watched_page(browser, viewport):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport, locale="sv-SE")
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if _blocked_by_policy(m.text) else None)
    page.on("pageerror", lambda exc: blocked.append(f"script error: {exc}"))
    yield page
    context.close()
    assert blocked == [], "the browser blocked or failed: " + "; ".join(blocked)
