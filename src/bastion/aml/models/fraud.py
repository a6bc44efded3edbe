"""Versions of the learned fraud model (R5.5): trained on the engine's features, evaluated on a
held-out period, approved by a second person and deployed through the engine's model interface.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.aml.choices import ModelStatus


class FraudModelVersion(models.Model):
    """One trained gradient-boosted model, its training data window, evaluation and life cycle."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ModelStatus.choices, default=ModelStatus.TRAINED
    )
    algorithm = models.CharField(_("algorithm"), max_length=40, default="lightgbm")
    params = models.JSONField(_("parameters"), default=dict)
    feature_names = models.JSONField(_("features"), default=list)
    ruleset_number = models.PositiveIntegerField(
        _("rule-set version of the features"),
        help_text=_("Features are those this rule-set version computes."),
    )
    train_start = models.DateField(_("training from"))
    train_end = models.DateField(_("training to"))
    test_start = models.DateField(_("held out from"))
    test_end = models.DateField(_("held out to"))
    train_rows = models.PositiveIntegerField(_("training rows"), default=0)
    test_rows = models.PositiveIntegerField(_("held-out rows"), default=0)
    metrics = models.JSONField(
        _("evaluation"), default=dict, help_text=_("precision, recall, pr_auc and more.")
    )
    max_points = models.PositiveSmallIntegerField(_("maximum points"), default=40)
    seed = models.IntegerField(_("random seed"), default=0)
    model_text = models.TextField(_("model"), help_text=_("The serialised booster."))
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trained_at = models.DateTimeField(_("trained"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    activated_at = models.DateTimeField(_("deployed"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("fraud model version")
        verbose_name_plural = _("fraud model versions")

    def __str__(self) -> str:
        return f"model v{self.number}"
