"""Progress of the AML sweeps that turn stored payments and decisions into alerts."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SweepCursor(models.Model):
    """How far one sweep has read (the last primary key it handled), so each row is looked at once.

    The cursor moves in the same transaction as the alerts the sweep raised: a sweep that dies
    mid-way raises nothing twice and skips nothing (alert keys are unique as well).
    """

    name = models.CharField(max_length=60, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "sweep cursor"

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"


class TypologySettings(models.Model):
    """One version of the typology parameters an AML officer tuned; the newest is in force.

    ``params`` holds only what differs from the documented defaults, per typology (e.g.
    ``{"structuring": {"band": "0.05", "window": "5d"}, "enabled": [...]}``); versions are kept so
    every alert can be traced to the parameters that raised it.
    """

    version = models.PositiveIntegerField(unique=True)
    params = models.JSONField(default=dict)
    note = models.CharField(max_length=1000, blank=True)
    changed_by = models.ForeignKey(
        "identity.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        verbose_name = "typology settings"

    def __str__(self) -> str:
        return f"typology settings v{self.version}"
