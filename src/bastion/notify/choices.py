"""Choices of the notify app, with labels and console colours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app inbox")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")
    WEBHOOK = "webhook", _("Webhook")


DEFAULT_CHANNELS = (Channel.IN_APP, Channel.EMAIL)


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"pending": "amber", "sent": "green", "failed": "red"}.get(value, "grey")


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Failed, will retry")
    FAILED = "failed", _("Failed for good")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"sent": "green", "retry": "amber", "failed": "red"}.get(value, "grey")
