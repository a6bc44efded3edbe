"""Choices of the devices app, with labels and console colours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceClass(models.TextChoices):
    ATM = "atm", _("ATM")
    CASH_RECYCLER = "cash_recycler", _("Cash recycler")
    POS = "pos", _("POS terminal")
    SMART_COUNTER = "smart_counter", _("Smart counter")
    KIOSK = "kiosk", _("Self-service kiosk")
    SERVER = "server", _("Branch server")
    NETWORK = "network", _("Network equipment")

    @classmethod
    def self_service(cls) -> frozenset[str]:
        """Classes customers use unattended, around the clock (their SLA clocks run 24x7)."""
        return frozenset({cls.ATM, cls.CASH_RECYCLER, cls.KIOSK})


class LifecycleState(models.TextChoices):
    """Where a device is in its life (R2.2, seed 003): each step is taken in this order."""

    REQUESTED = "requested", _("Procurement requested")
    APPROVED = "approved", _("Procurement approved")
    ARRIVED = "arrived", _("Arrived")
    COMMISSIONING = "commissioning", _("Installation and commissioning")
    IN_SERVICE = "in_service", _("In service")
    MAINTENANCE = "maintenance", _("Under maintenance")
    RETIREMENT_REQUESTED = "retirement_requested", _("Retirement requested")
    RETIREMENT_APPROVED = "retirement_approved", _("Retirement appraised and approved")
    SCRAPPED = "scrapped", _("Scrapped")

    @classmethod
    def colour(cls, value: str) -> str:
        return {
            "in_service": "green",
            "maintenance": "amber",
            "retirement_requested": "amber",
            "retirement_approved": "grey",
            "scrapped": "grey",
        }.get(value, "blue")


class OperationalStatus(models.TextChoices):
    """Whether customers can use the device right now, independent of its lifecycle step."""

    AVAILABLE = "available", _("Available")
    DEGRADED = "degraded", _("Degraded")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")
    UNKNOWN = "unknown", _("Unknown")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"available": "green", "degraded": "amber", "out_of_service": "red"}.get(value, "grey")


class AlarmSeverity(models.TextChoices):
    """How bad a fault is; servicedesk maps it to a work-order priority."""

    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    WARNING = "warning", _("Warning")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"critical": "red", "major": "red", "minor": "amber", "warning": "amber"}.get(value, "grey")

    @classmethod
    def rank(cls, value: str) -> int:
        """Higher is worse; used to pick a device's worst alarm for the at-a-glance health."""
        return {"critical": 4, "major": 3, "minor": 2, "warning": 1}.get(value, 0)


class AlarmState(models.TextChoices):
    """An alarm is open until the device recovers (or someone clears it); muted ones raise no ticket."""

    OPEN = "open", _("Open alarm")
    MUTED = "muted", _("Muted (maintenance window)")
    SUPPRESSED = "suppressed", _("Suppressed (upstream down)")
    CLEARED = "cleared", _("Cleared")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"open": "red", "muted": "grey", "suppressed": "grey", "cleared": "green"}.get(value, "grey")

    @classmethod
    def active(cls) -> tuple[str, ...]:
        """States in which an alarm still stands for its device and fault code (merge target)."""
        return (cls.OPEN, cls.MUTED, cls.SUPPRESSED)


class MaintenanceKind(models.TextChoices):
    """Kinds of planned work; the values match servicedesk's WorkOrderKind."""

    PREVENTIVE = "preventive_maintenance", _("Preventive maintenance")
    INSPECTION = "inspection", _("Inspection")


class InspectionResult(models.TextChoices):
    OK = "ok", _("OK")
    ATTENTION = "attention", _("Needs attention")
    FAULT = "fault", _("Fault")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"ok": "green", "attention": "amber", "fault": "red"}.get(value, "grey")


class RemoteSessionOutcome(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved remotely")
    ESCALATED = "escalated", _("Escalated to on-site")
    NO_FAULT = "no_fault", _("No fault found")


class InspectionItemResult(models.TextChoices):
    """The result of one checklist item of an inspection."""

    OK = "ok", _("OK")
    PROBLEM = "problem", _("Problem")


class SoftwareUpdateResult(models.TextChoices):
    SUCCESS = "success", _("Succeeded")
    FAILED = "failed", _("Failed")
    ROLLED_BACK = "rolled_back", _("Rolled back")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"success": "green", "failed": "red", "rolled_back": "amber"}.get(value, "grey")


class RemoteChannel(models.TextChoices):
    """How the engineer reached the device in a remote session."""

    REMOTE_DESKTOP = "remote_desktop", _("Remote desktop")
    SSH = "ssh", _("SSH console")
    VENDOR_PORTAL = "vendor_portal", _("Vendor management portal")
    MONITORING = "monitoring", _("Monitoring platform commands")
    PHONE = "phone", _("Phone-guided (branch staff at the device)")


class CompletionSource(models.TextChoices):
    """What closed a maintenance occurrence and moved the plan's next due date."""

    WORK_ORDER = "work_order", _("Work order resolved")
    MANUAL = "manual", _("Completion recorded")
