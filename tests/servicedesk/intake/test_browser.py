"""Browser: a WeChat follower reports a fault; the supervisor finds it in the intake log and the order."""

from __future__ import annotations

import hashlib

import pytest
from django.test import override_settings
from django.utils import timezone

from bastion.servicedesk.intake.models import WeChatReporter
from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOKEN = "browser-test-token"
OPENID = "oBrowserFollower00000000001"


def _callback(base_url: str) -> str:
    timestamp, nonce = str(int(timezone.now().timestamp())), "424242"
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()  # noqa: S324
    return f"{base_url}/servicedesk/intake/wechat/?signature={signature}&timestamp={timestamp}&nonce={nonce}"


@override_settings(BASTION_WECHAT_ENABLED=True, BASTION_WECHAT_TOKEN=TOKEN)
def test_wechat_report_reaches_the_intake_log(browser, live_server, world):
    import httpx

    WeChatReporter.objects.create(openid=OPENID, display_name="王五（大堂经理）", branch=world.branch_a)
    body = (
        "<xml><ToUserName><![CDATA[gh_bastion]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{int(timezone.now().timestamp())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[大堂自助终端黑屏，无法打印回单]]></Content>"
        "<MsgId>7000000000000000001</MsgId></xml>"
    )
    reply = httpx.post(
        _callback(live_server.url), content=body.encode(), headers={"Content-Type": "text/xml"}
    )
    assert reply.status_code == 200 and "已受理" in reply.text

    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, world.users["support_supervisor"])
        page.goto(f"{live_server.url}/servicedesk/intake/")
        row = page.locator("#intake-log tbody tr").first
        assert "王五（大堂经理）" in row.inner_text() and "已创建工单" in row.inner_text()
        assert "王五（大堂经理）" in page.locator("#wechat-reporters").inner_text()
        shot(page, "servicedesk-intake-01-log-zh")
        row.locator("a").click()
        page.wait_for_url(f"{live_server.url}/servicedesk/orders/*/")
        assert "大堂自助终端黑屏" in page.content()
        shot(page, "servicedesk-intake-02-order-zh")
    finally:
        context.close()
