"""SLA policies (R3.4) and the record of SLA events that fired."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.devices.choices import DeviceClass
from bastion.servicedesk.choices import Priority, SlaClock, SlaStage


class SlaPolicy(models.Model):
    """Targets for a priority, optionally narrowed to a device class and/or a branch.

    The most specific active policy wins (branch and class > branch > class > general). Without any
    policy the R3.4 defaults apply: first response 30 minutes, resolution 4 hours, warning at 75 %.
    """

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    device_class = models.CharField(
        _("device class"), max_length=20, choices=DeviceClass.choices, blank=True, help_text=_("Empty: any.")
    )
    branch = models.ForeignKey(
        "identity.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("branch"),
        help_text=_("Empty: every branch."),
    )
    response_minutes = models.PositiveIntegerField(
        _("first response (minutes)"), default=30, validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (minutes)"), default=240, validators=[MinValueValidator(1)]
    )
    warn_share = models.DecimalField(
        _("warning at share of target"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(Decimal("0.99"))],
    )
    reminder_minutes = models.PositiveIntegerField(
        _("reminder interval after breach (minutes)"), default=60, validators=[MinValueValidator(5)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["priority", "device_class", "branch_id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "device_class", "branch"],
                condition=models.Q(is_active=True),
                name="sla_policy_one_active_per_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_minutes__gte=models.F("response_minutes")),
                name="sla_policy_resolution_after_response",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaAlert(models.Model):
    """An SLA stage that fired for an order: the unique key makes a late or repeated task harmless."""

    work_order = models.ForeignKey(
        "servicedesk.WorkOrder", on_delete=models.CASCADE, related_name="sla_alerts"
    )
    clock = models.CharField(_("clock"), max_length=10, choices=SlaClock.choices)
    stage = models.CharField(_("stage"), max_length=10, choices=SlaStage.choices)
    sequence = models.PositiveSmallIntegerField(default=0, help_text="Reminder number; 0 otherwise.")
    due_at = models.DateTimeField(_("due"))
    fired_at = models.DateTimeField(_("fired"), default=timezone.now)

    branch_scope_path = "work_order__branch"

    class Meta:
        ordering = ["fired_at", "id"]
        verbose_name = _("SLA alert")
        verbose_name_plural = _("SLA alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "clock", "stage", "sequence"], name="sla_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.clock} {self.stage} {self.sequence}"
