"""The devices API through the test client: filters, health, telemetry, alarms, windows, scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bastion.devices.choices import DeviceClass
from bastion.devices.models import Alarm, Device
from tests.api.conftest import assert_error_shape, call, session_client
from tests.devices.helpers import make_device

API = "/api/v1/devices"


@pytest.fixture
def fleet(world):
    switch = make_device(world.branch_a, device_class=DeviceClass.NETWORK, name="核心交换机", vendor="华为")
    atm = make_device(world.branch_a, upstream=switch, name="大堂取款机")
    pos = make_device(world.branch_a, device_class=DeviceClass.POS, vendor="新大陆", name="收银 POS")
    other = make_device(world.branch_b, name="海淀取款机")
    return {"switch": switch, "atm": atm, "pos": pos, "other": other}


def test_list_filters_scope_and_health(world, fleet):
    admin = session_client(world.users["administrator"])
    call(
        admin,
        "POST",
        f"{API}/telemetry",
        {"messages": [{"device_id": fleet["atm"].pk, "card_reader": "fault"}]},
    )
    engineer = session_client(world.users["onsite_engineer"])
    body = engineer.get(API).json()
    assert body["total"] == 3  # branch A only
    assert {d["asset_tag"] for d in body["items"]} == {d.asset_tag for k, d in fleet.items() if k != "other"}
    in_alarm = engineer.get(API, {"in_alarm": "true"}).json()["items"]
    assert [d["id"] for d in in_alarm] == [fleet["atm"].pk]
    assert in_alarm[0]["health"] == {"open_alarms": 1, "worst_severity": "major", "standing_alarms": 1}
    assert engineer.get(API, {"device_class": "pos"}).json()["total"] == 1
    assert engineer.get(API, {"vendor": "新大陆"}).json()["items"][0]["id"] == fleet["pos"].pk
    assert engineer.get(API, {"q": "交换机"}).json()["items"][0]["id"] == fleet["switch"].pk
    assert_error_shape(engineer.get(API, {"device_class": "toaster"}), 422)
    assert_error_shape(engineer.get(f"{API}/{fleet['other'].pk}"), 404, "not_found")
    hq = session_client(world.users["auditor_hq"])
    assert hq.get(API).json()["total"] == 4


def test_create_update_and_bad_input_names_the_field(world, fleet):
    supervisor = session_client(world.users["support_supervisor"])
    body = {
        "branch_id": world.branch_a.pk,
        "asset_tag": "ATM-PD-0100",
        "name": "离行式取款机",
        "device_class": "atm",
        "vendor": "恒银金融",
        "model": "CDM-8240",
        "serial_number": "HY0100",
        "upstream_id": fleet["switch"].pk,
    }
    created = call(supervisor, "POST", API, body)
    assert created.status_code == 201, created.content
    assert created.json()["upstream_id"] == fleet["switch"].pk
    again = call(supervisor, "POST", API, body)
    assert_error_shape(again, 409, "device_exists")
    bad = call(
        supervisor,
        "POST",
        API,
        {**body, "asset_tag": "X2", "serial_number": "Y2", "upstream_id": fleet["pos"].pk},
    )
    assert "upstream_id" in assert_error_shape(bad, 422)["fields"], bad.content
    patched = call(
        supervisor,
        "PATCH",
        f"{API}/{created.json()['id']}",
        {"location": "社区网点门口", "software_version": "5.2.1"},
    )
    assert patched.json()["location"] == "社区网点门口"
    loop = call(supervisor, "PATCH", f"{API}/{fleet['switch'].pk}", {"upstream_id": fleet["switch"].pk})
    assert "upstream_id" in assert_error_shape(loop, 422)["fields"]


def test_telemetry_endpoint_partial_and_total_rejection(world, fleet):
    admin = session_client(world.users["administrator"])
    ok = call(
        admin,
        "POST",
        f"{API}/telemetry",
        {
            "messages": [
                {"device_id": fleet["atm"].pk, "cash_level": 4},
                {"device_id": fleet["atm"].pk, "temperature": 4000},
                {"device_id": fleet["other"].pk, "card_reader": "fault"},  # branch B: not visible
            ]
        },
    )
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["accepted"] == 1 and body["rejected"] == {"absurd_value": 1, "unknown_device": 1}
    assert body["errors"][0]["index"] == 1 and body["errors"][0]["field"] == "temperature"
    assert Alarm.objects.get(pk=body["raised"][0]).fault_code == "CASH_LOW"
    assert not Alarm.objects.filter(device=fleet["other"]).exists()
    bad = call(
        admin, "POST", f"{API}/telemetry", {"messages": [{"device_id": fleet["atm"].pk, "network": 3}]}
    )
    fields = assert_error_shape(bad, 422, "telemetry_rejected")["fields"]
    assert "messages[0].network" in fields
    assert_error_shape(call(admin, "POST", f"{API}/telemetry", {"messages": []}), 422)


def test_alarm_list_detail_and_manual_clear(world, fleet):
    admin = session_client(world.users["administrator"])
    call(
        admin, "POST", f"{API}/telemetry", {"messages": [{"device_id": fleet["atm"].pk, "printer": "fault"}]}
    )
    engineer = session_client(world.users["onsite_engineer"])
    alarms = engineer.get(f"{API}/alarms", {"active": "true"}).json()
    assert alarms["total"] == 1
    alarm_id = alarms["items"][0]["id"]
    assert engineer.get(f"{API}/alarms/{alarm_id}").json()["fault_code"] == "PRINTER_FAULT"
    no_reason = call(engineer, "POST", f"{API}/alarms/{alarm_id}/clear", {"reason": ""})
    assert "reason" in assert_error_shape(no_reason, 422)["fields"]
    cleared = call(engineer, "POST", f"{API}/alarms/{alarm_id}/clear", {"reason": "更换打印机"})
    assert cleared.json()["state"] == "cleared" and cleared.json()["clear_reason"] == "更换打印机"
    assert_error_shape(call(engineer, "POST", f"{API}/alarms/{alarm_id}/clear", {"reason": "again"}), 409)
    b_engineer = session_client(world.users["engineer_b"])
    assert_error_shape(b_engineer.get(f"{API}/alarms/{alarm_id}"), 404)


def test_maintenance_window_validation(world, fleet):
    manager = session_client(world.users["branch_manager"])
    now = timezone.now()
    good = {
        "branch_id": world.branch_a.pk,
        "device_id": fleet["atm"].pk,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "reason": "加钞",
    }
    assert call(manager, "POST", f"{API}/maintenance-windows", good).status_code == 201
    backwards = {**good, "ends_at": (now - timedelta(hours=1)).isoformat()}
    refused = assert_error_shape(call(manager, "POST", f"{API}/maintenance-windows", backwards), 422)
    assert "ends_at" in refused["fields"]
    wrong_branch = {**good, "device_id": fleet["other"].pk}
    assert_error_shape(call(manager, "POST", f"{API}/maintenance-windows", wrong_branch), 404)
    assert len(manager.get(f"{API}/maintenance-windows").json()) == 1
    assert Device.objects.count() == 4


def test_edit_and_create_with_dates_are_audited(world):
    from bastion.audit.models import AuditEvent

    supervisor = session_client(world.users["support_supervisor"])
    device = make_device(world.branch_a, install_date=timezone.localdate() - timedelta(days=400))
    edited = call(
        supervisor, "PATCH", f"{API}/{device.pk}", {"warranty_until": "2029-06-30", "location": "大堂"}
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["warranty_until"] == "2029-06-30"
    event = AuditEvent.objects.filter(action="devices.update_device").latest("pk")
    assert event.after == {"warranty_until": "2029-06-30", "location": "大堂"}
    created = call(
        supervisor,
        "POST",
        API,
        {
            "branch_id": world.branch_a.pk,
            "asset_tag": "ATM-DATE-1",
            "name": "取款机",
            "device_class": "atm",
            "vendor": "御银",
            "model": "H22N",
            "serial_number": "YY-DATE-1",
            "install_date": "2024-05-01",
        },
    )
    assert created.status_code == 201, created.content
