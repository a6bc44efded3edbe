"""API of device upkeep (R2.3, R2.6): maintenance plans, inspections, software updates, remote sessions.

Mounted into the devices router (``/api/v1/devices/...``). Handlers parse, check the permission, call
one ``do_*`` action and render; reads go through :mod:`bastion.devices.services_maintenance`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from bastion.devices import permissions as perms
from bastion.devices import services, services_maintenance
from bastion.devices.actions import diagnostics, inspections, maintenance
from bastion.devices.checklists import checklist
from bastion.devices.models import InspectionRecord, MaintenancePlan, RemoteSession, SoftwareUpdate
from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission
from bastion.platform.errors import FieldError

_ROUTES: list[tuple[str, str, Callable[..., Any], dict[str, Any]]] = []


def _route(method: str, path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Collect an operation; :func:`mount` adds them all to the devices router."""

    def collect(fn: Callable[..., Any]) -> Callable[..., Any]:
        _ROUTES.append((method, path, fn, options))
        return fn

    return collect


def mount(router: Router) -> None:
    """Add these operations to ``router`` before its ``/{device_id}`` routes are declared, so the
    fixed paths (``/maintenance-plans``...) are matched first (a child router would come after)."""
    for method, path, fn, options in _ROUTES:
        router.add_api_operation(path, [method], fn, tags=["devices: maintenance"], **options)


KindValue = Literal["preventive_maintenance", "inspection"]
ChannelValue = Literal["remote_desktop", "ssh", "vendor_portal", "monitoring", "phone"]
OutcomeValue = Literal["resolved", "escalated", "no_fault"]
UpdateResultValue = Literal["success", "failed", "rolled_back"]


class Page(Schema):
    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int


class DeviceFilter(Schema):
    device_id: int | None = None


class PlanIn(Schema):
    kind: KindValue
    title: str = Field(min_length=1, max_length=200)
    cycle_days: int = Field(ge=1, le=730)
    first_due_at: datetime | None = None
    device_id: int | None = None
    branch_id: int | None = None
    device_class: str = Field("", max_length=24)


class CompleteIn(Schema):
    note: str = Field("", max_length=2000)
    completed_at: datetime | None = None


class ItemAnswer(Schema):
    result: Literal["ok", "problem"]
    note: str = Field("", max_length=500)


class InspectionIn(Schema):
    results: dict[str, ItemAnswer]
    note: str = Field("", max_length=2000)
    open_work_order: bool = False


class AttachmentIn(Schema):
    file_name: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=1)


class UpdateIn(Schema):
    to_version: str = Field(min_length=1, max_length=60)
    result: UpdateResultValue = "success"
    applied_at: datetime | None = None
    note: str = Field("", max_length=2000)


class SessionIn(Schema):
    channel: ChannelValue
    alarm_id: int | None = None
    summary: str = Field("", max_length=2000)


class ActionIn(Schema):
    action: str = Field(min_length=1, max_length=200)
    result: str = Field("", max_length=200)


class EndIn(Schema):
    outcome: OutcomeValue
    summary: str = Field("", max_length=2000)


# --- rendering ------------------------------------------------------------------------------------
def render_plan(plan: MaintenancePlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "branch_id": plan.branch_id,
        "device_id": plan.device_id,
        "device_class": plan.device_class,
        "parent_id": plan.parent_id,
        "kind": plan.kind,
        "title": plan.title,
        "cycle_days": plan.cycle_days,
        "last_completed_at": plan.last_completed_at,
        "next_due_at": plan.next_due_at,
        "open_work_order_id": plan.open_work_order_id,
        "is_active": plan.is_active,
    }


def render_inspection(record: InspectionRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "device_id": record.device_id,
        "branch_id": record.device.branch_id,
        "inspector": record.inspector.username,
        "inspected_at": record.inspected_at,
        "overall": record.overall,
        "results": record.results,
        "note": record.note,
        "work_order_id": record.work_order_id,
        "attachments": [
            {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size}
            for a in record.attachments.all()
        ],
    }


def render_update(update: SoftwareUpdate) -> dict[str, Any]:
    return {
        "id": update.pk,
        "device_id": update.device_id,
        "branch_id": update.device.branch_id,
        "from_version": update.from_version,
        "to_version": update.to_version,
        "result": update.result,
        "applied_at": update.applied_at,
        "actor": update.actor.username if update.actor else None,
        "note": update.note,
    }


def render_session(session: RemoteSession, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": session.pk,
        "device_id": session.device_id,
        "branch_id": session.device.branch_id,
        "alarm_id": session.alarm_id,
        "engineer": session.engineer.username,
        "channel": session.channel,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "outcome": session.outcome,
        "summary": session.summary,
    }
    if full:
        body["actions"] = [
            {"id": a.pk, "taken_at": a.taken_at, "action": a.action, "result": a.result}
            for a in session.actions.all()
        ]
        body["diagnosis_cards"] = [
            {"code": c.code, "fault_code": c.fault_code, "title": str(c)}
            for c in services_maintenance.diagnosis_cards(session)
        ]
    return body


