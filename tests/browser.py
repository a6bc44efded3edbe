"""Shared browser-test plumbing: Debian's Chromium driven by Playwright, screenshots, sign-in.

The ``browser`` fixture is registered for the whole suite (``pytest_plugins`` in tests/conftest.py).
Use it from any app's browser tests::

    from tests.browser import shot, sign_in

    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

    def test_something(browser, live_server, world): ...
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import PASSWORD, totp_now

# Playwright's sync API runs an event loop in this thread; the ORM calls the test makes between
# browser steps are plain synchronous calls, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI") == "true"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _serial_when_sharing_a_connection() -> None:
    """Serve the live server's requests one at a time on the in-memory SQLite test database.

    Django's threaded server runs the browser's parallel requests (a page's chart images, say) at
    once. On the in-memory test database they either share the test's one connection ("cannot start
    a transaction within a transaction") or, each with its own connection to the shared-cache
    database, meet SQLite's table locks, which wait for nobody ("database table is locked").
    Django's plain server handles one request at a time and closes each connection. PostgreSQL keeps
    the threaded server.
    """
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler

    threaded = LiveServerThread._create_server

    def create_server(self, connections_override=None):  # type: ignore[no-untyped-def]
        from django.db import connection

        if connection.vendor != "sqlite":
            return threaded(self, connections_override)
        return WSGIServer((self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False)

    LiveServerThread._create_server = create_server  # type: ignore[method-assign]


_serial_when_sharing_a_connection()


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # ORM calls made while Playwright's loop runs get their own connection; close it here,
            # in that same context, or PostgreSQL refuses to drop the test database afterwards.
            from django.db import connections

            connections.close_all()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base_url: str, user) -> None:  # type: ignore[no-untyped-def]
    """Password step, then the TOTP step, as a person would do it."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base_url}/login/verify/")
    page.fill("input[name=code]", totp_now(user))
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base_url}/")
