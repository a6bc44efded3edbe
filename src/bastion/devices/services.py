"""Reads of the devices app: devices with health at a glance, alarms, history. No side effects.

Every read takes the principal and goes through :mod:`bastion.platform.scoping`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import get_language

from bastion.devices.choices import AlarmSeverity, AlarmState
from bastion.devices.models import Alarm, Device, LifecycleEvent, MaintenanceWindow, TelemetrySample
from bastion.platform.scoping import get_scoped_object, scoped

_STANDING = Q(alarms__state__in=(AlarmState.OPEN, AlarmState.MUTED, AlarmState.SUPPRESSED))
_RANK = Case(
    *(When(alarms__severity=s, then=Value(AlarmSeverity.rank(s))) for s in AlarmSeverity.values),
    default=Value(0),
    output_field=IntegerField(),
)
RANK_TO_SEVERITY = {AlarmSeverity.rank(s): s for s in AlarmSeverity.values}


@dataclass(frozen=True)
class DeviceFilter:
    """Filters of the device list (console and API)."""

    q: str = ""
    branch_id: int | None = None
    device_class: str = ""
    lifecycle_state: str = ""
    operational_status: str = ""
    vendor: str = ""
    in_alarm: bool | None = None


def with_health(queryset: QuerySet[Device]) -> QuerySet[Device]:
    """Annotate ``open_alarms`` (open alarms) and ``worst_rank`` (worst severity of those)."""
    open_only = Q(alarms__state=AlarmState.OPEN)
    return queryset.annotate(
        open_alarms=Count("alarms", filter=open_only, distinct=True),
        worst_rank=Max(_RANK, filter=open_only),
        standing_alarms=Count("alarms", filter=_STANDING, distinct=True),
    )


def list_devices(*, principal: Any, filters: DeviceFilter | None = None) -> QuerySet[Device]:
    f = filters or DeviceFilter()
    queryset = scoped(Device.objects.select_related("branch"), principal)
    if f.q.strip():
        term = f.q.strip()
        queryset = queryset.filter(
            Q(asset_tag__icontains=term)
            | Q(name__icontains=term)
            | Q(serial_number__icontains=term)
            | Q(model__icontains=term)
            | Q(location__icontains=term)
        )
    if f.branch_id is not None:
        queryset = queryset.filter(branch_id=f.branch_id)
    for name in ("device_class", "lifecycle_state", "operational_status"):
        if getattr(f, name):
            queryset = queryset.filter(**{name: getattr(f, name)})
    if f.vendor.strip():
        queryset = queryset.filter(vendor__icontains=f.vendor.strip())
    queryset = with_health(queryset)
    if f.in_alarm is True:
        queryset = queryset.filter(**{"open_alarms__gt": 0})
    elif f.in_alarm is False:
        queryset = queryset.filter(**{"open_alarms": 0})
    return queryset.order_by("-worst_rank", "branch_id", "asset_tag") if f.in_alarm else queryset


def get_device(*, principal: Any, device_id: int) -> Device:
    return get_scoped_object(
        with_health(Device.objects.select_related("branch", "upstream")), principal, pk=device_id
    )


@dataclass(frozen=True)
class AlarmFilter:
    state: str = ""
    severity: str = ""
    fault_code: str = ""
    branch_id: int | None = None
    device_id: int | None = None
    active_only: bool = False


def list_alarms(*, principal: Any, filters: AlarmFilter | None = None) -> QuerySet[Alarm]:
    f = filters or AlarmFilter()
    queryset = scoped(Alarm.objects.select_related("device", "device__branch"), principal)
    if f.active_only:
        queryset = queryset.filter(state__in=AlarmState.active())
    if f.state:
        queryset = queryset.filter(state=f.state)
    if f.severity:
        queryset = queryset.filter(severity=f.severity)
    if f.fault_code.strip():
        queryset = queryset.filter(fault_code=f.fault_code.strip().upper())
    if f.branch_id is not None:
        queryset = queryset.filter(device__branch_id=f.branch_id)
    if f.device_id is not None:
        queryset = queryset.filter(device_id=f.device_id)
    return queryset.annotate(children_count=Count("children")).order_by("-raised_at", "-pk")


def get_alarm(*, principal: Any, alarm_id: int) -> Alarm:
    return get_scoped_object(
        Alarm.objects.select_related("device", "device__branch", "parent"), principal, pk=alarm_id
    )


def list_samples(*, principal: Any, device_id: int, since: Any = None) -> QuerySet[TelemetrySample]:
    queryset = scoped(TelemetrySample.objects.filter(device_id=device_id), principal)
    if since is not None:
        queryset = queryset.filter(received_at__gte=since)
    return queryset.order_by("received_at")


def list_lifecycle(*, principal: Any, device_id: int) -> QuerySet[LifecycleEvent]:
    return scoped(LifecycleEvent.objects.filter(device_id=device_id).select_related("actor"), principal)


def list_maintenance_windows(*, principal: Any, current_only: bool = False) -> QuerySet[MaintenanceWindow]:
    queryset = scoped(MaintenanceWindow.objects.select_related("branch", "device"), principal)
    if current_only:
        queryset = queryset.filter(ends_at__gt=timezone.now())
    return queryset


def age_in_years(device: Device, *, today: date | None = None) -> float | None:
    if device.install_date is None:
        return None
    return round(((today or timezone.localdate()) - device.install_date).days / 365.25, 1)


def describe_alarms(alarms: list[Alarm]) -> list[Alarm]:
    """Set ``alarm.description``: the fault code's wording in the active language (catalogue first,
    then the built-in rules, then the stored English title)."""
    from bastion.devices import health
    from bastion.devices.models import FaultCode

    codes = {a.fault_code for a in alarms}
    catalogue = {f.code: f for f in FaultCode.objects.filter(code__in=codes)}
    language = (get_language() or "zh-hans").lower()
    for alarm in alarms:
        fault = catalogue.get(alarm.fault_code)
        builtin = health.BUILTIN_FAULTS.get(alarm.fault_code)
        if fault is not None:
            text = fault.description(language)
        elif builtin is not None:
            text = builtin[1] if language.startswith("zh") else builtin[2]
        else:
            text = alarm.title
        alarm.description = text  # type: ignore[attr-defined]
    return alarms
