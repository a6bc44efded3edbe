"""Choices of the intake channels, with labels and console colours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IntakeChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class Outcome(models.TextChoices):
    """What intake did with one message."""

    OPENED = "opened", _("Opened a work order")
    THREADED = "threaded", _("Added to a work order")
    UNROUTED = "unrouted", _("No branch found; waiting for triage")
    IGNORED = "ignored", _("Ignored")
    FAILED = "failed", _("Failed")
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")

    @classmethod
    def colour(cls, value: str) -> str:
        return {
            "opened": "green",
            "threaded": "blue",
            "sent": "green",
            "unrouted": "amber",
            "pending": "amber",
            "failed": "red",
        }.get(value, "grey")
