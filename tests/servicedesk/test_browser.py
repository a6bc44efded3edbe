"""Browser: an agent logs a phone fault, it is dispatched, the engineer acknowledges and resolves
it, and the customer rates it through the signed link (console in Chinese, the default)."""

from __future__ import annotations

import pytest

from bastion.servicedesk.models import Feedback, WorkOrder
from tests.browser import shot, sign_in
from tests.servicedesk.conftest import build_desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_phone(page) -> bool:
    """Field engineers work on phones: the page must not be wider than the screen."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_phone_fault_from_logging_to_rating(browser, live_server, world):
    desk = build_desk(world)  # real time: the browser's cookies expire on the real clock
    base = live_server.url
    agent_context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    engineer_context = browser.new_context(viewport={"width": 420, "height": 900}, locale="zh-CN")
    customer_context = browser.new_context(viewport={"width": 420, "height": 800}, locale="zh-CN")
    try:
        agent = agent_context.new_page()
        sign_in(agent, base, world.users["customer_service_agent"])
        agent.click("nav.main-nav.wide a[data-section=servicedesk]")
        agent.wait_for_url(f"{base}/servicedesk/")
        agent.click("#new-order")
        agent.select_option("#id_device", str(desk.devices["atm"].pk))
        agent.select_option("#id_channel", "phone")
        agent.fill("#id_title", "ATM 吞卡")
        agent.fill("#id_symptoms", "客户来电：浦东支行大堂 ATM 吞卡，屏幕显示 E203")
        agent.fill("#id_reporter_name", "张先生")
        agent.fill("#id_reporter_contact", "13800000001")
        shot(agent, "servicedesk-01-log-phone-fault")
        agent.click("#order-form button[type=submit]")
        agent.wait_for_url(f"{base}/servicedesk/orders/*/")
        order = WorkOrder.objects.get()
        assert agent.locator("#order-assignee").inner_text().startswith("onsite_engineer_a")
        assert "派单理由" in agent.locator("body").inner_text()
        shot(agent, "servicedesk-02-dispatched")

        engineer = engineer_context.new_page()
        sign_in(engineer, base, desk.user("onsite_engineer"))
        engineer.goto(f"{base}/servicedesk/")
        assert fits_the_phone(engineer), "the engineer's queue scrolls sideways on a phone"
        engineer.click(f"text={order.number}")
        engineer.wait_for_url(f"{base}/servicedesk/orders/{order.pk}/")
        assert fits_the_phone(engineer), "the order page scrolls sideways on a phone"
        assert engineer.locator("#clocks[hx-trigger^=every]").count() == 1  # live clocks refresh
        for status in ("acknowledged", "onsite"):
            engineer.select_option("#id_status", status)
            engineer.click("#transition-form button[type=submit]")
            engineer.wait_for_selector(
                f"#order-status:has-text('{'已响应' if status == 'acknowledged' else '现场排查'}')"
            )
        engineer.select_option("#id_status", "resolved")
        engineer.fill("#id_resolution_summary", "打开机芯取出银行卡，清洁读卡器，测试交易正常")
        engineer.click("#transition-form button[type=submit]")
        engineer.wait_for_selector("#order-status:has-text('已解决')")
        assert "达标" in engineer.locator("#clocks").inner_text()
        timeline = engineer.locator(".sd-timeline").inner_text()
        assert "派单" in timeline or "onsite_engineer_a" in timeline
        assert fits_the_phone(engineer)
        shot(engineer, "servicedesk-03-engineer-resolved-mobile")

        agent.reload()
        link = agent.locator("#feedback-link").input_value()
        assert link.startswith(f"{base}/servicedesk/feedback/")

        customer = customer_context.new_page()
        customer.goto(link)
        assert "服务评价" in customer.locator("h1").inner_text()
        customer.check("input[name=rating][value='5']")
        customer.fill("#id_comment", "工程师很快就到了，谢谢")
        shot(customer, "servicedesk-04-customer-rating")
        customer.click("#feedback-form button[type=submit]")
        customer.wait_for_selector("#feedback-done")
        shot(customer, "servicedesk-05-thanks")
        assert Feedback.objects.get(work_order=order).rating == 5
    finally:
        for context in (agent_context, engineer_context, customer_context):
            context.close()
