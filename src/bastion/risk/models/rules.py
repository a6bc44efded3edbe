"""Rule-set versions under dual control, and the backtests run on them (R4.3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.risk.choices import BacktestStatus, RuleSetStatus


class RuleSetVersion(models.Model):
    """One version of the rule set (TOML text, the engine's rule-set format).

    Life: draft (editable) > submitted > approved by a second person > active > retired; a rejected
    submission returns to draft with the checker's note. Only a draft's text changes; exactly one
    version is active at a time; every decision records the version that made it. The maker is
    everyone who created, last edited or submitted the draft: none of them may approve it.
    """

    number = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    text = models.TextField(_("rule text"), help_text=_("The rule set in the engine's TOML format."))
    status = models.CharField(
        _("status"), max_length=16, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    based_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("based on"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("last edited"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last edited by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    review_note = models.CharField(
        _("checker's note"),
        max_length=1000,
        blank=True,
        db_default="",  # rows written by raw SQL (older tools, tests) need no value
        help_text=_("Why the checker approved or sent the version back."),
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activated by"),
    )
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("rule-set version")
        verbose_name_plural = _("rule-set versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="risk_one_active_ruleset"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.number} {self.name}"

    def makers(self) -> set[int]:
        """Ids of the people who wrote or submitted this version (none of them may approve it)."""
        return {pk for pk in (self.created_by_id, self.updated_by_id, self.submitted_by_id) if pk}


class RuleSetBacktest(models.Model):
    """One replay of stored payments through a version with the engine's batch path.

    The result (JSON) holds alerts by level per day, each rule's hits, the overlap with the version
    that was active when the backtest ran, and precision/recall where outcomes are known.
    """

    version = models.ForeignKey(
        RuleSetVersion, on_delete=models.CASCADE, related_name="backtests", verbose_name=_("rule set")
    )
    compared_with = models.ForeignKey(
        RuleSetVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compared with"),
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), help_text=_("Inclusive, in the bank's time zone."))
    status = models.CharField(
        _("status"), max_length=16, choices=BacktestStatus.choices, default=BacktestStatus.QUEUED
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    payments = models.PositiveIntegerField(_("payments"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("backtest")
        verbose_name_plural = _("backtests")

    def __str__(self) -> str:
        return f"backtest {self.pk} of v{self.version.number}"
