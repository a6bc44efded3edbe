"""Upkeep in a real browser: an engineer inspects a device with a photo; a remote engineer follows a
diagnosis card in a remote session (R2.3, R2.6)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bastion.devices.actions.alarms import TelemetryEvaluator
from bastion.devices.models import InspectionRecord, RemoteSession
from bastion.knowledge.actions import do_create_diagnosis_card
from tests.browser import shot, sign_in
from tests.devices.api_matrix import PNG
from tests.devices.helpers import make_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_engineer_records_an_inspection_with_a_photo(browser, live_server, world, tmp_path):
    device = make_device(world.branch_a, asset_tag="ATM-PD-0700", name="大堂取款机")
    photo = tmp_path / "出钞口.png"
    photo.write_bytes(PNG)
    page = browser.new_page(locale="zh-CN")
    try:
        sign_in(page, live_server.url, world.users["onsite_engineer"])
        page.goto(f"{live_server.url}/devices/{device.pk}/")
        page.click("#upkeep-link")
        page.wait_for_url(f"**/devices/{device.pk}/upkeep/")
        shot(page, "devices-upkeep")
        page.click("#inspect-link")
        page.wait_for_url(f"**/devices/{device.pk}/inspect/")
        rows = page.locator("#inspection-form table.checklist tbody tr")
        expect(rows).to_have_count(7)  # four common items and the ATM's three
        page.check("input[name=cleanliness__result][value=problem]")
        page.click("#inspection-form button[type=submit]")
        # A problem needs a description: the form comes back with the error on that item.
        expect(page.locator("tr.has-error")).to_contain_text("请描述发现的问题")
        page.fill("input[name=cleanliness__note]", "出钞口积灰")
        page.set_input_files("input[name=attachments]", str(photo))
        page.check("input[name=open_work_order]")
        shot(page, "devices-inspection-form")
        page.click("#inspection-form button[type=submit]")
        page.wait_for_url("**/devices/inspections/*/")
        expect(page.locator("#inspection-results")).to_contain_text("出钞口积灰")
        expect(page.locator("#attachments")).to_contain_text("出钞口.png")
        expect(page.locator("#inspection-overall")).to_have_text("故障")
        shot(page, "devices-inspection-detail")
    finally:
        page.close()
    record = InspectionRecord.objects.get(device=device)
    assert record.overall == "fault" and record.attachments.count() == 1


def test_remote_engineer_follows_the_diagnosis_card(browser, live_server, world):
    do_create_diagnosis_card(
        code="DC-BROWSER",
        fields={"fault_code": "CARD_READER_FAULT", "device_class": "atm", "title_zh": "读卡器故障快速诊断"},
        steps=[("检查读卡器口有无异物", ""), ("远程复位读卡器模块", "")],
        actor=world.users["support_supervisor"],
    )
    device = make_device(world.branch_a, asset_tag="ATM-PD-0800")
    TelemetryEvaluator().process([(device.pk, {"device_id": device.pk, "card_reader": "fault"})])
    page = browser.new_page(locale="zh-CN")
    try:
        sign_in(page, live_server.url, world.users["remote_engineer"])
        page.goto(f"{live_server.url}/devices/{device.pk}/")
        expect(page.locator("#open-alarms .diagnosis-card")).to_contain_text("远程复位读卡器模块")
        page.click("#upkeep-link")
        page.click("#sessions summary")
        page.select_option("#id_channel", "ssh")
        page.select_option("#id_alarm", index=1)
        page.click("#session-form button[type=submit]")
        page.wait_for_url("**/devices/remote-sessions/*/")
        expect(page.locator("#diagnosis-cards")).to_contain_text("检查读卡器口有无异物")
        page.fill("#id_action", "远程复位读卡器模块")
        page.fill("#id_result", "复位成功，测试卡读取正常")
        page.click("#action-form button[type=submit]")
        expect(page.locator("#actions ol")).to_contain_text("远程复位读卡器模块")
        page.click("#actions details summary")
        page.select_option("#end-form select[name=outcome]", "resolved")
        page.fill("#end-form textarea[name=summary]", "远程复位后恢复")
        page.click("#end-form button[type=submit]")
        expect(page.locator("#session-outcome")).to_have_text("已远程解决")
        shot(page, "devices-remote-session")
    finally:
        page.close()
    assert RemoteSession.objects.get(device=device).outcome == "resolved"


def test_engineer_takes_lifecycle_steps_and_sees_refusals(browser, live_server, world):
    device = make_device(world.branch_a, asset_tag="ATM-PD-0950", lifecycle_state="approved")
    page = browser.new_page(locale="zh-CN")
    try:
        sign_in(page, live_server.url, world.users["onsite_engineer"])
        page.goto(f"{live_server.url}/devices/{device.pk}/")
        form = page.locator("#lifecycle-step")
        form.locator("select[name=to_state]").select_option("arrived")
        form.locator("textarea[name=note]").fill("到货验收，配件齐全")
        form.locator("button[type=submit]").click()
        expect(page.locator("#lifecycle")).to_contain_text("到货验收，配件齐全")
        page.locator("#lifecycle-step button[type=submit]").click()  # the only next step: commissioning
        expect(page.locator("#lifecycle-step")).to_contain_text("验收测试记录")
        # Ending commissioning without the test record is refused, in words.
        page.locator("#lifecycle-step button[type=submit]").click()
        expect(page.locator("ul.messages")).to_contain_text("安装调试完成时须填写验收测试记录")
        page.locator("#lifecycle-step textarea[name=test_record]").fill("取款、存款、查询各 20 笔，全部通过")
        page.locator("#lifecycle-step button[type=submit]").click()
        expect(page.locator("#lifecycle")).to_contain_text("测试记录： 取款、存款、查询各 20 笔，全部通过")
        expect(page.locator("#retirement-form")).to_be_attached()
        shot(page, "devices-lifecycle")
    finally:
        page.close()
    device.refresh_from_db()
    assert device.lifecycle_state == "in_service"
