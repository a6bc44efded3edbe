"""Choices of the knowledge app, with labels and console colours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleCategory(models.TextChoices):
    TROUBLESHOOTING = "troubleshooting", _("Troubleshooting guide")
    EMERGENCY_MANUAL = "emergency_manual", _("Emergency handling manual")
    PROCEDURE = "procedure", _("Operating procedure")
    FAQ = "faq", _("Frequently asked question")
    POLICY = "policy", _("Policy and regulation")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"emergency_manual": "red", "troubleshooting": "blue", "procedure": "green"}.get(value, "grey")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"draft": "amber", "published": "green"}.get(value, "grey")


class Language(models.TextChoices):
    ZH = "zh", _("Chinese")
    EN = "en", _("English")