# --- maintenance plans ------------------------------------------------------------------------------
@_route("GET", "/maintenance-plans", response={200: Page, **ERRORS}, summary="Maintenance plans in scope")
def list_plans(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[DeviceFilter]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    rows = services_maintenance.list_plans(principal=principal, device_id=filters.device_id)
    return page_of(rows, paging, render_plan)


@_route("POST", "/maintenance-plans", response={201: dict[str, Any], **ERRORS}, summary="Plan recurring work")
def create_plan(request: HttpRequest, payload: PlanIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_WINDOWS)
    plan = maintenance.do_create_maintenance_plan(**payload.dict(), actor=principal)
    return Status(201, render_plan(plan))


@_route("GET", "/maintenance-plans/{plan_id}", response={200: dict[str, Any], **ERRORS}, summary="One plan")
def get_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    return render_plan(services_maintenance.get_plan(principal=principal, plan_id=plan_id))


@_route(
    "POST",
    "/maintenance-plans/{plan_id}/complete",
    response={200: dict[str, Any], **ERRORS},
    summary="Record that the plan's work was done",
)
def complete_plan(request: HttpRequest, plan_id: int, payload: CompleteIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.INSPECT)
    maintenance.do_complete_maintenance(plan_id=plan_id, **payload.dict(), actor=principal)
    return render_plan(services_maintenance.get_plan(principal=principal, plan_id=plan_id))


# --- inspections ----------------------------------------------------------------------------------
@_route("GET", "/inspections", response={200: Page, **ERRORS}, summary="Inspections in scope")
def list_inspections(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[DeviceFilter]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    rows = services_maintenance.list_inspections(principal=principal, device_id=filters.device_id)
    return page_of(rows, paging, render_inspection)


@_route(
    "GET", "/inspections/{inspection_id}", response={200: dict[str, Any], **ERRORS}, summary="One inspection"
)
def get_inspection(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    return render_inspection(
        services_maintenance.get_inspection(principal=principal, inspection_id=inspection_id)
    )


@_route(
    "POST",
    "/inspections/{inspection_id}/attachments",
    response={201: dict[str, Any], **ERRORS},
    summary="Add a photo or document (base64) to an inspection",
)
def add_attachment(request: HttpRequest, inspection_id: int, payload: AttachmentIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.INSPECT)
    try:
        content = base64.b64decode(payload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise FieldError("content_base64", _("The content is not valid base64.")) from None
    inspections.do_add_inspection_attachment(
        inspection_id=inspection_id, file_name=payload.file_name, content=content, actor=principal
    )
    record = services_maintenance.get_inspection(principal=principal, inspection_id=inspection_id)
    return Status(201, render_inspection(record))


@_route(
    "GET",
    "/{device_id}/inspection-checklist",
    response={200: list[dict[str, str]], **ERRORS},
    summary="The checklist items of the device's class",
)
def get_checklist(request: HttpRequest, device_id: int) -> list[dict[str, str]]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    device = services.get_device(principal=principal, device_id=device_id)
    return [{"code": item.code, "label": str(item.label)} for item in checklist(device.device_class)]


@_route(
    "POST",
    "/{device_id}/inspections",
    response={201: dict[str, Any], **ERRORS},
    summary="Record an inspection",
)
def record_inspection(request: HttpRequest, device_id: int, payload: InspectionIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.INSPECT)
    record = inspections.do_record_inspection(
        device_id=device_id,
        results={code: answer.dict() for code, answer in payload.results.items()},
        note=payload.note,
        open_work_order=payload.open_work_order,
        actor=principal,
    )
    return Status(201, render_inspection(record))


# --- software updates -----------------------------------------------------------------------------
@_route("GET", "/software-updates", response={200: Page, **ERRORS}, summary="Software updates in scope")
def list_updates(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[DeviceFilter]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    rows = services_maintenance.list_updates(principal=principal, device_id=filters.device_id)
    return page_of(rows, paging, render_update)


@_route(
    "POST",
    "/{device_id}/software-updates",
    response={201: dict[str, Any], **ERRORS},
    summary="Record a software update",
)
def record_update(request: HttpRequest, device_id: int, payload: UpdateIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.INSPECT)
    update = inspections.do_record_software_update(device_id=device_id, **payload.dict(), actor=principal)
    return Status(201, render_update(update))


# --- remote sessions ------------------------------------------------------------------------------
@_route("GET", "/remote-sessions", response={200: Page, **ERRORS}, summary="Remote sessions in scope")
def list_sessions(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[DeviceFilter]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    rows = services_maintenance.list_sessions(principal=principal, device_id=filters.device_id)
    return page_of(rows, paging, render_session)


@_route(
    "GET",
    "/remote-sessions/{session_id}",
    response={200: dict[str, Any], **ERRORS},
    summary="One remote session with its actions and diagnosis cards",
)
def get_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW)
    return render_session(
        services_maintenance.get_session(principal=principal, session_id=session_id), full=True
    )


@_route(
    "POST",
    "/{device_id}/remote-sessions",
    response={201: dict[str, Any], **ERRORS},
    summary="Start a remote session",
)
def start_session(request: HttpRequest, device_id: int, payload: SessionIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.REMOTE)
    session = diagnostics.do_start_remote_session(device_id=device_id, **payload.dict(), actor=principal)
    return Status(201, render_session(session, full=True))


@_route(
    "POST",
    "/remote-sessions/{session_id}/actions",
    response={201: dict[str, Any], **ERRORS},
    summary="Log an action taken in a session",
)
def record_action(request: HttpRequest, session_id: int, payload: ActionIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, perms.REMOTE)
    diagnostics.do_record_remote_action(session_id=session_id, **payload.dict(), actor=principal)
    return Status(
        201,
        render_session(
            services_maintenance.get_session(principal=principal, session_id=session_id), full=True
        ),
    )


@_route(
    "POST",
    "/remote-sessions/{session_id}/end",
    response={200: dict[str, Any], **ERRORS},
    summary="End a session",
)
def end_session(request: HttpRequest, session_id: int, payload: EndIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.REMOTE)
    diagnostics.do_end_remote_session(session_id=session_id, **payload.dict(), actor=principal)
    return render_session(
        services_maintenance.get_session(principal=principal, session_id=session_id), full=True
    )
