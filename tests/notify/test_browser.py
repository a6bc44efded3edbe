"""Browser: an engineer sees the unread count in the header, opens the inbox and marks a message read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bastion.notify.actions import do_notify
from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_inbox_badge_and_mark_read(browser, live_server, world):
    engineer = world.users["onsite_engineer"]
    for subject in ("工单 WO-2026-0001 已派给您：ATM 卡钞", "SLA 预警：工单 WO-2026-0002 剩余 10 分钟"):
        do_notify(
            recipients=[engineer],
            kind="servicedesk.assigned",
            subject=subject,
            body="上海浦东支行",
            channels=["in_app"],
        )
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, engineer)
        assert page.locator("#inbox-link .badge").inner_text() == "2"
        page.click("#inbox-link")
        page.wait_for_url(f"{live_server.url}/notifications/")
        assert page.locator(".notify-item.unread").count() == 2
        shot(page, "notify-01-inbox-zh")
        page.locator(".notify-item.unread .mark-read").first.click()
        expect(page.locator(".notify-item.unread")).to_have_count(1)
        page.click("#mark-all-read")
        page.wait_for_url(f"{live_server.url}/notifications/")
        assert page.locator(".notify-item.unread").count() == 0
        assert page.locator("#inbox-link .badge").count() == 0
        shot(page, "notify-02-all-read-zh")
    finally:
        context.close()
