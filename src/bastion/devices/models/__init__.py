"""Devices models, split by aggregate: registry, alarms and telemetry, lifecycle and upkeep."""

from bastion.devices.models.alarms import Alarm, MaintenanceWindow, TelemetrySample
from bastion.devices.models.lifecycle import (
    InspectionAttachment,
    InspectionRecord,
    LifecycleEvent,
    MaintenanceOccurrence,
    MaintenancePlan,
    RemoteAction,
    RemoteSession,
    SoftwareUpdate,
)
from bastion.devices.models.registry import Device, FaultCode

__all__ = [
    "Alarm",
    "Device",
    "FaultCode",
    "InspectionAttachment",
    "InspectionRecord",
    "LifecycleEvent",
    "MaintenanceOccurrence",
    "MaintenancePlan",
    "MaintenanceWindow",
    "RemoteAction",
    "RemoteSession",
    "SoftwareUpdate",
    "TelemetrySample",
]
