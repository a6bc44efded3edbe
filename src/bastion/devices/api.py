"""REST API of the devices app (mounted under /api/v1/devices).

Handlers parse, check the permission, call one service or action and render. Every row comes
through :mod:`bastion.platform.scoping`: a device or alarm outside the caller's branches is 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from bastion.devices import actions, api_maintenance, services
from bastion.devices import permissions as perms
from bastion.devices.actions import lifecycle
from bastion.devices.actions.alarms import TelemetryEvaluator
from bastion.devices.actions.operations import do_clear_alarm, do_plan_maintenance_window
from bastion.devices.api_import import BODY_DOC as IMPORT_BODY_DOC
from bastion.devices.api_import import ImportOut, import_devices
from bastion.devices.models import Alarm, Device, LifecycleEvent, MaintenanceWindow
from bastion.devices.schemas import (
    AlarmFilterIn,
    AlarmOut,
    AlarmPage,
    ClearIn,
    DeviceCreateIn,
    DeviceFilterIn,
    DeviceOut,
    DevicePage,
    DeviceUpdateIn,
    LifecycleEventOut,
    LifecycleStepIn,
    ProcurementIn,
    ReasonIn,
    RequestedOut,
    StatusIn,
    TelemetryIn,
    TelemetryOut,
    WindowIn,
    WindowOut,
)
from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission
from bastion.platform.errors import DomainError
from bastion.platform.scoping import scoped

router = Router(tags=["devices"])
# Upkeep first: its fixed paths (/maintenance-plans, /inspections...) precede "/{device_id}".
api_maintenance.mount(router)


class TelemetryRejected(DomainError):
    """Not one message of a telemetry submission was valid; ``fields`` names each bad message."""

    status = 422
    code = "telemetry_rejected"


# --- rendering ------------------------------------------------------------------------------------
def render_device(device: Device) -> dict[str, Any]:
    rank = getattr(device, "worst_rank", None)
    return {
        "id": device.pk,
        "asset_tag": device.asset_tag,
        "name": device.name,
        "device_class": device.device_class,
        "vendor": device.vendor,
        "model": device.model,
        "serial_number": device.serial_number,
        "branch": {"id": device.branch.pk, "code": device.branch.code, "name": device.branch.name},
        "location": device.location,
        "install_date": device.install_date,
        "warranty_until": device.warranty_until,
        "end_of_support": device.end_of_support,
        "software_version": device.software_version,
        "lifecycle_state": device.lifecycle_state,
        "operational_status": device.operational_status,
        "upstream_id": device.upstream_id,
        "last_seen_at": device.last_seen_at,
        "is_self_service": device.is_self_service,
        "health": {
            "open_alarms": getattr(device, "open_alarms", 0),
            "worst_severity": services.RANK_TO_SEVERITY.get(rank) if rank else None,
            "standing_alarms": getattr(device, "standing_alarms", 0),
        },
    }


def render_alarm(alarm: Alarm) -> dict[str, Any]:
    device = alarm.device
    return {
        "id": alarm.pk,
        "device": {
            "id": device.pk,
            "asset_tag": device.asset_tag,
            "name": device.name,
            "branch_id": device.branch_id,
        },
        **{
            name: getattr(alarm, name)
            for name in (
                "fault_code",
                "severity",
                "state",
                "title",
                "detail",
                "raised_at",
                "last_seen_at",
                "cleared_at",
                "clear_reason",
                "occurrences",
                "reopen_count",
                "flapping",
                "parent_id",
                "work_order_id",
                "handover_pending",
            )
        },
    }


def render_window(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": window.pk,
        "branch_id": window.branch_id,
        "device_id": window.device_id,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "reason": window.reason,
    }


def render_event(event: LifecycleEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": event.actor.username if event.actor else None,
        "occurred_at": event.occurred_at,
        "note": event.note,
        "test_record": event.test_record,
        "approval_id": event.approval_id,
    }


# --- devices --------------------------------------------------------------------------------------
@router.get("", response={200: DevicePage, **ERRORS}, summary="Devices in the caller's scope, with health")
def list_devices(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[DeviceFilterIn]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    found = services.list_devices(
        principal=principal,
        filters=services.DeviceFilter(
            q=filters.q or "",
            branch_id=filters.branch_id,
            device_class=filters.device_class or "",
            lifecycle_state=filters.lifecycle_state or "",
            operational_status=filters.operational_status or "",
            vendor=filters.vendor or "",
            in_alarm=filters.in_alarm,
        ),
    )
    return page_of(found, paging, render_device)


@router.post("", response={201: DeviceOut, **ERRORS}, summary="Register a device")
def create_device(request: HttpRequest, payload: DeviceCreateIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE)
    device = actions.do_create_device(**payload.dict(), actor=principal)
    return Status(201, render_device(services.get_device(principal=principal, device_id=device.pk)))


@router.post(
    "/procurements",
    response={202: RequestedOut, **ERRORS},
    summary="Request a device procurement (dual control)",
)
def request_procurement(request: HttpRequest, payload: ProcurementIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.LIFECYCLE)
    device, approval = lifecycle.do_request_procurement(**payload.dict(), actor=principal)
    return Status(
        202, {"device_id": device.pk, "approval_id": approval.pk, "lifecycle_state": device.lifecycle_state}
    )


@router.post("/telemetry", response={200: TelemetryOut, **ERRORS}, summary="Submit telemetry messages")
def submit_telemetry(request: HttpRequest, payload: TelemetryIn) -> dict[str, Any]:
    """The HTTP twin of the MQTT topic, for devices and gateways without MQTT.

    Messages for devices outside the caller's branches are rejected as unknown devices. When no
    message is accepted the answer is 422 naming each bad message.
    """
    principal = principal_of(request)
    require_permission(principal, perms.REPORT_TELEMETRY)
    ids = {m.get("device_id") for m in payload.messages if isinstance(m.get("device_id"), int)}
    visible = set(scoped(Device.objects.filter(pk__in=ids), principal).values_list("pk", flat=True))
    # Devices outside the caller's scope are rejected exactly like devices that do not exist: the
    # answer must not reveal devices of other branches.
    outcome = TelemetryEvaluator().process([(None, m) for m in payload.messages], visible=visible)
    errors = [{**e, "index": int(e["index"])} for e in outcome.errors]
    if outcome.accepted == 0:
        fields = {f"messages[{e['index']}].{e['field'] or 'body'}": [e["message"]] for e in outcome.errors}
        raise TelemetryRejected(_("No telemetry message was accepted."), fields=fields)
    return {
        "accepted": outcome.accepted,
        "rejected": dict(outcome.rejected),
        "errors": errors,
        "raised": outcome.raised,
        "cleared": outcome.cleared,
        "merged": outcome.merged,
    }


@router.get("/alarms", response={200: AlarmPage, **ERRORS}, summary="Alarms in the caller's scope")
def list_alarms(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[AlarmFilterIn]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    found = services.list_alarms(
        principal=principal,
        filters=services.AlarmFilter(
            state=filters.state or "",
            severity=filters.severity or "",
            fault_code=filters.fault_code or "",
            branch_id=filters.branch_id,
            device_id=filters.device_id,
            active_only=bool(filters.active),
        ),
    )
    return page_of(found, paging, render_alarm)


@router.get("/alarms/{alarm_id}", response={200: AlarmOut, **ERRORS}, summary="One alarm")
def get_alarm(request: HttpRequest, alarm_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    return render_alarm(services.get_alarm(principal=principal, alarm_id=alarm_id))


@router.post("/alarms/{alarm_id}/clear", response={200: AlarmOut, **ERRORS}, summary="Clear an alarm by hand")
def clear_alarm(request: HttpRequest, alarm_id: int, payload: ClearIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.HANDLE_ALARMS)
    do_clear_alarm(alarm_id=alarm_id, reason=payload.reason, actor=principal)
    return render_alarm(services.get_alarm(principal=principal, alarm_id=alarm_id))


@router.get(
    "/maintenance-windows", response={200: list[WindowOut], **ERRORS}, summary="Current and future windows"
)
def list_windows(request: HttpRequest) -> list[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    return [
        render_window(w)
        for w in services.list_maintenance_windows(principal=principal, current_only=True)[:500]
    ]


@router.post("/maintenance-windows", response={201: WindowOut, **ERRORS}, summary="Plan a maintenance window")
def plan_window(request: HttpRequest, payload: WindowIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_WINDOWS)
    window = do_plan_maintenance_window(**payload.dict(), actor=principal)
    return Status(201, render_window(window))


# Registered before the /{device_id} routes, which would otherwise match "import".
router.post(
    "/import",
    response={200: ImportOut, **ERRORS},
    summary="Import devices from a CSV or XLSX file",
    openapi_extra=IMPORT_BODY_DOC,
)(import_devices)


@router.get("/{device_id}", response={200: DeviceOut, **ERRORS}, summary="One device with its health")
def get_device(request: HttpRequest, device_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    return render_device(services.get_device(principal=principal, device_id=device_id))


@router.patch("/{device_id}", response={200: DeviceOut, **ERRORS}, summary="Edit a device")
def update_device(request: HttpRequest, device_id: int, payload: DeviceUpdateIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE)
    actions.do_update_device(device_id=device_id, changes=payload.dict(exclude_unset=True), actor=principal)
    return render_device(services.get_device(principal=principal, device_id=device_id))


@router.post("/{device_id}/status", response={200: DeviceOut, **ERRORS}, summary="Set the operational status")
def set_status(request: HttpRequest, device_id: int, payload: StatusIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.SET_STATUS)
    actions.do_set_operational_status(
        device_id=device_id, status=payload.status, reason=payload.reason, actor=principal
    )
    return render_device(services.get_device(principal=principal, device_id=device_id))


@router.get(
    "/{device_id}/lifecycle", response={200: list[LifecycleEventOut], **ERRORS}, summary="Lifecycle history"
)
def list_lifecycle(request: HttpRequest, device_id: int) -> list[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    services.get_device(principal=principal, device_id=device_id)
    return [render_event(e) for e in services.list_lifecycle(principal=principal, device_id=device_id)]


@router.post(
    "/{device_id}/lifecycle", response={200: LifecycleEventOut, **ERRORS}, summary="Record the next step"
)
def record_step(request: HttpRequest, device_id: int, payload: LifecycleStepIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.LIFECYCLE)
    event = lifecycle.do_record_lifecycle_step(device_id=device_id, **payload.dict(), actor=principal)
    return render_event(event)


@router.post(
    "/{device_id}/retirement",
    response={202: RequestedOut, **ERRORS},
    summary="Apply for retirement (dual control)",
)
def request_retirement(request: HttpRequest, device_id: int, payload: ReasonIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.LIFECYCLE)
    approval = lifecycle.do_request_retirement(device_id=device_id, reason=payload.reason, actor=principal)
    return Status(
        202, {"device_id": device_id, "approval_id": approval.pk, "lifecycle_state": "retirement_requested"}
    )
