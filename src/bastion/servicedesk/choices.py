"""Choices of the service desk, with labels and console colours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkOrderKind(models.TextChoices):
    """R3.1: the five kinds of work order; the planned ones match devices.MaintenanceKind."""

    FAULT = "fault", _("Fault")
    SERVICE_REQUEST = "service_request", _("Service request")
    SUGGESTION = "suggestion", _("Suggestion")
    PREVENTIVE_MAINTENANCE = "preventive_maintenance", _("Preventive maintenance")
    INSPECTION = "inspection", _("Inspection")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"fault": "red", "service_request": "blue", "suggestion": "grey"}.get(value, "amber")


class Channel(models.TextChoices):
    """R3.2: where an order came in."""

    PHONE = "phone", _("Phone")
    WEB = "web", _("Web form")
    API = "api", _("API / mobile app")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    ALARM = "alarm", _("Device alarm")
    MAINTENANCE = "maintenance", _("Maintenance plan")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"alarm": "red", "maintenance": "amber"}.get(value, "blue")


class Priority(models.TextChoices):
    """P1 is the most urgent; P1 and P2 faults need a post-mortem before they close."""

    P1 = "p1", _("P1 critical")
    P2 = "p2", _("P2 high")
    P3 = "p3", _("P3 medium")
    P4 = "p4", _("P4 low")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"p1": "red", "p2": "amber", "p3": "blue"}.get(value, "grey")

    @classmethod
    def high(cls) -> frozenset[str]:
        return frozenset({cls.P1, cls.P2})

    @classmethod
    def from_severity(cls, severity: str) -> str:
        """Map a device alarm severity (devices.choices.AlarmSeverity) to a priority."""
        return {"critical": cls.P1, "major": cls.P2, "minor": cls.P3}.get(severity, cls.P4)


class WorkOrderStatus(models.TextChoices):
    """The standard flow of R3.5; the two waiting states pause the SLA clocks."""

    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Responded")
    ONSITE = "onsite", _("On-site troubleshooting")
    REMOTE = "remote", _("Remote troubleshooting")
    REPAIR = "repair", _("Repair")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting on third party")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def colour(cls, value: str) -> str:
        return {
            "new": "red",
            "acknowledged": "blue",
            "onsite": "blue",
            "remote": "blue",
            "repair": "blue",
            "waiting_third_party": "amber",
            "waiting_customer": "amber",
            "resolved": "green",
        }.get(value, "grey")

    @classmethod
    def paused(cls) -> frozenset[str]:
        return frozenset({cls.WAITING_THIRD_PARTY, cls.WAITING_CUSTOMER})

    @classmethod
    def finished(cls) -> frozenset[str]:
        """No clock runs in these states; the resolution clock stopped when it got there."""
        return frozenset({cls.RESOLVED, cls.CLOSED, cls.CANCELLED})

    @classmethod
    def open_values(cls) -> list[str]:
        return [s for s in cls.values if s not in cls.finished()]

    @classmethod
    def responded(cls) -> frozenset[str]:
        """Reaching any of these is the first response (R3.4: remote contact or arrival on site)."""
        return frozenset({cls.ACKNOWLEDGED, cls.ONSITE, cls.REMOTE, cls.REPAIR, cls.RESOLVED})


# Allowed moves. A waiting state may return to any working state; resolved may be reopened.
_WORKING = ("acknowledged", "onsite", "remote", "repair")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"acknowledged", "onsite", "remote", "cancelled", "waiting_customer"}),
    "acknowledged": frozenset(
        {"onsite", "remote", "repair", "waiting_third_party", "waiting_customer", "resolved"}
    ),
    "onsite": frozenset({"remote", "repair", "waiting_third_party", "waiting_customer", "resolved"}),
    "remote": frozenset({"onsite", "repair", "waiting_third_party", "waiting_customer", "resolved"}),
    "repair": frozenset({"onsite", "remote", "waiting_third_party", "waiting_customer", "resolved"}),
    "waiting_third_party": frozenset({*_WORKING, "waiting_customer", "resolved"}),
    "waiting_customer": frozenset({*_WORKING, "waiting_third_party", "resolved", "new"}),
    "resolved": frozenset({"closed", "repair"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}


class TimelineKind(models.TextChoices):
    """What a timeline entry records."""

    OPENED = "opened", _("Opened")
    NOTE = "note", _("Note")
    STATUS = "status", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    SLA = "sla", _("SLA event")
    DUPLICATE = "duplicate", _("Duplicate linked")
    PRIORITY = "priority", _("Priority change")
    DEVICE = "device", _("Device status")
    ESCALATION = "escalation", _("Escalation")
    FEEDBACK = "feedback", _("Customer feedback")
    POSTMORTEM = "postmortem", _("Post-mortem")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"sla": "red", "escalation": "red", "feedback": "green", "status": "blue"}.get(value, "grey")


class NoteSource(models.TextChoices):
    """Who wrote a note: staff, the customer by e-mail / WeChat, or the system."""

    AGENT = "agent", _("Agent")
    ENGINEER = "engineer", _("Engineer")
    CUSTOMER = "customer", _("Customer")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    SYSTEM = "system", _("System")


class SlaClock(models.TextChoices):
    RESPONSE = "response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class SlaStage(models.TextChoices):
    """Stages of an SLA clock that fire a task; each fires at most once per order and clock."""

    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")
    REMINDER = "reminder", _("Reminder")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"warning": "amber", "breach": "red"}.get(value, "blue")


class SupportLevel(models.TextChoices):
    """R3.3: the front-line team first, then the back-end technical support centre."""

    FRONTLINE = "frontline", _("Front-line support")
    BACKEND = "backend", _("Back-end support centre")


class AssignmentMode(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic dispatch")
    MANUAL = "manual", _("Manual reassignment")
    ESCALATION = "escalation", _("Escalation")


# Certifications the dispatcher knows; a profile may list others, they simply score nothing.
CERTIFICATIONS = ("ITIL", "CCNA", "CCNP", "RHCE", "PMP", "ATM-VENDOR")
