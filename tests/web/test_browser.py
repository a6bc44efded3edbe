"""The console in a real browser: Debian's Chromium driven by Playwright against a live server.

Signs in with password and TOTP, sees the Chinese interface, switches to English, requests a role
grant as the maker, and approves it as a second user in a separate browser context.
"""

from __future__ import annotations

import re

import pytest

from bastion.identity.models import ApprovalRequest, UserRole
from tests.browser import shot, sign_in
from tests.factories import PASSWORD, totp_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_switch_language_and_approve_a_role_grant(browser, live_server, world):
    base = live_server.url
    maker_user = world.users["admin_hq"]
    checker_user = world.users["compliance_hq"]
    target = world.users["onsite_engineer"]

    # --- the maker, in a tablet-sized window ---------------------------------------------------
    maker_context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    maker = maker_context.new_page()
    maker.goto(f"{base}/login/")
    assert maker.locator("html").get_attribute("lang") == "zh-hans"
    assert maker.locator("h1").inner_text() == "登录"
    shot(maker, "01-login-zh")

    maker.fill("input[name=username]", maker_user.username)
    maker.fill("input[name=password]", PASSWORD)
    maker.click("button[type=submit].primary")
    maker.wait_for_url(f"{base}/login/verify/")
    assert "第二因素验证" in maker.locator("h1").inner_text()
    maker.fill("input[name=code]", "000000")
    maker.click("button[type=submit].primary")
    assert "验证码无效" in maker.locator(".field .error").inner_text()
    maker.fill("input[name=code]", totp_now(maker_user))
    maker.click("button[type=submit].primary")
    maker.wait_for_url(f"{base}/")
    assert "欢迎" in maker.locator("h1").inner_text()
    assert maker.locator("nav.main-nav.wide").get_by_text("用户", exact=True).is_visible()
    shot(maker, "02-home-zh")

    maker.locator(".lang-switch button[value=en]").click()
    maker.wait_for_load_state()
    assert maker.locator("html").get_attribute("lang") == "en"
    assert maker.locator("h1").inner_text() == f"Welcome, {maker_user.display_name}"
    assert maker.get_by_role("button", name="Sign out").is_visible()
    shot(maker, "03-home-en")

    maker.locator("nav.main-nav.wide").get_by_text("Users", exact=True).click()
    maker.wait_for_url(re.compile(r".*/users/$"))
    maker.get_by_role("link", name=target.username, exact=True).click()
    maker.wait_for_url(f"{base}/users/{target.pk}/")
    maker.locator("details:has(#grant-form) > summary").click()
    maker.select_option("#grant-form select[name=role]", "remote_engineer")
    maker.fill("#grant-form textarea[name=reason]", "Covers the remote desk during the migration weekend")
    maker.click("#grant-form button[type=submit]")
    maker.wait_for_selector("#pending-grants")
    assert "Role grant requested" in maker.locator(".messages").inner_text()
    assert "Pending approval" in maker.locator("#pending-grants").inner_text()
    shot(maker, "04-grant-requested-en")
    request = ApprovalRequest.objects.get(kind="identity.role_grant")
    assert not UserRole.objects.filter(user=target, role__code="remote_engineer").exists()

    # The maker sees no approve button on their own request.
    maker.goto(f"{base}/approvals/{request.pk}/")
    assert maker.locator("#approve-button").count() == 0

    # --- the checker, a second person in a fresh browser context (Chinese by default) ----------
    checker_context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")
    checker = checker_context.new_page()
    sign_in(checker, base, checker_user)
    checker.goto(f"{base}/approvals/")
    assert "审批" in checker.locator("h1").inner_text()
    checker.locator(f"#results a[href='/approvals/{request.pk}/']").first.click()
    checker.wait_for_url(f"{base}/approvals/{request.pk}/")
    assert "远程工程师" in checker.locator("main").inner_text()
    checker.fill("#decision-note", "同意，迁移周末值守")
    checker.click("#approve-button")
    # htmx swaps the decision panel in place: no full page load.
    checker.wait_for_selector("#decision .message.success")
    assert checker.locator("#approval-status").inner_text() == "已批准"
    assert checker.url == f"{base}/approvals/{request.pk}/"
    shot(checker, "05-approved-zh-tablet")

    assert UserRole.objects.filter(
        user=target, role__code="remote_engineer", granted_by=maker_user, approved_by=checker_user
    ).exists()

    # The maker now sees the role on the user's page.
    maker.goto(f"{base}/users/{target.pk}/")
    assert "Remote engineer" in maker.locator("main").inner_text()

    # On a phone-width screen the navigation folds into a menu that still reaches every section.
    checker.set_viewport_size({"width": 600, "height": 900})
    assert not checker.locator("nav.main-nav.wide").is_visible()
    checker.locator("details.nav-toggle > summary").click()
    assert checker.locator("details.nav-toggle").get_by_text("审计日志", exact=True).is_visible()
    shot(checker, "06-menu-narrow-zh")
    maker_context.close()
    checker_context.close()
