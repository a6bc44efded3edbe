"""The devices endpoints in the authorisation matrix (see tests/api/matrix.py).

Who may do what, written out by hand from R1.2: field support (supervisor, on-site and remote
engineers) works with devices and alarms; smart-counter staff and customer-service agents may put a
device out of service; branch managers see their branch and plan maintenance windows; auditors and
the emergency leader read; administrators keep the registry and run telemetry gateways.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from django.utils import timezone

from bastion.devices.choices import AlarmSeverity, DeviceClass
from bastion.devices.models import (
    Alarm,
    Device,
    InspectionRecord,
    MaintenancePlan,
    RemoteSession,
    SoftwareUpdate,
)
from bastion.identity.models import Branch
from tests.api.matrix import Case, permission_then_scope, person_only

VIEW = frozenset(
    {
        "support_supervisor",
        "onsite_engineer",
        "remote_engineer",
        "smart_counter_manager",
        "smart_counter_operator",
        "customer_service_agent",
        "branch_manager",
        "emergency_leader",
        "auditor",
        "administrator",
    }
)
MANAGE = frozenset({"support_supervisor", "administrator"})
SET_STATUS = frozenset(
    {
        "support_supervisor",
        "onsite_engineer",
        "remote_engineer",
        "smart_counter_manager",
        "smart_counter_operator",
        "customer_service_agent",
    }
)
HANDLE_ALARMS = frozenset(
    {"support_supervisor", "onsite_engineer", "remote_engineer", "smart_counter_manager"}
)
WINDOWS = frozenset({"support_supervisor", "smart_counter_manager", "branch_manager"})
TELEMETRY = frozenset({"administrator"})
LIFECYCLE = frozenset({"support_supervisor", "onsite_engineer", "administrator"})
INSPECT = frozenset(
    {
        "support_supervisor",
        "onsite_engineer",
        "remote_engineer",
        "smart_counter_manager",
        "smart_counter_operator",
    }
)
REMOTE = frozenset({"support_supervisor", "remote_engineer"})
IMPORT = frozenset({"support_supervisor", "administrator"})


def _new_device(target: dict[str, int]) -> dict[str, Any]:
    return {
        "branch_id": target["branch"],
        "asset_tag": "ATM-NEW-0001",
        "name": "离行式取款机",
        "device_class": "atm",
        "vendor": "御银",
        "model": "H22N",
        "serial_number": "YY2026000001",
    }


def _window(target: dict[str, int]) -> dict[str, Any]:
    now = timezone.now()
    return {
        "branch_id": target["branch"],
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "reason": "季度预防性维护",
    }


def _import_file(target: dict[str, int], *, device_class: str = "ATM", **flags: Any) -> dict[str, Any]:
    """The JSON form of the import body: a one-device CSV (Chinese headers), base64."""
    code = Branch.objects.get(pk=target["branch"]).code
    text = f"资产编号,设备名称,设备类别,厂商,型号,序列号,网点代码\nIMP-MATRIX-1,取款机,{device_class},恒银,CDM-8240,CY-MATRIX,{code}\n"
    return {"filename": "devices.csv", "file": base64.b64encode(text.encode()).decode(), **flags}


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/devices"): Case(None, permission_then_scope(VIEW, 200)),
    # The branch is in the body: outside the caller's scope it is a bad field (422).
    ("POST", "/devices"): Case("branch", permission_then_scope(MANAGE, 201, out_of_scope=422), _new_device),
    ("GET", "/devices/{device_id}"): Case("device", permission_then_scope(VIEW, 200)),
    ("PATCH", "/devices/{device_id}"): Case(
        "device", permission_then_scope(MANAGE, 200), lambda t: {"location": "大堂东侧"}
    ),
    ("POST", "/devices/{device_id}/status"): Case(
        "device",
        permission_then_scope(SET_STATUS, 200),
        lambda t: {"status": "out_of_service", "reason": "柜台故障暂停业务"},
    ),
    # A device outside the caller's scope is rejected like an unknown one: nothing accepted, 422.
    ("POST", "/devices/telemetry"): Case(
        "device",
        permission_then_scope(TELEMETRY, 200, out_of_scope=422),
        lambda t: {"messages": [{"device_id": t["device"], "card_reader": "ok"}]},
    ),
    # A row naming a branch outside the caller's scope is a bad cell: nothing imported, 422.
    ("POST", "/devices/import"): Case(
        "branch", permission_then_scope(IMPORT, 200, out_of_scope=422), _import_file
    ),
    ("GET", "/devices/alarms"): Case(None, permission_then_scope(VIEW, 200)),
    ("GET", "/devices/alarms/{alarm_id}"): Case("alarm", permission_then_scope(VIEW, 200)),
    ("POST", "/devices/alarms/{alarm_id}/clear"): Case(
        "alarm", permission_then_scope(HANDLE_ALARMS, 200), lambda t: {"reason": "现场已修复"}
    ),
    ("POST", "/devices/procurements"): Case(
        "branch",
        person_only(permission_then_scope(LIFECYCLE, 202, out_of_scope=422)),
        lambda t: {**_new_device(t), "reason": "新网点开业"},
    ),
    ("GET", "/devices/{device_id}/lifecycle"): Case("device", permission_then_scope(VIEW, 200)),
    ("POST", "/devices/{device_id}/lifecycle"): Case(
        "device",
        permission_then_scope(LIFECYCLE, 200),
        lambda t: {"to_state": "maintenance", "note": "季度保养"},
    ),
    ("POST", "/devices/{device_id}/retirement"): Case(
        "device", person_only(permission_then_scope(LIFECYCLE, 202)), lambda t: {"reason": "超期服役"}
    ),
    ("GET", "/devices/maintenance-windows"): Case(None, permission_then_scope(VIEW, 200)),
    ("POST", "/devices/maintenance-windows"): Case(
        "branch", permission_then_scope(WINDOWS, 201, out_of_scope=422), _window
    ),
    # --- upkeep (R2.3, R2.6): tests/devices/test_maintenance_api.py ---
    ("GET", "/devices/maintenance-plans"): Case(None, permission_then_scope(VIEW, 200)),
    ("POST", "/devices/maintenance-plans"): Case(
        "device", permission_then_scope(WINDOWS, 201, out_of_scope=404), lambda t: _plan(t)
    ),
    ("GET", "/devices/maintenance-plans/{plan_id}"): Case("plan", permission_then_scope(VIEW, 200)),
    ("POST", "/devices/maintenance-plans/{plan_id}/complete"): Case(
        "plan", permission_then_scope(INSPECT, 200), lambda t: {"note": "保养完成"}
    ),
    ("GET", "/devices/inspections"): Case(None, permission_then_scope(VIEW, 200)),
    ("GET", "/devices/inspections/{inspection_id}"): Case("inspection", permission_then_scope(VIEW, 200)),
    ("POST", "/devices/inspections/{inspection_id}/attachments"): Case(
        "inspection", permission_then_scope(INSPECT, 201), lambda t: _photo()
    ),
    ("GET", "/devices/{device_id}/inspection-checklist"): Case("device", permission_then_scope(VIEW, 200)),
    ("POST", "/devices/{device_id}/inspections"): Case(
        "device", person_only(permission_then_scope(INSPECT, 201)), lambda t: _inspection()
    ),
    ("GET", "/devices/software-updates"): Case(None, permission_then_scope(VIEW, 200)),
    ("POST", "/devices/{device_id}/software-updates"): Case(
        "device", permission_then_scope(INSPECT, 201), lambda t: {"to_version": "V3.2.1", "note": "升级"}
    ),
    ("GET", "/devices/remote-sessions"): Case(None, permission_then_scope(VIEW, 200)),
    ("GET", "/devices/remote-sessions/{session_id}"): Case("session", permission_then_scope(VIEW, 200)),
    ("POST", "/devices/{device_id}/remote-sessions"): Case(
        "device", person_only(permission_then_scope(REMOTE, 201)), lambda t: {"channel": "remote_desktop"}
    ),
    ("POST", "/devices/remote-sessions/{session_id}/actions"): Case(
        "session",
        permission_then_scope(REMOTE, 201),
        lambda t: {"action": "重启读卡器模块", "result": "成功"},
    ),
    ("POST", "/devices/remote-sessions/{session_id}/end"): Case(
        "session",
        permission_then_scope(REMOTE, 200),
        lambda t: {"outcome": "resolved", "summary": "远程复位"},
    ),
}

PATH_PARAMS = {
    "device": "device_id",
    "alarm": "alarm_id",
    "plan": "plan_id",
    "inspection": "inspection_id",
    "session": "session_id",
}

# A 1x1 PNG, the smallest real photo an inspector can attach.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
_ATM_ITEMS = (
    "appearance",
    "running",
    "network",
    "cleanliness",
    "cash_cassette",
    "card_reader",
    "receipt_printer",
)


def _plan(target: dict[str, int]) -> dict[str, Any]:
    return {
        "kind": "preventive_maintenance",
        "title": "季度保养",
        "cycle_days": 90,
        "device_id": target["device"],
    }


def _inspection(**changes: Any) -> dict[str, Any]:
    return {"results": {code: {"result": "ok"} for code in _ATM_ITEMS}, "note": "日常巡检", **changes}


def _photo() -> dict[str, Any]:
    return {"file_name": "现场.png", "content_base64": base64.b64encode(PNG).decode()}


def _upkeep_targets(api_world: Any, devices: dict[str, int]) -> dict[str, dict[str, int]]:
    users = api_world.world.users
    plans, inspections, sessions = {}, {}, {}
    now = timezone.now()
    for side, device_id in devices.items():
        device = Device.objects.get(pk=device_id)
        plans[side] = MaintenancePlan.objects.create(
            device=device,
            branch_id=device.branch_id,
            device_class=device.device_class,
            kind="preventive_maintenance",
            title="矩阵保养计划",
            cycle_days=30,
            next_due_at=now + timedelta(days=30),
        ).pk
        inspections[side] = InspectionRecord.objects.create(
            device=device,
            inspector=users["onsite_engineer"],
            inspected_at=now,
            results={code: {"result": "ok", "note": ""} for code in _ATM_ITEMS},
            overall="ok",
        ).pk
        SoftwareUpdate.objects.create(
            device=device,
            from_version="V3.0",
            to_version="V3.1",
            applied_at=now,
            actor=users["onsite_engineer"],
        )
        sessions[side] = RemoteSession.objects.create(
            device=device, engineer=users["remote_engineer"], started_at=now
        ).pk
    return {"plan": plans, "inspection": inspections, "session": sessions}


def build_targets(api_world: Any) -> dict[str, dict[str, int]]:
    devices, alarms = {}, {}
    for side, branch in (("A", api_world.branch_a), ("B", api_world.branch_b)):
        device = Device.objects.create(
            branch=branch,
            asset_tag=f"MATRIX-ATM-{side}",
            name="矩阵测试取款机",
            device_class=DeviceClass.ATM,
            vendor="广电运通",
            model="DT-7000",
            serial_number=f"MATRIX-{side}",
            lifecycle_state="in_service",
        )
        now = timezone.now()
        alarm = Alarm.objects.create(
            device=device,
            fault_code="CARD_READER_FAULT",
            severity=AlarmSeverity.MAJOR,
            title="Card reader fault",
            raised_at=now,
            last_seen_at=now,
        )
        devices[side], alarms[side] = device.pk, alarm.pk
    return {"device": devices, "alarm": alarms, **_upkeep_targets(api_world, devices)}


# --- lists and bad input (tests/api/test_scope_and_input.py) ---------------------------------------
LIST_BRANCH_OF: dict[str, Any] = {
    "/devices": lambda item: item["branch"]["id"],
    "/devices/alarms": lambda item: item["device"]["branch_id"],
    "/devices/maintenance-plans": lambda item: item["branch_id"],
    "/devices/inspections": lambda item: item["branch_id"],
    "/devices/software-updates": lambda item: item["branch_id"],
    "/devices/remote-sessions": lambda item: item["branch_id"],
}
# Maintenance windows are a short unpaginated list; their branch scope is checked in test_api.py.
NOT_LISTS = {"/devices/maintenance-windows"}

_SUPERVISOR = "support_supervisor_a"


def _device_with(**changes: Any) -> Any:
    return lambda t: {**_new_device(t), **changes}


BAD_INPUT: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    ("POST", "/devices"): [
        ("/devices", _device_with(asset_tag=""), "asset_tag"),
        ("/devices", _device_with(device_class="toaster"), "device_class"),
        ("/devices", _device_with(branch_id=999999), "branch_id"),
        ("/devices", _device_with(install_date="yesterday"), "install_date"),
        ("/devices", _device_with(serial_number="S" * 81), "serial_number"),
        ("/devices", _device_with(upstream_id=999999), "upstream_id"),
    ],
    ("POST", "/devices/import"): [
        ("/devices/import", {"filename": "devices.csv"}, "file"),
        ("/devices/import", {"filename": "devices.csv", "file": "%%%"}, "file"),
        ("/devices/import", lambda t: {**_import_file(t), "filename": ""}, "filename"),
        ("/devices/import", lambda t: _import_file(t, device_class="toaster"), "rows[2].device_class"),
        ("/devices/import", lambda t: _import_file(t, valid_rows_only="maybe"), "valid_rows_only"),
    ],
    ("POST", "/devices/procurements"): [
        ("/devices/procurements", _device_with(reason=""), "reason"),
        ("/devices/procurements", _device_with(reason="新网点", device_class="x"), "device_class"),
    ],
    ("PATCH", "/devices/{device_id}"): [
        ("/devices/{device}", {"name": ""}, "name"),
        ("/devices/{device}", {"warranty_until": "2026-13-01"}, "warranty_until"),
        ("/devices/{device}", {"upstream_id": 999999}, "upstream_id"),
        ("/devices/abc", {"name": "x"}, "device_id"),
    ],
    ("POST", "/devices/{device_id}/status"): [
        ("/devices/{device}/status", {"status": "on_fire", "reason": "x"}, "status", _SUPERVISOR),
        ("/devices/{device}/status", {"status": "out_of_service", "reason": ""}, "reason", _SUPERVISOR),
    ],
    ("POST", "/devices/telemetry"): [
        ("/devices/telemetry", {"messages": "not a list"}, "messages"),
        ("/devices/telemetry", {}, "messages"),
    ],
    ("POST", "/devices/alarms/{alarm_id}/clear"): [
        ("/devices/alarms/{alarm}/clear", {"reason": ""}, "reason", _SUPERVISOR),
        ("/devices/alarms/abc/clear", {"reason": "x"}, "alarm_id", _SUPERVISOR),
    ],
    ("POST", "/devices/{device_id}/lifecycle"): [
        ("/devices/{device}/lifecycle", {"to_state": "melted"}, "to_state"),
        ("/devices/{device}/lifecycle", {"to_state": "maintenance", "note": "n" * 1001}, "note"),
    ],
    ("POST", "/devices/{device_id}/retirement"): [
        ("/devices/{device}/retirement", {"reason": "  "}, "reason"),
        ("/devices/{device}/retirement", {}, "reason"),
    ],
    ("POST", "/devices/maintenance-windows"): [
        (
            "/devices/maintenance-windows",
            lambda t: {**_window(t), "ends_at": "2020-01-01T00:00:00+08:00"},
            "ends_at",
            _SUPERVISOR,
        ),
        (
            "/devices/maintenance-windows",
            lambda t: {**_window(t), "starts_at": "2030-01-01T09:00:00"},
            "starts_at",
            _SUPERVISOR,
        ),
        ("/devices/maintenance-windows", lambda t: {**_window(t), "reason": ""}, "reason", _SUPERVISOR),
    ],
    ("POST", "/devices/maintenance-plans"): [
        ("/devices/maintenance-plans", lambda t: {**_plan(t), "cycle_days": 0}, "cycle_days", _SUPERVISOR),
        ("/devices/maintenance-plans", lambda t: {**_plan(t), "kind": "polish"}, "kind", _SUPERVISOR),
        (
            "/devices/maintenance-plans",
            lambda t: {**_plan(t), "device_id": None, "device_class": "toaster", "branch_id": 1},
            "device_class",
            _SUPERVISOR,
        ),
        ("/devices/maintenance-plans", lambda t: {**_plan(t), "device_id": None}, "device_id", _SUPERVISOR),
    ],
    ("POST", "/devices/maintenance-plans/{plan_id}/complete"): [
        (
            "/devices/maintenance-plans/{plan}/complete",
            {"completed_at": "2099-01-01T00:00:00+08:00"},
            "completed_at",
            _SUPERVISOR,
        ),
        ("/devices/maintenance-plans/{plan}/complete", {"note": "n" * 2001}, "note", _SUPERVISOR),
    ],
    ("POST", "/devices/inspections/{inspection_id}/attachments"): [
        (
            "/devices/inspections/{inspection}/attachments",
            {"file_name": "photo.exe", "content_base64": base64.b64encode(PNG).decode()},
            "attachments",
            _SUPERVISOR,
        ),
        (
            "/devices/inspections/{inspection}/attachments",
            {"file_name": "photo.png", "content_base64": "%%%"},
            "content_base64",
            _SUPERVISOR,
        ),
    ],
    ("POST", "/devices/{device_id}/inspections"): [
        ("/devices/{device}/inspections", _inspection(results={}), "results.appearance", _SUPERVISOR),
        (
            "/devices/{device}/inspections",
            lambda t: _inspection(results={c: {"result": "problem"} for c in _ATM_ITEMS}),
            "results.appearance",
            _SUPERVISOR,
        ),
        ("/devices/{device}/inspections", _inspection(open_work_order=True), "open_work_order", _SUPERVISOR),
    ],
    ("POST", "/devices/{device_id}/software-updates"): [
        ("/devices/{device}/software-updates", {"to_version": ""}, "to_version", _SUPERVISOR),
        ("/devices/{device}/software-updates", {"to_version": "V2", "result": "meh"}, "result", _SUPERVISOR),
    ],
    ("POST", "/devices/{device_id}/remote-sessions"): [
        ("/devices/{device}/remote-sessions", {"channel": "telepathy"}, "channel", _SUPERVISOR),
        (
            "/devices/{device}/remote-sessions",
            {"channel": "ssh", "alarm_id": 999999},
            "alarm_id",
            _SUPERVISOR,
        ),
    ],
    ("POST", "/devices/remote-sessions/{session_id}/actions"): [
        ("/devices/remote-sessions/{session}/actions", {"action": ""}, "action", _SUPERVISOR),
    ],
    ("POST", "/devices/remote-sessions/{session_id}/end"): [
        ("/devices/remote-sessions/{session}/end", {"outcome": "in_progress"}, "outcome", _SUPERVISOR),
        ("/devices/remote-sessions/{session}/end", {"outcome": "resolved"}, "summary", _SUPERVISOR),
    ],
}
