"""Reads of maintenance plans, inspections, software updates and remote sessions, branch-scoped."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from bastion.devices.checklists import checklist
from bastion.devices.choices import AlarmState
from bastion.devices.models import InspectionRecord, MaintenancePlan, RemoteSession, SoftwareUpdate
from bastion.platform.scoping import get_scoped_object, scoped


def list_plans(
    *, principal: Any, device_id: int | None = None, include_device_plans: bool = True
) -> QuerySet[MaintenancePlan]:
    rows = scoped(MaintenancePlan.objects.select_related("device", "branch"), principal)
    if device_id is not None:
        rows = rows.filter(device_id=device_id)
    if not include_device_plans:
        rows = rows.filter(parent__isnull=True)
    return rows.order_by("next_due_at", "pk")


def get_plan(*, principal: Any, plan_id: int) -> MaintenancePlan:
    return get_scoped_object(
        MaintenancePlan.objects.select_related("device", "branch"), principal, pk=plan_id
    )


def list_inspections(*, principal: Any, device_id: int | None = None) -> QuerySet[InspectionRecord]:
    rows = scoped(
        InspectionRecord.objects.select_related("device__branch", "inspector").prefetch_related(
            "attachments"
        ),
        principal,
    )
    if device_id is not None:
        rows = rows.filter(device_id=device_id)
    return rows.order_by("-inspected_at", "-pk")


def get_inspection(*, principal: Any, inspection_id: int) -> InspectionRecord:
    return get_scoped_object(
        InspectionRecord.objects.select_related("device", "inspector").prefetch_related("attachments"),
        principal,
        pk=inspection_id,
    )


def describe_results(inspection: InspectionRecord) -> list[dict[str, str]]:
    """The inspection's answers in checklist order, with the item's question."""
    rows = []
    for item in checklist(inspection.device.device_class):
        answer = inspection.results.get(item.code, {})
        rows.append({"code": item.code, "label": str(item.label), **answer})
    return rows


def list_updates(*, principal: Any, device_id: int | None = None) -> QuerySet[SoftwareUpdate]:
    rows = scoped(SoftwareUpdate.objects.select_related("device", "actor"), principal)
    if device_id is not None:
        rows = rows.filter(device_id=device_id)
    return rows.order_by("-applied_at", "-pk")


def list_sessions(*, principal: Any, device_id: int | None = None) -> QuerySet[RemoteSession]:
    rows = scoped(RemoteSession.objects.select_related("device", "engineer", "alarm"), principal)
    if device_id is not None:
        rows = rows.filter(device_id=device_id)
    return rows.order_by("-started_at", "-pk")


def get_session(*, principal: Any, session_id: int) -> RemoteSession:
    return get_scoped_object(
        RemoteSession.objects.select_related("device", "engineer", "alarm").prefetch_related("actions"),
        principal,
        pk=session_id,
    )


def cards_for(*, fault_codes: set[str], device_class: str) -> list[Any]:
    """The knowledge base's diagnosis cards (快速故障诊断卡) for these fault codes, with their steps.

    The cards live in the knowledge app (one place to write them); absent that app, there are none.
    """
    try:
        from bastion.knowledge.services import list_diagnosis_cards
    except ImportError:  # the knowledge app is optional
        return []
    cards: list[Any] = []
    for code in sorted(c for c in fault_codes if c):
        cards.extend(list_diagnosis_cards(fault_code=code, device_class=device_class))
    return cards


def work_order_url_prefix() -> str:
    """The console address of a work order without its number ("" while the service desk is absent)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("servicedesk:order", args=[1]).removesuffix("1/")
    except NoReverseMatch:
        return ""


def codes_with_cards() -> set[str]:
    """Fault codes that have an active diagnosis card (a few dozen cards: one query, no paging)."""
    try:
        from bastion.knowledge.services import list_diagnosis_cards
    except ImportError:
        return set()
    return {card.fault_code for card in list_diagnosis_cards()}


def diagnosis_cards(session: RemoteSession) -> list[Any]:
    """The diagnosis cards for the session's alarm and the device's standing alarms."""
    codes = set(
        session.device.alarms.filter(state__in=AlarmState.active()).values_list("fault_code", flat=True)
    )
    if session.alarm is not None:
        codes.add(session.alarm.fault_code)
    return cards_for(fault_codes=codes, device_class=session.device.device_class)


def pending_approvals(*, device_id: int) -> list[Any]:
    """The device's procurement or retirement requests still waiting for their second person."""
    from bastion.identity.models import ApprovalRequest

    return list(
        ApprovalRequest.objects.filter(
            kind__in=("devices.procurement", "devices.retirement"),
            status="pending",
            payload__device_id=device_id,
        ).select_related("maker")
    )
