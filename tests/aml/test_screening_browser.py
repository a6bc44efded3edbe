"""Watch-list screening in a real browser, in Chinese: create and import a list, screen a name, decide a hit."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from bastion.aml.models import ScreeningHit
from tests.aml.helpers import make_customer
from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = Path(tempfile.gettempdir()) / "aml-screening-hit.png"  # looked at by a person
LIST_CSV = (
    "id,type,name,aliases,date_of_birth,nationality,program,category\n"
    "I-1,person,张伟,Zhang Wei|張偉,1988-03-07,CHN,内部风险名单,internal\n"
)


def test_officer_imports_a_list_screens_and_dismisses_a_hit(
    browser: Any, live_server: Any, world: Any
) -> None:
    officer = world.users["aml_officer"]
    csv_file = Path(tempfile.mkdtemp()) / "internal.csv"
    csv_file.write_text(LIST_CSV, encoding="utf-8")
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, base, officer)
        page.click("nav >> text=名单筛查")
        expect(page.locator("h1")).to_have_text("名单筛查命中")
        page.click("#watch-lists-link")
        page.fill("#id_code", "internal")
        page.fill("#id_name", "内部关注名单")
        page.select_option("#id_kind", "internal")
        page.click("#create-list-button")
        expect(page.locator(".message.success")).to_contain_text("internal")
        page.set_input_files("#id_file", str(csv_file))
        page.select_option("#id_format", "csv")
        page.click("#import-button")
        expect(page.locator(".message.success")).to_contain_text("新增 1 条")
        expect(page.locator("#active-count")).to_have_text("1")
        expect(page.locator("#entries")).to_contain_text("Zhang Wei")

        page.goto(f"{base}/aml/screening/")
        page.fill("#id_name", "Wei Zhang")
        page.click("#screen-name-button")
        expect(page.locator("#screen-results")).to_contain_text("I-1")
        assert not ScreeningHit.objects.exists()  # a manual check stores nothing

        # Created outside onboarding (which screens), after the import (which rescreens customers).
        customer = make_customer("C610001", branch=world.branch_a, name="张伟", name_en="Zhang Wei")

        page.goto(f"{base}/aml/customers/{customer.pk}/")
        page.click("#screen-button")
        expect(page.locator(".message.success")).to_contain_text("新增命中")
        hit = ScreeningHit.objects.filter(screened_name="张伟").first()  # one hit per name screened
        assert hit is not None
        page.click(f"#customer-hit-{hit.pk} a")
        expect(page.locator("h1")).to_contain_text("名单筛查命中")
        expect(page.locator("#hit-explanation")).to_contain_text("张伟")
        page.check("input[name=status][value=dismissed]")
        page.fill("#id_reason", "出生日期与证件一致但证件号码不同，非同一人")
        page.click("#decide-button")
        expect(page.locator("#hit-status")).to_have_text("误报")
        expect(page.locator("#hit-reason")).to_have_text("出生日期与证件一致但证件号码不同，非同一人")
        page.screenshot(path=SCREENSHOT, full_page=True)
        shot(page, "aml-screening")
    finally:
        context.close()
