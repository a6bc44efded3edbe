"""Payments as scored, and the decision made for each.

A stored payment is the durable source of the engine's feature state: the state of a partition is
its latest snapshot plus the replay of that partition's payments stored after it, in ``pk`` order
(one writer per partition keeps ``pk`` order equal to scoring order).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.risk.choices import DecisionAction, DecisionSource, RiskLevel


class StoredPayment(models.Model):
    """A payment exactly as the engine accepted it (boundary field names), once per payment id."""

    payment_id = models.CharField(_("payment id"), max_length=128, unique=True)
    account_hash = models.BigIntegerField(
        _("account hash"), help_text=_("CRC-32 of the payer account; partition = hash mod partitions.")
    )
    occurred_at = models.DateTimeField(_("time"))
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3)
    channel = models.CharField(_("channel"), max_length=32)
    business_type = models.CharField(_("business type"), max_length=32)
    payer_account = models.CharField(_("payer account"), max_length=128)
    payer_customer = models.CharField(_("payer customer"), max_length=128)
    payee_account = models.CharField(_("payee account"), max_length=128, blank=True, default="")
    payee_customer = models.CharField(_("payee customer"), max_length=128, blank=True, default="")
    customer_type = models.CharField(_("customer type"), max_length=32)
    counterparty_institution = models.CharField(
        _("counterparty institution"), max_length=128, blank=True, default=""
    )
    cross_border = models.BooleanField(_("cross-border"), default=False)
    device_id = models.CharField(_("device"), max_length=128, blank=True, default="")
    ip = models.CharField(_("IP address"), max_length=45, blank=True, default="")
    city = models.CharField(_("city"), max_length=128, blank=True, default="")
    auth_method = models.CharField(_("authentication method"), max_length=32)
    branch = models.ForeignKey(
        "identity.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
        help_text=_("The branch the payment belongs to; empty for institution-level channels."),
    )
    source = models.CharField(_("source"), max_length=8, choices=DecisionSource.choices)
    submitted_by = models.CharField(_("submitted by"), max_length=150, blank=True)
    digest = models.CharField(
        max_length=64, help_text=_("SHA-256 of the canonical payment, to tell a retry from a reused id.")
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    confirmed_fraud = models.BooleanField(
        _("confirmed fraud"),
        null=True,
        blank=True,
        help_text=_("The payment's known outcome (empty: not known); backtests measure rules against it."),
    )

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        # Indicators and backtests read payments by time window.
        indexes = [models.Index(fields=["occurred_at"], name="risk_payment_time")]

    def __str__(self) -> str:
        return self.payment_id


class Decision(models.Model):
    """The engine's decision on one stored payment, with the rule-set version that made it."""

    payment = models.OneToOneField(
        StoredPayment, on_delete=models.PROTECT, related_name="decision", verbose_name=_("payment")
    )
    score = models.PositiveSmallIntegerField(_("score"))
    level = models.CharField(_("risk level"), max_length=16, choices=RiskLevel.choices)
    action = models.CharField(_("action"), max_length=16, choices=DecisionAction.choices)
    required_auth = models.JSONField(_("required verification"), default=list)
    fired = models.JSONField(
        _("fired rules"),
        default=list,
        help_text=_("Each fired rule: id, points, reason_zh, reason_en and its evidence."),
    )
    model_points = models.PositiveSmallIntegerField(_("model points"), default=0)
    ruleset = models.ForeignKey(
        "risk.RuleSetVersion", on_delete=models.PROTECT, related_name="decisions", verbose_name=_("rule set")
    )
    decided_at = models.DateTimeField(_("decided"), db_index=True)
    latency_us = models.PositiveIntegerField(
        _("latency (µs)"), help_text=_("From the scorer receiving the payment to its decision.")
    )

    branch_scope_path = "payment__branch"

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        indexes = [models.Index(fields=["level", "-decided_at"], name="risk_decision_level")]

    def __str__(self) -> str:
        return f"{self.payment.payment_id}: {self.action}"
