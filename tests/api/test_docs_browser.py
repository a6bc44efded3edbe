"""The interactive API docs render in Debian's Chromium under the production CSP, from local files."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.conftest import IN_CI

pytestmark = pytest.mark.browser


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if IN_CI:
            pytest.fail("Chromium must be installed under CI=true")
        pytest.skip("Chromium is not installed")
    return path


def test_swagger_ui_renders_without_csp_violations_or_outside_requests(live_server: Any) -> None:
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith(live_server.url) else outside.append(request.url)
                ),
            )
            page.goto(f"{live_server.url}/api/v1/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            operations = page.locator(".opblock").count()
        finally:
            browser.close()
    assert operations >= 20
    assert not [line for line in console if line.startswith("error")], console
    assert not outside, outside
