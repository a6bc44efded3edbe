"""Telemetry samples, alarms and planned maintenance windows (R2.5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bastion.devices.choices import AlarmSeverity, AlarmState


class TelemetrySample(models.Model):
    """A stored reading of a device's health, kept for charts and history.

    The evaluator sees every message; it stores at most one sample per device per minute (the
    charts and history need no more, and the table stays small at thousands of messages a second).
    """

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="samples")
    received_at = models.DateTimeField(_("received"), db_index=True)
    cash_level = models.PositiveSmallIntegerField(_("cash level (%)"), null=True, blank=True)
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    card_reader_ok = models.BooleanField(_("card reader OK"), null=True)
    printer_ok = models.BooleanField(_("printer OK"), null=True)
    network_ok = models.BooleanField(_("network OK"), null=True)
    error_codes = models.JSONField(_("error codes"), default=list, blank=True)

    branch_scope_path = "device__branch"

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("telemetry sample")
        verbose_name_plural = _("telemetry samples")
        indexes = [models.Index(fields=["device", "-received_at"], name="sample_device_time")]

    def __str__(self) -> str:
        return f"{self.device_id}@{self.received_at:%Y-%m-%d %H:%M}"


class Alarm(models.Model):
    """One standing problem of one device: repeats of the same fault code merge into it.

    ``state`` is open (a work order is wanted), muted (raised inside a planned maintenance window),
    suppressed (its upstream link or switch is down: the parent alarm speaks for it) or cleared.
    At most one non-cleared alarm exists per device and fault code (a partial unique constraint).
    """

    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="alarms")
    fault_code = models.CharField(_("fault code"), max_length=40)
    severity = models.CharField(_("severity"), max_length=10, choices=AlarmSeverity.choices)
    state = models.CharField(_("state"), max_length=12, choices=AlarmState.choices, default=AlarmState.OPEN)
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    raised_at = models.DateTimeField(_("raised"))
    last_seen_at = models.DateTimeField(_("last seen"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clear_reason = models.CharField(_("clear reason"), max_length=200, blank=True)
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    # Re-raised soon after clearing: the same alarm reopens (no new ticket); many reopenings mark it
    # flapping, and a flapping alarm clears only after the device has been well for a hold period.
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    flapping = models.BooleanField(_("flapping"), default=False)
    recovering_since = models.DateTimeField(_("recovering since"), null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent alarm"),
    )
    # Hand-over to the service desk (bastion.devices.handover); a plain id, no FK across apps.
    work_order_id = models.BigIntegerField(_("work order"), null=True, blank=True)
    handover_pending = models.BooleanField(_("hand-over pending"), default=False, db_index=True)
    handover_attempts = models.PositiveSmallIntegerField(_("hand-over attempts"), default=0)

    branch_scope_path = "device__branch"

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "fault_code"],
                condition=~models.Q(state="cleared"),
                name="alarm_one_standing_per_device_code",
            )
        ]
        indexes = [models.Index(fields=["state", "-raised_at"], name="alarm_state_raised")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.fault_code} ({self.device_id})"

    @property
    def is_active(self) -> bool:
        return self.state != AlarmState.CLEARED

    @property
    def severity_colour(self) -> str:
        return AlarmSeverity.colour(self.severity)

    @property
    def state_colour(self) -> str:
        return AlarmState.colour(self.state)


class MaintenanceWindow(models.Model):
    """Planned work on one device or a whole branch: alarms raised inside it are muted."""

    branch = models.ForeignKey("identity.Branch", on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(
        "devices.Device",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="maintenance_windows",
        help_text=_("Empty: every device of the branch."),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="window_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"
