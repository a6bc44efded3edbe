"""Work orders (R3.1, R3.5) and their timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.platform.crypto import EncryptedTextField
from bastion.servicedesk.choices import (
    Channel,
    NoteSource,
    Priority,
    SupportLevel,
    TimelineKind,
    WorkOrderKind,
    WorkOrderStatus,
)

# The deadline an open order runs against now: an unanswered order is late on its first response long
# before its resolution is, so the open queues sort by this, not by resolution alone. A paused order has
# neither due time (it sorts last). The queue indexes below are built on this very expression.
NEXT_DUE = models.Case(
    models.When(
        first_response_at__isnull=True, response_due_at__isnull=False, then=models.F("response_due_at")
    ),
    default=models.F("resolution_due_at"),
    output_field=models.DateTimeField(),
)
OPEN_ORDER = models.Q(status__in=WorkOrderStatus.open_values())


class WorkOrder(models.Model):
    """A fault, service request, suggestion or planned job for a branch (and usually a device).

    The SLA targets in force are copied onto the order when it opens (and when its policy or priority
    changes), so a report can always say which promise an order was measured against. The due times
    are derived from the status history (pauses) and the branch calendar; they are stored so queues
    can sort by time left without recomputing.
    """

    branch = models.ForeignKey(
        "identity.Branch", on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("branch")
    )
    device = models.ForeignKey(
        "devices.Device",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("device"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=WorkOrderKind.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, default=Priority.P3)
    status = models.CharField(
        _("status"), max_length=20, choices=WorkOrderStatus.choices, default=WorkOrderStatus.NEW
    )
    title = models.CharField(_("title"), max_length=200)
    symptoms = models.TextField(_("symptoms"), blank=True)
    fault_code = models.CharField(_("fault code"), max_length=40, blank=True)
    reporter_name = models.CharField(_("reporter"), max_length=100, blank=True)
    reporter_contact = EncryptedTextField(_("reporter contact"), blank=True, default="")
    # Keyed hash of the normalised contact (or name): duplicate detection without decrypting rows.
    reporter_key = models.CharField(max_length=64, blank=True, default="")
    external_ref = models.CharField(_("external reference"), max_length=255, blank=True)
    # Plain ids, no FK: the devices app owns these rows and never depends on the service desk.
    alarm_id = models.BigIntegerField(_("alarm"), null=True, blank=True)
    maintenance_plan_id = models.BigIntegerField(_("maintenance plan"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_work_orders",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "identity.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("team"),
    )
    support_level = models.CharField(
        _("support level"), max_length=10, choices=SupportLevel.choices, default=SupportLevel.FRONTLINE
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    sla_policy = models.ForeignKey(
        "servicedesk.SlaPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("SLA policy"),
    )
    response_minutes = models.PositiveIntegerField(_("first response target (minutes)"), default=30)
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"), default=240)
    warn_share = models.DecimalField(
        _("warning at share of target"), max_digits=3, decimal_places=2, default=Decimal("0.75")
    )
    reminder_minutes = models.PositiveIntegerField(_("reminder interval (minutes)"), default=60)
    clock_24x7 = models.BooleanField(_("24x7 clock"), default=False)

    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    response_breached = models.BooleanField(_("first response breached"), default=False)
    resolution_breached = models.BooleanField(_("resolution breached"), default=False)

    resolution_summary = models.TextField(_("resolution"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    prevention = models.TextField(_("prevention"), blank=True)

    # R3.6: what stands in for a failed smart counter, and when the major fault went upwards.
    substitute_device = models.ForeignKey(
        "devices.Device",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("temporary substitute"),
    )
    substitute_note = models.CharField(_("substitute arrangement"), max_length=300, blank=True)
    reported_upwards_at = models.DateTimeField(_("reported upwards"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            # The queue: open orders of some branches, by time left.
            models.Index(fields=["status", "resolution_due_at"], name="wo_status_due"),
            models.Index(fields=["branch", "status", "resolution_due_at"], name="wo_branch_status_due"),
            models.Index(fields=["assignee", "status", "resolution_due_at"], name="wo_assignee_status_due"),
            # "All orders", newest first, with the id as tie-breaker (the ORDER BY of that view).
            models.Index(fields=["branch", "opened_at", "id"], name="wo_branch_opened_id"),
            models.Index(fields=["opened_at", "id"], name="wo_opened_id"),
            # The open queues by time left: a few thousand open orders among a million closed ones, so
            # partial indexes on open orders only, in the queues' ORDER BY (decision 0306).
            models.Index(NEXT_DUE, "id", condition=OPEN_ORDER, name="wo_open_next_due"),
            models.Index("branch", NEXT_DUE, "id", condition=OPEN_ORDER, name="wo_open_branch_next_due"),
            models.Index(fields=["reporter_key", "device", "status"], name="wo_duplicate_probe"),
            models.Index(fields=["external_ref"], name="wo_external_ref"),
            models.Index(fields=["alarm_id"], name="wo_alarm"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"WO-{self.pk:08d}" if self.pk else "WO-(new)"

    @property
    def is_open(self) -> bool:
        return self.status not in WorkOrderStatus.finished()

    @property
    def is_paused(self) -> bool:
        return self.status in WorkOrderStatus.paused()

    @property
    def next_due_at(self) -> dt.datetime | None:
        """The deadline the order runs against now: first response until answered, then resolution
        (none while finished or paused); the open queues sort by it."""
        if not self.is_open or self.is_paused:
            return None
        if self.first_response_at is None and self.response_due_at is not None:
            return self.response_due_at
        return self.resolution_due_at

    @property
    def needs_postmortem(self) -> bool:
        return self.kind == WorkOrderKind.FAULT and self.priority in Priority.high()

    def get_status_colour(self) -> str:
        return WorkOrderStatus.colour(self.status)

    def get_priority_colour(self) -> str:
        return Priority.colour(self.priority)


class TimelineEntry(models.Model):
    """One line of a work order's history: notes, status changes, assignments, SLA events.

    Status entries are the source of truth for pauses: the SLA clocks are rebuilt from them.
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=12, choices=TimelineKind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=NoteSource.choices, default=NoteSource.SYSTEM
    )
    text = models.TextField(_("text"), blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    external_ref = models.CharField(_("external reference"), max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)

    branch_scope_path = "work_order__branch"

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [
            models.Index(fields=["work_order", "kind", "at"], name="wo_timeline_kind_at"),
            models.Index(fields=["external_ref"], name="wo_timeline_external_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def get_kind_colour(self) -> str:
        return TimelineKind.colour(self.kind)

    @property
    def from_status_label(self) -> str:
        return (
            str(WorkOrderStatus(self.from_status).label) if self.from_status in WorkOrderStatus.values else ""
        )

    @property
    def to_status_label(self) -> str:
        return str(WorkOrderStatus(self.to_status).label) if self.to_status in WorkOrderStatus.values else ""


class WorkOrderTerm(models.Model):
    """One search term of a work order (see :mod:`bastion.servicedesk.search`).

    The order's branch and opening time are copied here (neither changes after opening), so a search
    reads one index in the order the results are shown, scope included, and counts its matches without
    touching the orders (decision 0306).
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="terms", db_index=False)
    term = models.CharField(max_length=40)
    branch = models.ForeignKey("identity.Branch", on_delete=models.CASCADE, related_name="+", db_index=False)
    opened_at = models.DateTimeField()

    branch_scope_path = "branch"

    class Meta:
        verbose_name = "work-order search term"
        # Terms are written once, de-duplicated in code. The first index answers "does this order have
        # the term" (the second and later terms of a query); the others list a term's orders newest
        # first, institution-wide or for a branch.
        indexes = [
            models.Index(fields=["term", "work_order"], name="wo_term_lookup"),
            models.Index(fields=["term", "opened_at", "work_order"], name="wo_term_opened"),
            models.Index(fields=["term", "branch", "opened_at", "work_order"], name="wo_term_branch_opened"),
        ]

    def __str__(self) -> str:
        return self.term
