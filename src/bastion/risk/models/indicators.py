"""Monitoring indicators (002 5.1-5.3): computed values, thresholds on them, and the warnings raised.

Values are derived data: :func:`bastion.risk.actions.indicators.do_compute_indicators` recomputes a
day from the stored payments and upserts its rows, so they can always be rebuilt. Thresholds are
configuration changed by people (audited); a warning is raised once per threshold, period and scope.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bastion.risk.choices import (
    Comparison,
    Granularity,
    Indicator,
    IndicatorScope,
    ThresholdScope,
    WarningSeverity,
)


class IndicatorValue(models.Model):
    """One indicator's value for one period (a day or an hour) and one scope (channel, branch, institution).

    ``scope_key`` is the channel code, the branch id, or empty for the institution; ``branch`` is set
    only for branch rows, so channel and institution rows are visible to institution-wide staff only.
    A row exists only where the scope had payments in the period (absent means no payments).
    """

    granularity = models.CharField(_("granularity"), max_length=8, choices=Granularity.choices)
    period_start = models.DateTimeField(_("period"))
    scope = models.CharField(_("scope"), max_length=16, choices=IndicatorScope.choices)
    scope_key = models.CharField(_("scope key"), max_length=32, blank=True)
    channel = models.CharField(_("channel"), max_length=32, blank=True)
    branch = models.ForeignKey(
        "identity.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    indicator = models.CharField(_("indicator"), max_length=32, choices=Indicator.choices)
    value = models.DecimalField(_("value"), max_digits=28, decimal_places=6)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-period_start", "indicator", "scope", "scope_key"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(
                fields=["granularity", "period_start", "scope", "scope_key", "indicator"],
                name="risk_indicator_value_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["indicator", "granularity", "scope", "scope_key", "period_start"],
                name="risk_indicator_series",
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.scope}:{self.scope_key} {self.period_start:%Y-%m-%d %H:%M}"


class IndicatorThreshold(models.Model):
    """A limit on an indicator: a value crossing it raises a warning to the responsible person.

    The scope filter narrows the watched values: every scope, the institution, channels (one or
    all) or branches (one or all). ``<=`` thresholds are checked on finished periods only, since a
    running day or hour is still low.
    """

    name = models.CharField(_("name"), max_length=100)
    indicator = models.CharField(_("indicator"), max_length=32, choices=Indicator.choices)
    granularity = models.CharField(
        _("granularity"), max_length=8, choices=Granularity.choices, default=Granularity.DAY
    )
    scope = models.CharField(_("scope"), max_length=16, choices=ThresholdScope.choices, default="any")
    channel = models.CharField(_("channel"), max_length=32, blank=True, help_text=_("Empty: every channel."))
    branch = models.ForeignKey(
        "identity.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
        help_text=_("Empty: every branch."),
    )
    comparison = models.CharField(_("comparison"), max_length=4, choices=Comparison.choices)
    value = models.DecimalField(_("threshold"), max_digits=28, decimal_places=6)
    severity = models.CharField(_("severity"), max_length=16, choices=WarningSeverity.choices)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    active = models.BooleanField(pgettext_lazy("threshold", "active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("last edited"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last edited by"),
    )

    class Meta:
        ordering = ["indicator", "name", "pk"]
        verbose_name = _("indicator threshold")
        verbose_name_plural = _("indicator thresholds")

    def __str__(self) -> str:
        return self.name

    def crossed_by(self, value: Decimal) -> bool:
        if self.comparison == Comparison.GTE:
            return value >= self.value
        return value <= self.value


class IndicatorWarning(models.Model):
    """A threshold crossed by one indicator value: raised once per (threshold, period, scope).

    The value, limit and severity are copied from the moment it was raised, so a later edit of the
    threshold or a recompute does not rewrite what the responsible person was told.
    """

    threshold = models.ForeignKey(
        IndicatorThreshold, on_delete=models.PROTECT, related_name="warnings", verbose_name=_("threshold")
    )
    granularity = models.CharField(_("granularity"), max_length=8, choices=Granularity.choices)
    period_start = models.DateTimeField(_("period"))
    scope = models.CharField(_("scope"), max_length=16, choices=IndicatorScope.choices)
    scope_key = models.CharField(_("scope key"), max_length=32, blank=True)
    channel = models.CharField(_("channel"), max_length=32, blank=True)
    branch = models.ForeignKey(
        "identity.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    indicator = models.CharField(_("indicator"), max_length=32, choices=Indicator.choices)
    value = models.DecimalField(_("value"), max_digits=28, decimal_places=6)
    comparison = models.CharField(_("comparison"), max_length=4, choices=Comparison.choices)
    limit = models.DecimalField(_("threshold"), max_digits=28, decimal_places=6)
    severity = models.CharField(_("severity"), max_length=16, choices=WarningSeverity.choices)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    note = models.CharField(_("note"), max_length=1000, blank=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("indicator warning")
        verbose_name_plural = _("indicator warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["threshold", "granularity", "period_start", "scope", "scope_key"],
                name="risk_indicator_warning_once",
            )
        ]
        indexes = [models.Index(fields=["acknowledged_at", "-raised_at"], name="risk_indicator_open")]

    def __str__(self) -> str:
        return f"{self.threshold.name} {self.period_start:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
