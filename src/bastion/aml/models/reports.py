"""Regulatory reports (R5.2): large-value and suspicious transaction reports, and the rates behind them.

A large-value report is one customer's reportable activity on one trade day under one standard, one
direction (inflow and outflow apart) and one currency class (RMB, or foreign currency measured in
USD). The payments that make it up are its items. Reports are due within 5 working days on the
institution's calendar (docs/decisions/0600-aml-large-value-reports.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.aml.choices import FundsDirection, LargeValueStandard, ReportStatus


class ExchangeRate(models.Model):
    """A published reference rate: how many CNY one unit of ``currency`` was worth on ``day``."""

    currency = models.CharField(_("currency"), max_length=3)
    day = models.DateField(_("day"))
    cny_per_unit = models.DecimalField(_("CNY per unit"), max_digits=18, decimal_places=8)
    source = models.CharField(_("source"), max_length=100, default="PBOC central parity")

    class Meta:
        ordering = ["currency", "-day"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [models.UniqueConstraint(fields=["currency", "day"], name="aml_rate_unique")]

    def __str__(self) -> str:
        return f"{self.currency} {self.day}: {self.cny_per_unit}"


class LargeValueReport(models.Model):
    """One customer's reportable large-value activity on one day under one standard and direction."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    customer_no = models.CharField(_("customer number"), max_length=128, db_index=True)
    customer = models.ForeignKey(
        "aml.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="large_value_reports"
    )
    customer_kind = models.CharField(_("customer type"), max_length=20)
    branch = models.ForeignKey(
        "identity.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("branch"),
    )  # fmt: skip
    trade_day = models.DateField(_("trade day"))
    standard = models.CharField(_("standard"), max_length=24, choices=LargeValueStandard.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=FundsDirection.choices)
    measure_currency = models.CharField(
        _("measured in"),
        max_length=3,
        help_text=_("CNY for RMB payments; USD for foreign-currency payments."),
    )
    total = models.DecimalField(_("total"), max_digits=20, decimal_places=2)
    threshold = models.DecimalField(_("threshold"), max_digits=20, decimal_places=2)
    payment_count = models.PositiveIntegerField(_("number of payments"))
    single = models.BooleanField(_("a single payment meets the standard"), default=False)
    due_on = models.DateField(_("due"), db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    drafted_at = models.DateTimeField(_("drafted"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["due_on", "number"]
        verbose_name = _("large-value transaction report")
        verbose_name_plural = _("large-value transaction reports")
        constraints = [
            models.UniqueConstraint(
                fields=["customer_no", "trade_day", "standard", "direction", "measure_currency"],
                name="aml_large_value_unique",
            )
        ]

    def __str__(self) -> str:
        return self.number


class LargeValueItem(models.Model):
    """One payment in a large-value report, with its amount in the report's measuring currency."""

    report = models.ForeignKey(LargeValueReport, on_delete=models.CASCADE, related_name="items")
    payment = models.ForeignKey("risk.StoredPayment", on_delete=models.PROTECT, related_name="+")
    measured_amount = models.DecimalField(_("amount measured"), max_digits=20, decimal_places=2)

    branch_scope_path = "report__branch"

    class Meta:
        ordering = ["report", "payment__occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["report", "payment"], name="aml_large_value_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report.number}: {self.payment_id}"


class SuspiciousReport(models.Model):
    """A suspicious transaction report (STR) filed from a case once suspicion is confirmed.

    Due within 5 working days of confirmation regardless of amount; while the suspicion persists,
    follow-up reports (``follow_up_of``) are filed on ``next_follow_up_on``.
    """

    number = models.CharField(_("number"), max_length=40, unique=True)
    case = models.ForeignKey("aml.Case", on_delete=models.PROTECT, related_name="reports")
    follow_up_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups",
        verbose_name=_("follows up"),
    )  # fmt: skip
    confirmed_on = models.DateField(_("suspicion confirmed"))
    due_on = models.DateField(_("due"), db_index=True)
    summary = models.TextField(_("description of the suspicion"))
    measures = models.TextField(_("measures taken"), blank=True)
    typologies = models.JSONField(_("typologies"), default=list)
    payment_ids = models.JSONField(_("payment ids"), default=list)
    total = models.DecimalField(_("total (CNY)"), max_digits=20, decimal_places=2, default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    drafted_at = models.DateTimeField(_("drafted"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)

    branch_scope_path = "case__branch"

    class Meta:
        ordering = ["due_on", "number"]
        verbose_name = _("suspicious transaction report")
        verbose_name_plural = _("suspicious transaction reports")

    def __str__(self) -> str:
        return self.number
