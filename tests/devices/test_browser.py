"""The operator's main flow in a real browser: find a device in alarm, open it, see alarm and history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bastion.devices.actions.alarms import TelemetryEvaluator
from bastion.devices.choices import DeviceClass
from tests.browser import shot, sign_in
from tests.devices.helpers import make_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_finds_device_in_alarm(browser, live_server, world):
    switch = make_device(
        world.branch_a, device_class=DeviceClass.NETWORK, name="营业厅交换机", asset_tag="SW-PD-01"
    )
    atm = make_device(world.branch_a, upstream=switch, name="大堂取款机", asset_tag="ATM-PD-0042")
    for n in range(5):
        make_device(world.branch_a, upstream=switch, name="自助终端", asset_tag=f"KSK-PD-{n:04d}")
    ev = TelemetryEvaluator()
    ev.process([(atm.pk, {"device_id": atm.pk, "printer": "fault", "temperature": 31})])
    ev.process([(atm.pk, {"device_id": atm.pk, "printer": "ok", "temperature": 32})])
    ev.process([(atm.pk, {"device_id": atm.pk, "card_reader": "fault", "cash_level": 40})])

    page = browser.new_page(locale="zh-CN")
    try:
        sign_in(page, live_server.url, world.users["onsite_engineer"])
        page.goto(f"{live_server.url}/devices/")
        page.select_option("#id_alarm", "yes")
        expect(page.locator("#results tbody tr")).to_have_count(1)
        expect(page.locator("#results")).to_contain_text("ATM-PD-0042")
        shot(page, "devices-list-in-alarm")
        page.click("#results >> text=ATM-PD-0042")
        page.wait_for_url(f"**/devices/{atm.pk}/")
        assert page.locator("#open-alarms").get_by_text("CARD_READER_FAULT").count() == 1
        assert page.locator("#alarm-history").get_by_text("PRINTER_FAULT").count() == 1
        assert "故障历史" in page.locator("#alarm-history h2").inner_text()
        chart = page.locator("img.device-chart").first
        chart.scroll_into_view_if_needed()
        # The chart is an SVG from the server, rendered by the browser as an image (strict CSP kept).
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.device-chart')].every(i => i.complete && i.naturalWidth > 0)",
            timeout=20000,
        )
        shot(page, "devices-device-page")
    finally:
        page.close()
