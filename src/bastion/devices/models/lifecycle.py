"""Lifecycle history (R2.2), maintenance plans, inspections, software updates and remote sessions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bastion.devices.choices import (
    CompletionSource,
    InspectionResult,
    LifecycleState,
    MaintenanceKind,
    RemoteChannel,
    RemoteSessionOutcome,
    SoftwareUpdateResult,
)


class LifecycleEvent(models.Model):
    """One step of a device's life: who took it, when, and the approval or test record behind it."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="lifecycle_events")
    from_state = models.CharField(_("from"), max_length=24, choices=LifecycleState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=24, choices=LifecycleState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    occurred_at = models.DateTimeField(_("when"))
    note = models.TextField(_("note"), blank=True)
    # Commissioning keeps its acceptance-test record; approved steps name their approval request.
    test_record = models.TextField(_("test record"), blank=True)
    approval_id = models.BigIntegerField(_("approval request"), null=True, blank=True)

    branch_scope_path = "device__branch"

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = _("lifecycle event")
        verbose_name_plural = _("lifecycle events")

    def __str__(self) -> str:
        return f"{self.device_id}: {self.from_state}->{self.to_state}"


class MaintenancePlan(models.Model):
    """A recurring preventive maintenance or inspection of a device, due every ``cycle_days``.

    The next due date counts from the last completion, not from the last due date, so a late visit
    does not bunch the following ones together.

    A plan names either one device, or a device class at a branch. A class plan is a template: each
    device of that class at the branch gets its own device plan (``parent``), which carries its own
    due date and work order, because devices are serviced on different days.
    """

    device = models.ForeignKey(
        "devices.Device", on_delete=models.CASCADE, related_name="maintenance_plans", null=True, blank=True
    )
    branch = models.ForeignKey("identity.Branch", on_delete=models.PROTECT, related_name="+", null=True)
    device_class = models.CharField(_("device class"), max_length=24, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="device_plans"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=MaintenanceKind.choices)
    title = models.CharField(_("title"), max_length=200)
    cycle_days = models.PositiveSmallIntegerField(_("cycle (days)"))
    last_completed_at = models.DateTimeField(_("last completed"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next due"), db_index=True)
    open_work_order_id = models.BigIntegerField(_("open work order"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["next_due_at", "pk"]
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")

    def __str__(self) -> str:
        return self.title


class MaintenanceOccurrence(models.Model):
    """One due occurrence of a device plan: the work order opened for it and its completion.

    Unique per plan and due date, so a scheduler run twice cannot open a second work order.
    """

    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="occurrences")
    due_at = models.DateTimeField(_("due"))
    opened_at = models.DateTimeField(_("opened"))
    work_order_id = models.BigIntegerField(_("work order"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("completed by"), max_length=12, choices=CompletionSource.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    branch_scope_path = "plan__branch"

    class Meta:
        ordering = ["-due_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "due_at"], name="devices_occurrence_once")]
        verbose_name = _("maintenance occurrence")
        verbose_name_plural = _("maintenance occurrences")

    def __str__(self) -> str:
        return f"{self.plan_id} @ {self.due_at:%Y-%m-%d}"


class InspectionRecord(models.Model):
    """A daily inspection (巡检) of a device against its class's checklist."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="inspections")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    inspected_at = models.DateTimeField(_("inspected"))
    # {item code: {"result": InspectionResult, "note": str}} for every item of the class checklist.
    results = models.JSONField(_("results"))
    overall = models.CharField(_("overall"), max_length=10, choices=InspectionResult.choices)
    note = models.TextField(_("note"), blank=True)
    # The fault work order opened for the problems found, when the inspector asked for one.
    work_order_id = models.BigIntegerField(_("work order"), null=True, blank=True)

    branch_scope_path = "device__branch"

    class Meta:
        ordering = ["-inspected_at"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.device_id} {self.inspected_at:%Y-%m-%d}"


class InspectionAttachment(models.Model):
    """A photo or document taken during an inspection (validated by platform.uploads)."""

    inspection = models.ForeignKey(InspectionRecord, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="devices/inspections/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))

    branch_scope_path = "inspection__device__branch"

    class Meta:
        verbose_name = _("inspection attachment")
        verbose_name_plural = _("inspection attachments")

    def __str__(self) -> str:
        return self.original_name


class SoftwareUpdate(models.Model):
    """A software or firmware version change applied to a device."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="software_updates")
    from_version = models.CharField(_("from version"), max_length=60, blank=True)
    to_version = models.CharField(_("to version"), max_length=60)
    applied_at = models.DateTimeField(_("applied"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    result = models.CharField(
        _("result"), max_length=12, choices=SoftwareUpdateResult.choices, default=SoftwareUpdateResult.SUCCESS
    )

    branch_scope_path = "device__branch"

    class Meta:
        ordering = ["-applied_at", "-pk"]
        verbose_name = _("software update")
        verbose_name_plural = _("software updates")

    def __str__(self) -> str:
        return f"{self.device_id} {self.from_version}->{self.to_version}"


class RemoteSession(models.Model):
    """A remote diagnosis session on a device (R2.6), with the actions taken in it."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="remote_sessions")
    alarm = models.ForeignKey(
        "devices.Alarm", on_delete=models.SET_NULL, null=True, blank=True, related_name="remote_sessions"
    )
    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(
        _("channel"), max_length=16, choices=RemoteChannel.choices, default=RemoteChannel.REMOTE_DESKTOP
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=12,
        choices=RemoteSessionOutcome.choices,
        default=RemoteSessionOutcome.IN_PROGRESS,
    )
    summary = models.TextField(_("summary"), blank=True)

    branch_scope_path = "device__branch"

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("remote session")
        verbose_name_plural = _("remote sessions")

    def __str__(self) -> str:
        return f"{self.device_id} {self.started_at:%Y-%m-%d %H:%M}"


class RemoteAction(models.Model):
    """One thing done in a remote session (restart a module, pull logs, reset the card reader...)."""

    session = models.ForeignKey(RemoteSession, on_delete=models.CASCADE, related_name="actions")
    taken_at = models.DateTimeField(_("taken"))
    action = models.CharField(_("action"), max_length=200)
    result = models.CharField(_("result"), max_length=200, blank=True)

    branch_scope_path = "session__device__branch"

    class Meta:
        ordering = ["taken_at", "pk"]
        verbose_name = _("remote action")
        verbose_name_plural = _("remote actions")

    def __str__(self) -> str:
        return self.action
