"""Dispatch (R3.3): engineers' skills, the on-duty roster and the record of each assignment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.servicedesk.choices import AssignmentMode, SupportLevel


class EngineerProfile(models.Model):
    """What an engineer can fix and how much they can carry at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engineer_profile"
    )
    device_classes = models.JSONField(_("device classes"), default=list, blank=True)
    certifications = models.JSONField(_("certifications"), default=list, blank=True)
    regions = models.ManyToManyField(
        "identity.Region",
        blank=True,
        related_name="+",
        verbose_name=_("regions served"),
        help_text=_("Empty: the region of the home branch."),
    )
    max_open_orders = models.PositiveSmallIntegerField(_("maximum open orders"), default=6)
    is_active = models.BooleanField(_("available for dispatch"), default=True)

    branch_scope_path = "user__home_branch"

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("engineer profile")
        verbose_name_plural = _("engineer profiles")

    def __str__(self) -> str:
        return str(self.user)


class RosterShift(models.Model):
    """A period an engineer is on duty; dispatch picks only engineers on duty now."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roster_shifts")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    branch_scope_path = "user__home_branch"

    class Meta:
        ordering = ["starts_at", "user_id"]
        verbose_name = _("roster shift")
        verbose_name_plural = _("roster shifts")
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="roster_shift_window")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="roster_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"


class Assignment(models.Model):
    """Who got an order, by which route and why: the scored candidates are kept as evidence."""

    work_order = models.ForeignKey(
        "servicedesk.WorkOrder", on_delete=models.CASCADE, related_name="assignments"
    )
    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "identity.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    level = models.CharField(_("support level"), max_length=10, choices=SupportLevel.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=AssignmentMode.choices)
    reason = models.TextField(_("reason"))
    candidates = models.JSONField(_("scored candidates"), default=list, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)

    branch_scope_path = "work_order__branch"

    class Meta:
        ordering = ["assigned_at", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.work_order_id} -> {self.engineer_id}"
