"""Choices of the identity app, with labels and console colours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionKind(models.TextChoices):
    BANK = "bank", _("Bank")
    SECURITIES = "securities", _("Securities firm")
    INSURER = "insurer", _("Insurer")
    PAYMENT = "payment", _("Payment institution")


class SiteKind(models.TextChoices):
    LOBBY = "lobby", _("Banking hall")
    SELF_SERVICE = "self_service", _("Self-service area")
    OFFSITE = "offsite", _("Off-site self-service point")
    SERVER_ROOM = "server_room", _("Server room")
    OFFICE = "office", _("Back office")


class TeamKind(models.TextChoices):
    FRONTLINE_SUPPORT = "frontline_support", _("Front-line support team")
    BACKEND_SUPPORT = "backend_support", _("Back-end technical support centre")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    RISK = "risk", _("Risk management")
    AML = "aml", _("Anti-money laundering")
    COMPLIANCE = "compliance", _("Compliance")
    LOGISTICS = "logistics", _("Logistics")
    EMERGENCY = "emergency", _("Emergency group")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"pending": "amber", "approved": "green", "rejected": "red"}.get(value, "grey")
