"""Rule management in a real browser: an analyst edits and backtests a rule, a second analyst
approves and activates it, and the next payment is decided with the new rule's reason."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from bastion.risk.actions import do_ensure_active_ruleset
from bastion.risk.models import RuleSetVersion
from tests.api.conftest import call
from tests.browser import shot, sign_in
from tests.factories import make_user
from tests.risk.helpers import payment
from tests.risk.test_rules import NEW_RULE, _history, gateway

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_analyst_edits_backtests_second_person_approves_and_payment_shows_new_reason(
    browser: Any, live_server: Any, world: Any
) -> None:
    do_ensure_active_ruleset()
    _history(world)
    checker = make_user("risk_analyst_2", roles=["risk_analyst"], institution_wide=True)
    base = live_server.url
    maker_page = browser.new_context(locale="zh-CN").new_page()
    try:
        sign_in(maker_page, base, world.users["risk_analyst"])
        maker_page.goto(f"{base}/risk/rules/")
        maker_page.fill("#draft-name", "手机大额")
        maker_page.click("#create-draft")
        maker_page.wait_for_url("**/risk/rules/2/")
        editor = maker_page.locator("#rule-text")
        original = editor.input_value()
        # A typo first: the live check names the rule, line and column.
        editor.fill(original + NEW_RULE.replace("channel ==", "chanel =="))
        editor.press("End")
        expect(maker_page.locator("#check-errors")).to_contain_text("NEW-MOBILE-5K")
        expect(maker_page.locator("#check-errors")).to_contain_text("列")
        editor.fill(original + NEW_RULE)
        editor.press("End")
        expect(maker_page.locator("#check-ok")).to_be_visible()
        shot(maker_page, "risk-rule-editor")
        maker_page.click("#save-button")
        expect(maker_page.locator("li.message.success")).to_contain_text("草稿已保存")
        # Backtest over the stored history, as a queued task; the page shows the result.
        maker_page.fill("#backtest-start", "2026-11-20")
        maker_page.fill("#backtest-end", "2026-11-22")
        maker_page.click("#backtest-button")
        maker_page.wait_for_url("**/risk/rules/backtests/*/")
        expect(maker_page.locator("#hits-NEW-MOBILE-5K")).to_be_visible()
        expect(maker_page.locator("#overlap-only-this")).not_to_have_text("0")
        maker_page.wait_for_function(
            "() => [...document.querySelectorAll('#backtest-result img')].every(i => i.complete && i.naturalWidth > 0)",
            timeout=20000,
        )
        shot(maker_page, "risk-rule-backtest")
        maker_page.goto(f"{base}/risk/rules/2/")
        maker_page.click("#submit-button")
        expect(maker_page.locator("#version-status")).to_have_text("已提交待审批")
        # The maker is not offered approval.
        expect(maker_page.locator("#maker-notice")).to_be_visible()
        assert maker_page.locator("#approve-button").count() == 0
    finally:
        maker_page.context.close()

    checker_page = browser.new_context(locale="zh-CN").new_page()
    try:
        sign_in(checker_page, base, checker)
        checker_page.goto(f"{base}/risk/rules/2/")
        checker_page.fill("#review-note", "回测结果合理")
        checker_page.click("#approve-button")
        expect(checker_page.locator("#approved-by")).to_contain_text("risk_analyst_2")
        checker_page.click("#activate-button")
        expect(checker_page.locator(".message.success")).to_contain_text("已启用")
        shot(checker_page, "risk-rule-activated")
        assert RuleSetVersion.objects.get(status="active").number == 2

        # A new payment from the payment system is decided by the new version, with its reason.
        record = payment(500, account="6222020000000777", amount="6000.00")
        body = record | {"branch_id": world.branch_a.pk}
        answer = call(gateway(world), "POST", "/api/v1/risk/decisions", body)
        assert answer.status_code == 200, answer.content
        assert answer.json()["ruleset_version"] == 2
        checker_page.goto(f"{base}/risk/decisions/{record['id']}/")
        expect(checker_page.locator("#decision-reasons")).to_contain_text("手机银行单笔5000元以上")
        expect(checker_page.locator("#decision-summary")).to_contain_text("v2")
        shot(checker_page, "risk-payment-new-reason")
    finally:
        checker_page.context.close()
