"""Browser: a customer-service agent searches the knowledge base in Chinese and opens an article."""

from __future__ import annotations

import pytest

from bastion.knowledge.actions import do_create_diagnosis_card
from tests.browser import shot, sign_in
from tests.knowledge.helpers import published_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_in_chinese_and_open_the_article(browser, live_server, world):
    article = published_article(
        world,
        title_zh="钞箱卡钞故障处理",
        title_en="Clearing a cash-cassette jam",
        body_zh="当ATM出现卡钞时，先暂停服务，再双人打开保险柜取出钞箱，清理卡住的钞票。",
        fault_codes=["CASH_JAM"],
        device_classes=["atm"],
    )
    published_article(world, title_zh="吞卡处理流程", body_zh="客户银行卡被吞后，核实身份后退还。")
    do_create_diagnosis_card(
        code="DC-CASH-JAM",
        fields={"fault_code": "CASH_JAM", "title_zh": "卡钞快速诊断", "article_id": article.pk},
        steps=[("远程查看最后一笔交易", ""), ("派现场工程师双人开箱清理", "")],
        actor=world.users["support_supervisor"],
    )
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, world.users["customer_service_agent"])
        page.click("nav.main-nav.wide a[data-section=knowledge]")
        page.wait_for_url(f"{live_server.url}/knowledge/")
        assert page.locator("h1").first.inner_text() == "知识库"
        page.fill("#id_q", "卡钞")
        # htmx swaps the results in as the agent types; no full page load.
        page.wait_for_selector(".kb-hit mark")
        hits = page.locator(".kb-hit")
        assert hits.count() == 1
        assert hits.first.locator("mark").first.inner_text() == "卡钞"
        shot(page, "knowledge-01-search-zh")
        hits.first.locator("a.kb-hit-title").click()
        page.wait_for_url(f"{live_server.url}/knowledge/{article.pk}/")
        assert "双人打开保险柜" in page.locator(".kb-body").inner_text()
        assert page.locator("text=卡钞快速诊断").count() == 1
        shot(page, "knowledge-02-article-zh")
        page.click("text=卡钞快速诊断")
        assert page.locator(".kb-steps li").all_inner_texts() == [
            "远程查看最后一笔交易",
            "派现场工程师双人开箱清理",
        ]
        shot(page, "knowledge-03-card-zh")
    finally:
        context.close()
