"""The upkeep API (R2.3, R2.6) and the lifecycle endpoints (R2.2) end to end through the test client.

Maintenance plans and their next due date, inspections against the class checklist with a photo,
software updates, remote sessions with their actions and diagnosis cards; procurement and retirement
under dual control. Authorisation and bad input per endpoint are in tests/devices/api_matrix.py.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from bastion.devices.actions.alarms import TelemetryEvaluator
from bastion.devices.actions.maintenance import open_due_work_orders
from bastion.devices.choices import DeviceClass
from bastion.knowledge.actions import do_create_diagnosis_card
from tests.api.conftest import assert_error_shape, call, session_client
from tests.devices.api_matrix import PNG
from tests.devices.helpers import make_device

API = "/api/v1/devices"
ATM_ITEMS = (
    "appearance",
    "running",
    "network",
    "cleanliness",
    "cash_cassette",
    "card_reader",
    "receipt_printer",
)
pytestmark = pytest.mark.django_db


def _ok(**overrides: dict[str, str]) -> dict[str, dict[str, str]]:
    return {code: overrides.get(code, {"result": "ok"}) for code in ATM_ITEMS}


def test_plan_next_due_counts_from_the_last_completion(world, clock):
    device = make_device(world.branch_a)
    supervisor = session_client(world.users["support_supervisor"])
    created = call(
        supervisor,
        "POST",
        f"{API}/maintenance-plans",
        {"kind": "preventive_maintenance", "title": "季度保养", "cycle_days": 90, "device_id": device.pk},
    )
    assert created.status_code == 201, created.content
    plan = created.json()
    start = timezone.now()
    assert plan["next_due_at"] == (start + timedelta(days=90)).isoformat().replace("+00:00", "Z")
    clock.advance(days=91)
    assert open_due_work_orders().opened == 1
    # Fresh sign-ins: the sessions idled out over the frozen clock's months.
    engineer = session_client(world.users["onsite_engineer"])
    due = engineer.get(f"{API}/maintenance-plans/{plan['id']}").json()
    assert due["open_work_order_id"] is not None
    clock.advance(days=2)  # done two days late: the next one is due a full cycle after the visit
    engineer = session_client(world.users["onsite_engineer"])
    done = call(engineer, "POST", f"{API}/maintenance-plans/{plan['id']}/complete", {"note": "保养完成"})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["last_completed_at"] is not None
    assert body["next_due_at"] == (timezone.now() + timedelta(days=90)).isoformat().replace("+00:00", "Z")
    listed = engineer.get(f"{API}/maintenance-plans", {"device_id": device.pk}).json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]]
    # Another branch sees nothing of it.
    other = session_client(world.users["engineer_b"])
    assert other.get(f"{API}/maintenance-plans").json()["total"] == 0
    assert_error_shape(other.get(f"{API}/maintenance-plans/{plan['id']}"), 404, "not_found")


def test_class_plan_gives_each_device_a_plan_and_is_not_completed_itself(world):
    for n in range(2):
        make_device(world.branch_a, device_class=DeviceClass.KIOSK, asset_tag=f"KSK-API-{n}")
    supervisor = session_client(world.users["support_supervisor"])
    parent = call(
        supervisor,
        "POST",
        f"{API}/maintenance-plans",
        {
            "kind": "inspection",
            "title": "自助终端月检",
            "cycle_days": 30,
            "branch_id": world.branch_a.pk,
            "device_class": "kiosk",
        },
    ).json()
    children = [p for p in supervisor.get(f"{API}/maintenance-plans").json()["items"] if p["parent_id"]]
    assert len(children) == 2 and all(c["parent_id"] == parent["id"] for c in children)
    refused = call(supervisor, "POST", f"{API}/maintenance-plans/{parent['id']}/complete", {})
    assert assert_error_shape(refused, 409, "class_plan_not_completed")


def test_inspection_with_checklist_photo_and_work_order(world):
    device = make_device(world.branch_a)
    engineer = session_client(world.users["onsite_engineer"])
    items = engineer.get(f"{API}/{device.pk}/inspection-checklist").json()
    assert [i["code"] for i in items] == list(ATM_ITEMS)
    kiosk = make_device(world.branch_a, device_class=DeviceClass.KIOSK)
    kiosk_items = [i["code"] for i in engineer.get(f"{API}/{kiosk.pk}/inspection-checklist").json()]
    assert (
        kiosk_items[:4] == ["appearance", "running", "network", "cleanliness"]
        and "touchscreen" in kiosk_items
    )

    # An item missing, or a problem without a description, is refused naming the item.
    partial = {k: v for k, v in _ok().items() if k != "network"}
    missing = call(engineer, "POST", f"{API}/{device.pk}/inspections", {"results": partial})
    assert "results.network" in assert_error_shape(missing, 422)["fields"]
    vague = call(
        engineer,
        "POST",
        f"{API}/{device.pk}/inspections",
        {"results": _ok(cleanliness={"result": "problem"})},
    )
    assert "results.cleanliness" in assert_error_shape(vague, 422)["fields"]

    recorded = call(
        engineer,
        "POST",
        f"{API}/{device.pk}/inspections",
        {
            "results": _ok(cleanliness={"result": "problem", "note": "出钞口积灰"}),
            "note": "早班巡检",
            "open_work_order": True,
        },
    )
    assert recorded.status_code == 201, recorded.content
    record = recorded.json()
    assert record["overall"] == "fault" and record["results"]["cleanliness"]["note"] == "出钞口积灰"
    photo = {"file_name": "现场.png", "content_base64": base64.b64encode(PNG).decode()}
    attached = call(engineer, "POST", f"{API}/inspections/{record['id']}/attachments", photo)
    assert attached.status_code == 201 and attached.json()["attachments"][0]["content_type"] == "image/png"
    fake = {"file_name": "现场.png", "content_base64": base64.b64encode(b"MZ not a picture").decode()}
    assert_error_shape(call(engineer, "POST", f"{API}/inspections/{record['id']}/attachments", fake), 422)
    listed = engineer.get(f"{API}/inspections", {"device_id": device.pk}).json()
    assert listed["total"] == 1 and len(listed["items"][0]["attachments"]) == 1
    assert_error_shape(
        session_client(world.users["engineer_b"]).get(f"{API}/inspections/{record['id']}"), 404
    )


def test_software_updates_move_the_version_only_when_they_succeed(world):
    device = make_device(world.branch_a, software_version="V3.1.0")
    engineer = session_client(world.users["remote_engineer"])
    failed = call(
        engineer, "POST", f"{API}/{device.pk}/software-updates", {"to_version": "V3.2", "result": "failed"}
    )
    assert failed.status_code == 201 and failed.json()["from_version"] == "V3.1.0"
    assert engineer.get(f"{API}/{device.pk}").json()["software_version"] == "V3.1.0"
    call(engineer, "POST", f"{API}/{device.pk}/software-updates", {"to_version": "V3.2.1"})
    assert engineer.get(f"{API}/{device.pk}").json()["software_version"] == "V3.2.1"
    future = (timezone.now() + timedelta(days=1)).isoformat()
    late = call(
        engineer, "POST", f"{API}/{device.pk}/software-updates", {"to_version": "V4", "applied_at": future}
    )
    assert "applied_at" in assert_error_shape(late, 422)["fields"]
    history = engineer.get(f"{API}/software-updates", {"device_id": device.pk}).json()["items"]
    assert [(u["to_version"], u["result"]) for u in history] == [("V3.2.1", "success"), ("V3.2", "failed")]


def test_remote_session_actions_cards_and_end(world):
    do_create_diagnosis_card(
        code="DC-API-CARD",
        fields={"fault_code": "CARD_READER_FAULT", "device_class": "atm", "title_zh": "读卡器故障"},
        steps=[("检查读卡器口", "Check the card slot")],
        actor=world.users["support_supervisor"],
    )
    device = make_device(world.branch_a)
    TelemetryEvaluator().process([(device.pk, {"device_id": device.pk, "card_reader": "fault"})])
    alarm = device.alarms.get()
    engineer = session_client(world.users["remote_engineer"])
    started = call(
        engineer, "POST", f"{API}/{device.pk}/remote-sessions", {"channel": "ssh", "alarm_id": alarm.pk}
    )
    assert started.status_code == 201, started.content
    session = started.json()
    assert session["outcome"] == "in_progress"
    assert [c["code"] for c in session["diagnosis_cards"]] == ["DC-API-CARD"]
    call(
        engineer,
        "POST",
        f"{API}/remote-sessions/{session['id']}/actions",
        {"action": "复位读卡器", "result": "成功"},
    )
    ended = call(
        engineer,
        "POST",
        f"{API}/remote-sessions/{session['id']}/end",
        {"outcome": "resolved", "summary": "远程复位"},
    )
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    assert [a["action"] for a in ended.json()["actions"]] == ["复位读卡器"]
    # A finished session takes no more actions and cannot be ended twice.
    late = call(engineer, "POST", f"{API}/remote-sessions/{session['id']}/actions", {"action": "再试"})
    assert_error_shape(late, 409, "session_ended")
    # Another device's alarm cannot be named.
    other = make_device(world.branch_a)
    wrong = call(
        engineer, "POST", f"{API}/{other.pk}/remote-sessions", {"channel": "ssh", "alarm_id": alarm.pk}
    )
    assert "alarm_id" in assert_error_shape(wrong, 422)["fields"]


def test_procurement_and_retirement_through_the_api_with_dual_control(world):
    supervisor = session_client(world.users["support_supervisor"])
    requested = call(
        supervisor,
        "POST",
        f"{API}/procurements",
        {
            "branch_id": world.branch_a.pk,
            "asset_tag": "ATM-API-0900",
            "name": "社区取款机",
            "device_class": "atm",
            "vendor": "御银",
            "model": "H22N",
            "serial_number": "YY-0900",
            "reason": "新网点",
        },
    )
    assert requested.status_code == 202, requested.content
    device_id, approval_id = requested.json()["device_id"], requested.json()["approval_id"]
    # Recording the approval by hand is refused: only the approved request takes that step.
    refused = call(supervisor, "POST", f"{API}/{device_id}/lifecycle", {"to_state": "approved"})
    assert_error_shape(refused, 409, "approval_required")
    # The maker cannot approve their own request.
    assert (
        call(supervisor, "POST", f"/api/v1/approvals/{approval_id}/approve", {"note": ""}).status_code == 403
    )
    manager = session_client(world.users["branch_manager"])
    assert (
        call(manager, "POST", f"/api/v1/approvals/{approval_id}/approve", {"note": "同意"}).status_code == 200
    )
    engineer = session_client(world.users["onsite_engineer"])
    skip = call(engineer, "POST", f"{API}/{device_id}/lifecycle", {"to_state": "in_service"})
    # The refusal names the next step (the API answers in the default language, Chinese).
    assert "已到货" in assert_error_shape(skip, 409, "lifecycle_step_refused")["message"]
    for step in ("arrived", "commissioning"):
        assert call(engineer, "POST", f"{API}/{device_id}/lifecycle", {"to_state": step}).status_code == 200
    untested = call(engineer, "POST", f"{API}/{device_id}/lifecycle", {"to_state": "in_service"})
    assert "test_record" in assert_error_shape(untested, 422)["fields"]
    done = call(
        engineer, "POST", f"{API}/{device_id}/lifecycle", {"to_state": "in_service", "test_record": "通过"}
    )
    assert done.json()["test_record"] == "通过"
    retirement = call(engineer, "POST", f"{API}/{device_id}/retirement", {"reason": "超期服役"})
    assert retirement.status_code == 202
    scrap = call(engineer, "POST", f"{API}/{device_id}/lifecycle", {"to_state": "scrapped"})
    assert_error_shape(scrap, 409, "lifecycle_step_refused")
    history = engineer.get(f"{API}/{device_id}/lifecycle").json()
    assert [e["to_state"] for e in history] == [
        "requested",
        "approved",
        "arrived",
        "commissioning",
        "in_service",
        "retirement_requested",
    ]
    assert history[1]["actor"] == world.users["branch_manager"].username
    assert history[1]["approval_id"] == approval_id
