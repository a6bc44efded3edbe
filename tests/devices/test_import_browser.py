"""A supervisor uploads a workbook in the console, sees the per-row errors, imports the valid rows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bastion.devices.models import Device
from tests.browser import shot, sign_in
from tests.devices.import_files import rows_with_errors, xlsx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_imports_the_valid_rows_of_a_workbook(browser, live_server, world, tmp_path):
    path = tmp_path / "网点设备.xlsx"
    path.write_bytes(xlsx_bytes(rows_with_errors(world.branch_a.code, world.branch_b.code)))
    page = browser.new_page(locale="zh-CN")
    try:
        sign_in(page, live_server.url, world.users["support_supervisor"])
        page.goto(f"{live_server.url}/devices/")
        page.click("text=批量导入设备")
        page.wait_for_url("**/devices/import/")
        expect(page.locator("#import-columns")).to_contain_text("资产编号")
        page.set_input_files("input[type=file]", str(path))
        page.click("#import-check")
        errors = page.locator("#import-errors tbody tr")
        expect(errors).to_have_count(4)
        expect(page.locator("#import-errors")).to_contain_text("toaster")
        expect(page.locator("#import-valid")).to_have_text("1")
        shot(page, "devices-import-report")
        assert not Device.objects.exists()  # checking writes nothing
        page.click("#import-confirm")
        page.wait_for_url(f"{live_server.url}/devices/")
        expect(page.locator("#results")).to_contain_text("IMP-ATM-101")
        expect(page.locator("body")).to_contain_text("已导入 1 台设备")
    finally:
        page.close()
    assert list(Device.objects.values_list("asset_tag", flat=True)) == ["IMP-ATM-101"]
