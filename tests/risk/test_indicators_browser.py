"""The indicators page in a real browser, in Chinese: charts drawn, a warning shown and acknowledged."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from bastion.risk.actions import indicators as actions
from bastion.risk.models import IndicatorWarning
from tests.browser import shot, sign_in
from tests.factories import make_user
from tests.risk.indicator_data import DAY, PREVIOUS, build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_manager_sees_charts_and_acknowledges_a_warning_in_chinese(
    browser: Any, live_server: Any, world: Any
) -> None:
    build(world)
    analyst = make_user("risk_hq", roles=["risk_analyst"], institution_wide=True)
    manager = world.users["branch_manager_b"]
    actions.do_create_indicator_threshold(
        actor=analyst, name="网点日高风险交易", indicator="level_high_risk", granularity="day",
        scope="branch", branch_id=world.branch_b.pk, comparison="gte", value="1", severity="high_risk",
        responsible_id=manager.pk,
    )  # fmt: skip
    actions.do_compute_indicators(day=PREVIOUS)
    actions.do_compute_indicators(day=DAY)
    warning = IndicatorWarning.objects.get()
    base = live_server.url
    page = browser.new_context(locale="zh-CN").new_page()
    try:
        sign_in(page, base, manager)
        page.click("nav >> text=监测指标")
        page.wait_for_url(f"{base}/risk/indicators/")
        page.fill("#id_start", "2026-11-14")
        page.fill("#id_end", "2026-11-20")
        page.click("#indicator-filters button[type=submit]")
        expect(page.locator("h1")).to_have_text("监测指标")
        row = page.locator(f"#warning-{warning.pk}")
        expect(row).to_contain_text("网点日高风险交易")
        expect(row).to_contain_text("高风险")
        # Every chart is an SVG the browser actually drew.
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)",
            timeout=30000,
        )
        assert page.locator("img.chart").count() >= 2
        expect(page.locator("#indicator-values")).to_contain_text(world.branch_b.name)
        shot(page, "risk-indicators")
        row.locator("input[name=note]").fill("已电话核实，为客户本人大额存现")
        row.locator("button[type=submit]").click()
        expect(page.locator(".message.success")).to_contain_text("预警已确认")
        expect(page.locator("#open-warnings")).to_contain_text("没有预警")
        warning.refresh_from_db()
        assert warning.acknowledged_by_id == manager.pk
    finally:
        page.context.close()
