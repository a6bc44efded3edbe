"""Snapshots of the engine's feature state, one partition at a time."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeatureSnapshot(models.Model):
    """The feature state of one partition after every stored payment up to ``last_payment_pk``.

    Valid only for the same rule-set version and partition count; a scorer restores the newest
    valid one and replays the partition's payments stored after it.
    """

    partition = models.PositiveIntegerField(_("partition"))
    partitions = models.PositiveIntegerField(_("partition count"))
    ruleset = models.ForeignKey(
        "risk.RuleSetVersion", on_delete=models.CASCADE, related_name="+", verbose_name=_("rule set")
    )
    last_payment_pk = models.BigIntegerField(_("last payment"))
    payments = models.BigIntegerField(_("payments since start"), default=0)
    blob = models.BinaryField(_("state"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-last_payment_pk"]
        verbose_name = _("feature snapshot")
        verbose_name_plural = _("feature snapshots")
        indexes = [
            models.Index(
                fields=["partitions", "partition", "ruleset", "-last_payment_pk"], name="risk_snap_find"
            )
        ]

    def __str__(self) -> str:
        return f"partition {self.partition}/{self.partitions} @ {self.last_payment_pk}"
