"""Alerts and cases (R5.4): what the AML officers triage, investigate and decide under dual control."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.aml.choices import AlertSource, AlertStatus, CaseDecision, CaseStatus, EvidenceKind


class Alert(models.Model):
    """Something that may be money laundering or fraud, raised once per ``key``.

    An alert is either taken into a case or excluded; an excluded alert keeps its reason, who
    excluded it and when (Order [2016] No. 3, Art. 14: excluded hits are recorded, not deleted).
    """

    key = models.CharField(
        max_length=200,
        unique=True,
        help_text=_("Stable identity of what was detected, so it is raised once."),
    )
    source = models.CharField(_("source"), max_length=12, choices=AlertSource.choices)
    code = models.CharField(_("code"), max_length=60, help_text=_("Typology, rule id or list name."))
    customer_no = models.CharField(_("customer number"), max_length=128, blank=True, db_index=True)
    account = models.CharField(_("account"), max_length=128, blank=True)
    customer = models.ForeignKey(
        "aml.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    branch = models.ForeignKey(
        "identity.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("branch"),
    )  # fmt: skip
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    summary_zh = models.CharField(_("summary (Chinese)"), max_length=500)
    summary_en = models.CharField(_("summary (English)"), max_length=500)
    details = models.JSONField(_("details"), default=dict)
    payment_ids = models.JSONField(_("payment ids"), default=list)
    total = models.DecimalField(_("total (CNY)"), max_digits=20, decimal_places=2, default=0)
    first_at = models.DateTimeField(_("first payment"), null=True, blank=True)
    last_at = models.DateTimeField(_("last payment"), null=True, blank=True)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.NEW
    )
    case = models.ForeignKey(
        "aml.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    excluded_reason = models.TextField(_("reason for exclusion"), blank=True)
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    excluded_at = models.DateTimeField(_("excluded"), null=True, blank=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("AML alert")
        verbose_name_plural = _("AML alerts")
        indexes = [models.Index(fields=["status", "-raised_at"], name="aml_alert_status")]

    def __str__(self) -> str:
        return f"{self.code}: {self.customer_no or self.account}"


class Case(models.Model):
    """An investigation of one subject, ending in a decision (close or report) under dual control."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    customer_no = models.CharField(_("customer number"), max_length=128, blank=True, db_index=True)
    customer = models.ForeignKey(
        "aml.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    branch = models.ForeignKey(
        "identity.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("branch"),
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assignee"),
    )  # fmt: skip
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    due_on = models.DateField(_("investigation due"), db_index=True)
    proposed_decision = models.CharField(
        _("proposed decision"), max_length=8, choices=CaseDecision.choices, blank=True
    )
    proposed_reason = models.TextField(_("reasons proposed"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), null=True, blank=True)
    decision = models.CharField(_("case decision"), max_length=8, choices=CaseDecision.choices, blank=True)
    decision_reason = models.TextField(_("reasons"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["due_on", "number"]
        verbose_name = _("AML case")
        verbose_name_plural = _("AML cases")

    def __str__(self) -> str:
        return self.number


class CaseNote(models.Model):
    """An investigator's note on a case; notes are never edited, only added."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    branch_scope_path = "case__branch"

    class Meta:
        ordering = ["case", "created_at", "pk"]
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")

    def __str__(self) -> str:
        return f"{self.case.number} note {self.pk}"


class CaseEvidence(models.Model):
    """A payment, account, customer or document attached to a case as evidence."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    payment = models.ForeignKey(
        "risk.StoredPayment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    branch_scope_path = "case__branch"

    class Meta:
        ordering = ["case", "added_at", "pk"]
        verbose_name = _("case evidence")
        verbose_name_plural = _("case evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "payment"],
                condition=models.Q(payment__isnull=False),
                name="aml_evidence_payment_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case.number}: {self.kind} {self.reference}"
