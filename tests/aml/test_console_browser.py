"""The AML console in a real browser, in Chinese: alert to case, note, proposal, second officer, STR."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import expect

from bastion.aml.actions.cases import do_raise_alert
from bastion.aml.models import SuspiciousReport
from tests.aml.helpers import at, store_payment
from tests.browser import shot, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = Path(tempfile.gettempdir()) / "aml-case-money-flow.png"  # looked at by a person


def _alert(world: Any) -> Any:
    payments = [
        store_payment(
            when=at("2026-11-20", f"{9 + i:02d}:00"),
            amount=amount,
            customer=payer,
            payee_customer="C100001",
            branch=world.branch_a,
        )
        for i, (payer, amount) in enumerate([("C300001", "9000.00"), ("C300002", "8800.00")])
    ]
    payments.append(store_payment(when=at("2026-11-20", "15:00"), amount="17500.00", customer="C100001",
                                  branch=world.branch_a))  # fmt: skip
    with transaction.atomic():
        alert, _ = do_raise_alert(key="typology:fan_in:C100001", source="typology", code="fan_in", customer_no="C100001",
                                  summary_zh="分散转入、集中转出", summary_en="Fan-in then concentrated outflow",
                                  payment_ids=[p.payment_id for p in payments], branch_id=world.branch_a.pk, score=70)  # fmt: skip
    return alert


def test_officer_opens_proposes_and_a_second_officer_confirms(
    browser: Any, live_server: Any, world: Any
) -> None:
    alert = _alert(world)
    officer, checker = (
        world.users["aml_officer"],
        make_user("aml_checker", roles=["aml_officer"], branch=world.branch_a),
    )
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, base, officer)
        page.click("nav >> text=反洗钱预警与案件")
        expect(page.locator("h1")).to_have_text("反洗钱工作台")
        expect(page.locator(f"#alert-{alert.pk}")).to_contain_text("分散转入、集中转出")
        page.check(f"#alert-{alert.pk} input[name=alert_ids]")
        page.click("#open-case")
        expect(page.locator("#case-status")).to_have_text("调查中")
        page.fill("#note-text", "资金来源于多个无关联个人，快进快出")
        page.click("#add-note")
        expect(page.locator(".message.success")).to_contain_text("备注已添加")
        expect(page.locator("#case-notes")).to_contain_text("快进快出")
        expect(page.locator("#flow-graph")).to_contain_text("案件主体")
        page.select_option("#id_decision", "report")
        page.fill("#id_reason", "短期内分散转入后集中转出，资金来源不明")
        page.click("#propose-button")
        expect(page.locator("#case-status")).to_have_text("待确认")
        expect(page.locator("#confirm-button")).to_be_disabled()
        expect(page.locator("#own-proposal")).to_be_visible()
        page.screenshot(path=SCREENSHOT, full_page=True)
        shot(page, "aml-case")
        case_url = page.url
        context.clear_cookies()
        sign_in(page, base, checker)
        page.goto(case_url)
        page.click("#confirm-button")
        expect(page.locator("#case-status")).to_have_text("已报告可疑")
        report = SuspiciousReport.objects.get()
        expect(page.locator("#case-reports")).to_contain_text(report.number)
        page.click(f"#case-reports >> text={report.number}")
        expect(page.locator("h1")).to_contain_text("可疑交易报告")
        expect(page.locator("#report-summary")).to_contain_text("资金来源不明")
    finally:
        context.close()
