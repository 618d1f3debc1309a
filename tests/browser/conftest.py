"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Playwright cannot download a browser here, so the tests launch /usr/bin/chromium (Debian's `chromium`).
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Error, Page, ViewportSize, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from projects.models import User
from tests.conftest import Cast

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse database access.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
LAPTOP: ViewportSize = {"width": 1366, "height": 768}

expect.set_options(timeout=10_000)

MISSING_CHROMIUM = (
    f"Chromium is not installed at {CHROMIUM}, so the browser tests cannot run. "
    "Install Debian's `chromium` package: sudo apt-get install -y chromium"
)


def _chromium_missing() -> None:
    """In CI a missing browser fails the run; on a workstation the browser tests are skipped, loudly."""
    if os.environ.get("CI") == "true":
        pytest.fail(MISSING_CHROMIUM, pytrace=False)
    pytest.skip(f"*** {MISSING_CHROMIUM} ***")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if any(MISSING_CHROMIUM in str(report.longrepr) for report in skipped):
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(MISSING_CHROMIUM, red=True, bold=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module.

    While Playwright runs, its event loop is running in this thread, and Django then keeps the thread's database
    connections apart from the ones it had before. So the connections opened meanwhile are closed before the
    loop stops (else they linger and block dropping the test database), and the loop does not outlive the
    module, so the tests that run after the browser tests see a thread without an event loop.
    """
    if not CHROMIUM.exists():
        _chromium_missing()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A tab that fails the test if the page's own JavaScript throws."""
    page = context.new_page()
    errors: list[Error] = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def lead_page(browser: Browser, live_server: LiveServer, cast: Cast) -> Iterator[Page]:
    """A second person beside the page's, in a browser of their own: the security lead, signed in."""
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP)
    context.set_default_timeout(10_000)
    sign_in(context, live_server, cast.security_lead)
    page = context.new_page()
    errors: list[Error] = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the lead's page: {errors}"


def sign_in(context: BrowserContext, live_server: LiveServer, user: User) -> None:
    """Start a session for the user without the login form (test_sign_in covers the form itself)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.value, "url": live_server.url}]
    )
