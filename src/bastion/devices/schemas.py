"""Request and response shapes of the devices API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

DeviceClassValue = Literal["atm", "cash_recycler", "pos", "smart_counter", "kiosk", "server", "network"]
StatusValue = Literal["available", "degraded", "out_of_service", "unknown"]
LifecycleValue = Literal[
    "requested",
    "approved",
    "arrived",
    "commissioning",
    "in_service",
    "maintenance",
    "retirement_requested",
    "retirement_approved",
    "scrapped",
]
SeverityValue = Literal["critical", "major", "minor", "warning"]
AlarmStateValue = Literal["open", "muted", "suppressed", "cleared"]


class BranchRef(Schema):
    id: int
    code: str
    name: str


class HealthOut(Schema):
    open_alarms: int = Field(description="Open alarms (muted and suppressed ones excluded).")
    worst_severity: SeverityValue | None
    standing_alarms: int = Field(description="Open, muted and suppressed alarms.")


class DeviceOut(Schema):
    id: int
    asset_tag: str
    name: str
    device_class: DeviceClassValue
    vendor: str
    model: str
    serial_number: str
    branch: BranchRef
    location: str
    install_date: date | None
    warranty_until: date | None
    end_of_support: date | None
    software_version: str
    lifecycle_state: LifecycleValue
    operational_status: StatusValue
    upstream_id: int | None
    last_seen_at: datetime | None
    is_self_service: bool
    health: HealthOut


class DevicePage(Schema):
    items: list[DeviceOut]
    page: int
    page_size: int
    total: int


class DeviceFilterIn(Schema):
    q: str | None = Field(
        None, max_length=100, description="Part of asset tag, name, serial, model or location."
    )
    branch_id: int | None = None
    device_class: DeviceClassValue | None = None
    lifecycle_state: LifecycleValue | None = None
    operational_status: StatusValue | None = None
    vendor: str | None = Field(None, max_length=80)
    in_alarm: bool | None = Field(
        None, description="Only devices with (true) or without (false) open alarms."
    )


class DeviceCreateIn(Schema):
    branch_id: int
    asset_tag: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    device_class: DeviceClassValue
    vendor: str = Field(min_length=1, max_length=80)
    model: str = Field(min_length=1, max_length=80)
    serial_number: str = Field(min_length=1, max_length=80)
    location: str = Field("", max_length=200)
    install_date: date | None = None
    warranty_until: date | None = None
    end_of_support: date | None = None
    software_version: str = Field("", max_length=60)
    upstream_id: int | None = None


class DeviceUpdateIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    location: str | None = Field(None, max_length=200)
    install_date: date | None = None
    warranty_until: date | None = None
    end_of_support: date | None = None
    software_version: str | None = Field(None, max_length=60)
    upstream_id: int | None = None


class StatusIn(Schema):
    status: StatusValue
    reason: str = Field(min_length=1, max_length=500)


class TelemetryIn(Schema):
    messages: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=1000,
        description="Telemetry messages, each with device_id (see docs/operations/telemetry.md).",
    )


class TelemetryError(Schema):
    index: int
    reason: str
    field: str
    message: str


class TelemetryOut(Schema):
    accepted: int
    rejected: dict[str, int]
    errors: list[TelemetryError]
    raised: list[int]
    cleared: list[int]
    merged: int


class DeviceRef(Schema):
    id: int
    asset_tag: str
    name: str
    branch_id: int


class AlarmOut(Schema):
    id: int
    device: DeviceRef
    fault_code: str
    severity: SeverityValue
    state: AlarmStateValue
    title: str
    detail: str
    raised_at: datetime
    last_seen_at: datetime
    cleared_at: datetime | None
    clear_reason: str
    occurrences: int
    reopen_count: int
    flapping: bool
    parent_id: int | None
    work_order_id: int | None
    handover_pending: bool


class AlarmPage(Schema):
    items: list[AlarmOut]
    page: int
    page_size: int
    total: int


class AlarmFilterIn(Schema):
    state: AlarmStateValue | None = None
    severity: SeverityValue | None = None
    fault_code: str | None = Field(None, max_length=40)
    branch_id: int | None = None
    device_id: int | None = None
    active: bool | None = Field(None, description="Only standing (open, muted, suppressed) alarms.")


class ClearIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


class WindowIn(Schema):
    branch_id: int
    device_id: int | None = None
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(min_length=1, max_length=200)


class WindowOut(Schema):
    id: int
    branch_id: int
    device_id: int | None
    starts_at: datetime
    ends_at: datetime
    reason: str


class LifecycleStepIn(Schema):
    to_state: LifecycleValue
    note: str = Field("", max_length=1000)
    test_record: str = Field("", max_length=4000, description="Required when commissioning ends.")


class LifecycleEventOut(Schema):
    id: int
    from_state: str
    to_state: LifecycleValue
    actor: str | None
    occurred_at: datetime
    note: str
    test_record: str
    approval_id: int | None


class ProcurementIn(DeviceCreateIn):
    reason: str = Field(min_length=1, max_length=1000)


class RequestedOut(Schema):
    device_id: int
    approval_id: int
    lifecycle_state: LifecycleValue


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=1000)
