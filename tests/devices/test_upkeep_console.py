"""Console pages of lifecycle steps and upkeep (R2.2, R2.3, R2.6) through the Django test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bastion.devices.actions.alarms import TelemetryEvaluator
from bastion.devices.choices import DeviceClass
from bastion.devices.models import (
    Device,
    InspectionRecord,
    LifecycleEvent,
    MaintenancePlan,
    MaintenanceWindow,
    RemoteSession,
    SoftwareUpdate,
)
from bastion.identity.models import ApprovalRequest
from bastion.knowledge.actions import do_create_diagnosis_card
from tests.devices.api_matrix import PNG
from tests.devices.helpers import make_device
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(world, client):
    def make(name: str, language: str = "en"):
        client.logout()
        client.cookies["bastion_language"] = language
        return sign_in(client, world.users[name])

    return make


def _text(response) -> str:
    return response.content.decode()


def _card(world) -> None:
    do_create_diagnosis_card(
        code="DC-CARD-READER",
        fields={
            "fault_code": "CARD_READER_FAULT",
            "device_class": "atm",
            "title_zh": "读卡器故障",
            "title_en": "Card reader fault",
            "symptom_zh": "读卡器不吸卡或吞卡",
        },
        steps=[
            ("检查读卡器口有无异物", "Check the card slot for foreign objects"),
            ("远程复位读卡器模块", ""),
        ],
        actor=world.users["support_supervisor"],
    )


def test_lifecycle_through_the_console_with_dual_control(world, as_user, clock):
    client = as_user("support_supervisor")
    form = {
        "branch": world.branch_a.pk,
        "device_class": "atm",
        "asset_tag": "ATM-PD-0300",
        "name": "社区自助银行取款机",
        "vendor": "日立",
        "model": "HT-2845",
        "serial_number": "HT-0300",
        "reason": "社区网点新增",
    }
    # Without a reason nothing is requested and the field says why.
    refused = client.post("/devices/procurement/", {**form, "reason": ""})
    assert refused.status_code == 200 and not Device.objects.filter(asset_tag="ATM-PD-0300").exists()
    page = client.post("/devices/procurement/", form, follow=True)
    device = Device.objects.get(asset_tag="ATM-PD-0300")
    approval = ApprovalRequest.objects.get(kind="devices.procurement", payload__device_id=device.pk)
    assert f"request #{approval.pk} waits for a second person" in _text(page)
    assert 'id="pending-approval"' in _text(page) and f"/approvals/{approval.pk}/" in _text(page)

    # The maker cannot approve; a second person can, on the approvals page.
    client.post(f"/approvals/{approval.pk}/approve/", {"note": "自批"})
    device.refresh_from_db()
    assert device.lifecycle_state == "requested"
    as_user("branch_manager").post(f"/approvals/{approval.pk}/approve/", {"note": "预算内"})
    device.refresh_from_db()
    assert device.lifecycle_state == "approved"

    engineer = as_user("onsite_engineer")
    page = _text(engineer.get(f"/devices/{device.pk}/"))
    assert 'id="lifecycle-step"' in page and 'value="arrived"' in page
    # Skipping ahead is refused with a message naming the next step.
    skipped = _text(
        engineer.post(f"/devices/{device.pk}/lifecycle/", {"to_state": "in_service"}, follow=True)
    )
    assert "cannot go from Procurement approved to In service" in skipped and "Arrived" in skipped
    engineer.post(f"/devices/{device.pk}/lifecycle/", {"to_state": "arrived", "note": "到货验收"})
    engineer.post(f"/devices/{device.pk}/lifecycle/", {"to_state": "commissioning"})
    page = _text(engineer.get(f"/devices/{device.pk}/"))
    assert "Acceptance test record" in page
    no_test = _text(
        engineer.post(f"/devices/{device.pk}/lifecycle/", {"to_state": "in_service"}, follow=True)
    )
    assert "acceptance test record" in no_test
    engineer.post(
        f"/devices/{device.pk}/lifecycle/", {"to_state": "in_service", "test_record": "取款存款各20笔通过"}
    )
    device.refresh_from_db()
    assert device.lifecycle_state == "in_service"

    # Retirement application, appraisal by a second person, then scrapped.
    applied = _text(engineer.post(f"/devices/{device.pk}/retirement/", {"reason": "超期服役"}, follow=True))
    retirement = ApprovalRequest.objects.get(kind="devices.retirement", payload__device_id=device.pk)
    assert f"request #{retirement.pk} waits" in applied
    as_user("branch_manager").post(f"/approvals/{retirement.pk}/approve/", {"note": "鉴定通过"})
    engineer = as_user("onsite_engineer")
    engineer.post(f"/devices/{device.pk}/lifecycle/", {"to_state": "scrapped", "note": "交回收商"})
    page = _text(engineer.get(f"/devices/{device.pk}/"))
    assert "取款存款各20笔通过" in page and 'id="lifecycle-step"' not in page
    steps = list(LifecycleEvent.objects.filter(device=device).values_list("to_state", "actor__username"))
    assert [s for s, _ in steps] == [
        "requested",
        "approved",
        "arrived",
        "commissioning",
        "in_service",
        "retirement_requested",
        "retirement_approved",
        "scrapped",
    ]
    assert steps[1][1] == world.users["branch_manager"].username


def test_lifecycle_forms_need_the_permission(world, as_user):
    device = make_device(world.branch_a)
    client = as_user("auditor")
    assert 'id="lifecycle-step"' not in _text(client.get(f"/devices/{device.pk}/"))
    assert client.post(f"/devices/{device.pk}/lifecycle/", {"to_state": "maintenance"}).status_code == 403
    other = make_device(world.branch_b)
    engineer = as_user("onsite_engineer")
    assert engineer.post(f"/devices/{other.pk}/lifecycle/", {"to_state": "maintenance"}).status_code == 404


def test_maintenance_plans_create_complete_and_next_due(world, as_user, clock):
    device = make_device(world.branch_a, asset_tag="ATM-PD-0400")
    client = as_user("support_supervisor")
    bad = client.post(
        f"/devices/{device.pk}/plans/", {"kind": "inspection", "title": "月检", "cycle_days": 0}
    )
    assert bad.status_code == 422 and not MaintenancePlan.objects.exists()
    client.post(
        f"/devices/{device.pk}/plans/",
        {"kind": "preventive_maintenance", "title": "季度保养", "cycle_days": 90},
    )
    plan = MaintenancePlan.objects.get(device=device)
    assert plan.next_due_at == timezone.now() + timedelta(days=90)
    page = _text(client.get(f"/devices/{device.pk}/upkeep/"))
    assert "季度保养" in page and "90 days" in page

    clock.advance(days=10)
    client = as_user("support_supervisor")  # a new sign-in: the session idled out over the ten days
    client.post(f"/devices/maintenance/{plan.pk}/complete/", {"note": "提前保养"})
    plan.refresh_from_db()
    assert plan.last_completed_at == timezone.now()
    assert plan.next_due_at == timezone.now() + timedelta(days=90)

    # A class plan at a branch gives each device of the class its own plan.
    make_device(world.branch_a, device_class=DeviceClass.KIOSK, asset_tag="KSK-PD-0001")
    created = client.post(
        "/devices/maintenance/",
        {
            "kind": "inspection",
            "title": "自助终端月检",
            "cycle_days": 30,
            "branch": world.branch_a.pk,
            "device_class": "kiosk",
        },
    )
    assert created.status_code == 302
    listing = _text(client.get("/devices/maintenance/"))
    assert "自助终端月检" in listing and "every Self-service kiosk" in listing and "KSK-PD-0001" in listing
    # Completing the class template itself is refused with the reason.
    parent = MaintenancePlan.objects.get(title="自助终端月检", parent__isnull=True)
    refused = _text(client.post(f"/devices/maintenance/{parent.pk}/complete/", {}, follow=True))
    assert "completed device by device" in refused
    # A branch manager of another branch sees neither the plans nor the device.
    assert "季度保养" not in _text(as_user("branch_manager_b").get("/devices/maintenance/"))


def test_inspection_form_with_photo_problem_and_work_order(world, as_user):
    device = make_device(world.branch_a, asset_tag="ATM-PD-0500")
    client = as_user("onsite_engineer")
    form = _text(client.get(f"/devices/{device.pk}/inspect/"))
    # The ATM checklist: the four common items and the ATM's own.
    for label in ("Appearance", "Running state", "Network connection", "Cleanliness", "Card reader"):
        assert label in form
    answers = {
        "appearance__result": "ok",
        "running__result": "ok",
        "network__result": "ok",
        "cleanliness__result": "problem",
        "cash_cassette__result": "ok",
        "card_reader__result": "ok",
        "receipt_printer__result": "ok",
        "note": "早班巡检",
    }
    # A problem without saying what was found is refused on that item.
    missing = client.post(f"/devices/{device.pk}/inspect/", answers)
    assert missing.status_code == 422 and "Describe the problem you found." in _text(missing)
    assert not InspectionRecord.objects.exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    done = client.post(
        f"/devices/{device.pk}/inspect/",
        {**answers, "cleanliness__note": "出钞口有灰尘", "open_work_order": "on", "attachments": [photo]},
    )
    record = InspectionRecord.objects.get(device=device)
    assert done.status_code == 302 and done["Location"] == f"/devices/inspections/{record.pk}/"
    assert record.overall == "fault" and record.results["cleanliness"]["note"] == "出钞口有灰尘"
    page = _text(client.get(done["Location"]))
    assert "出钞口有灰尘" in page and "现场.png" in page and "Fault" in page
    # The work order opened for the finding is one click away.
    assert record.work_order_id is not None
    assert f'href="/servicedesk/orders/{record.work_order_id}/"' in page
    attachment = record.attachments.get()
    download = client.get(f"/devices/inspections/{record.pk}/attachments/{attachment.pk}/")
    assert download["Content-Type"] == "image/png" and b"".join(download.streaming_content) == PNG
    # The inspection list shows it, also when only problems are asked for; other branches do not.
    assert "ATM-PD-0500" in _text(client.get("/devices/inspections/", {"problems": "1"}))
    # A file that is not a photo or PDF is refused.
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not an image", content_type="image/png")
    bad = client.post(
        f"/devices/{device.pk}/inspect/",
        {**answers, "cleanliness__result": "ok", "attachments": [fake]},
    )
    assert bad.status_code == 422 and InspectionRecord.objects.count() == 1
    # Other branches' inspections are not found; an auditor cannot record one.
    assert as_user("engineer_b").get(f"/devices/inspections/{record.pk}/").status_code == 404
    assert "ATM-PD-0500" not in _text(as_user("engineer_b").get("/devices/inspections/"))
    assert as_user("auditor").get(f"/devices/{device.pk}/inspect/").status_code == 403


def test_software_update_record(world, as_user):
    device = make_device(world.branch_a, software_version="V3.1.0")
    client = as_user("remote_engineer")
    empty = client.post(f"/devices/{device.pk}/software-updates/", {"to_version": "", "result": "success"})
    assert empty.status_code == 422 and not SoftwareUpdate.objects.exists()
    client.post(f"/devices/{device.pk}/software-updates/", {"to_version": "V3.2.0", "result": "failed"})
    client.post(f"/devices/{device.pk}/software-updates/", {"to_version": "V3.2.1", "result": "success"})
    device.refresh_from_db()
    assert device.software_version == "V3.2.1"
    page = _text(client.get(f"/devices/{device.pk}/upkeep/"))
    assert "V3.1.0" in page and "V3.2.0" in page and "Failed" in page and "Succeeded" in page


def test_remote_session_with_actions_and_diagnosis_cards(world, as_user):
    _card(world)
    device = make_device(world.branch_a, asset_tag="ATM-PD-0600")
    TelemetryEvaluator().process([(device.pk, {"device_id": device.pk, "card_reader": "fault"})])
    alarm = device.alarms.get()
    client = as_user("remote_engineer")
    # The device page shows the card's steps beside the open alarm.
    page = _text(client.get(f"/devices/{device.pk}/"))
    assert "Card reader fault" in page and "Check the card slot for foreign objects" in page
    # The alarm console points to the card from the alarm's row.
    alarms = _text(client.get("/devices/alarms/"))
    assert f'href="/devices/{device.pk}/#open-alarms"' in alarms and "diagnosis-link" in alarms
    zh = _text(as_user("remote_engineer", "zh-hans").get(f"/devices/{device.pk}/"))
    assert "检查读卡器口有无异物" in zh and "远程复位读卡器模块" in zh

    client = as_user("remote_engineer")
    started = client.post(f"/devices/{device.pk}/remote-sessions/", {"channel": "ssh", "alarm": alarm.pk})
    session = RemoteSession.objects.get(device=device)
    assert started["Location"] == f"/devices/remote-sessions/{session.pk}/"
    page = _text(client.get(started["Location"]))
    assert "SSH console" in page and "Check the card slot" in page and 'id="action-form"' in page
    assert client.post(f"/devices/remote-sessions/{session.pk}/actions/", {"action": ""}).status_code == 422
    client.post(
        f"/devices/remote-sessions/{session.pk}/actions/", {"action": "复位读卡器模块", "result": "成功"}
    )
    # Ending as resolved needs a summary.
    refused = client.post(f"/devices/remote-sessions/{session.pk}/end/", {"outcome": "resolved"})
    assert refused.status_code == 422 and "This field is required." in _text(refused)
    client.post(f"/devices/remote-sessions/{session.pk}/end/", {"outcome": "resolved", "summary": "远程复位"})
    session.refresh_from_db()
    assert session.outcome == "resolved" and session.ended_at is not None
    page = _text(client.get(f"/devices/remote-sessions/{session.pk}/"))
    assert "复位读卡器模块" in page and "Resolved remotely" in page and 'id="action-form"' not in page
    # An on-site engineer reads the session but may not start one.
    onsite = as_user("onsite_engineer")
    assert onsite.get(f"/devices/remote-sessions/{session.pk}/").status_code == 200
    assert onsite.post(f"/devices/{device.pk}/remote-sessions/", {"channel": "ssh"}).status_code == 403


def test_status_change_and_maintenance_window_from_the_console(world, as_user):
    device = make_device(world.branch_a, asset_tag="ATM-PD-0900")
    client = as_user("smart_counter_manager")
    refused = _text(client.post(f"/devices/{device.pk}/status/", {"status": "out_of_service"}, follow=True))
    assert "Give a reason for the status change." in refused
    client.post(f"/devices/{device.pk}/status/", {"status": "out_of_service", "reason": "出钞模块更换"})
    device.refresh_from_db()
    assert device.operational_status == "out_of_service"

    start = timezone.localtime() + timedelta(minutes=5)
    window = {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "更换出钞模块",
    }
    backwards = client.post(f"/devices/{device.pk}/windows/", {**window, "ends_at": window["starts_at"]})
    assert backwards.status_code == 422
    assert client.post(f"/devices/{device.pk}/windows/", window).status_code == 302
    page = _text(client.get(f"/devices/{device.pk}/upkeep/"))
    assert "更换出钞模块" in page
    # While it lasts, a fault on the device is muted.
    MaintenanceWindow.objects.filter(device=device).update(starts_at=timezone.now() - timedelta(minutes=1))
    TelemetryEvaluator().process([(device.pk, {"device_id": device.pk, "printer": "fault"})])
    assert device.alarms.get().state == "muted"
    # An on-site engineer may not plan windows; an auditor may not change the status.
    assert as_user("onsite_engineer").post(f"/devices/{device.pk}/windows/", window).status_code == 403
    assert (
        as_user("auditor").post(f"/devices/{device.pk}/status/", {"status": "available"}).status_code == 403
    )


def test_registry_edit_from_the_console(world, as_user):
    switch = make_device(world.branch_a, device_class=DeviceClass.NETWORK, asset_tag="SW-PD-0009")
    make_device(world.branch_b, device_class=DeviceClass.NETWORK, asset_tag="SW-HD-0009")
    device = make_device(world.branch_a, asset_tag="ATM-PD-1000", location="大堂")
    client = as_user("support_supervisor")
    form = _text(client.get(f"/devices/{device.pk}/edit/"))
    # Only switches of the device's own branch can be its network dependency.
    assert "SW-PD-0009" in form and "SW-HD-0009" not in form
    empty = client.post(f"/devices/{device.pk}/edit/", {"name": "", "location": "大堂"})
    assert empty.status_code == 422 and "This field is required." in _text(empty)
    saved = client.post(
        f"/devices/{device.pk}/edit/",
        {
            "name": "大堂取款机二号",
            "location": "大堂东侧",
            "upstream": switch.pk,
            "warranty_until": "2029-06-30",
        },
    )
    assert saved.status_code == 302
    device.refresh_from_db()
    assert (device.name, device.location, device.upstream_id) == ("大堂取款机二号", "大堂东侧", switch.pk)
    assert str(device.warranty_until) == "2029-06-30"
    assert as_user("onsite_engineer").get(f"/devices/{device.pk}/edit/").status_code == 403
