"""SLA clocks: due times kept current, stage tasks scheduled for their exact instants, policies.

Every change that can move a due time (opening, a status change, a priority or policy change) calls
:func:`refresh_sla`, which recomputes the order's due times from its status history and schedules
one task per coming stage at its exact instant (after commit). A task that fires re-derives
everything from the database: if the instant has moved on, the order responded or resolved, or the
stage already fired (unique ``SlaAlert``), it does nothing. So a task that fires late still fires
once, and a stale or repeated task is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.identity.models import Branch
from bastion.platform.errors import FieldError, NotFound
from bastion.servicedesk import notifications, services, sla
from bastion.servicedesk.actions._common import add_timeline, require, require_branch
from bastion.servicedesk.choices import (
    Priority,
    SlaClock,
    SlaStage,
    SupportLevel,
    TimelineKind,
    WorkOrderStatus,
)
from bastion.servicedesk.models import SlaAlert, SlaPolicy, WorkOrder
from bastion.servicedesk.permissions import MANAGE_SLA

logger = logging.getLogger(__name__)

# A reminder chain ends here; by then the order is on every supervisor's desk anyway.
MAX_REMINDERS = 24
# Huey never runs a task before its eta, but worker clocks may differ by a little.
TOLERANCE = dt.timedelta(seconds=1)


def apply_policy(order: WorkOrder) -> None:
    """Copy the targets of the policy that applies now onto the order (not saved)."""
    device_class = order.device.device_class if order.device_id and order.device else ""
    policy = services.resolve_sla_policy(
        priority=order.priority, device_class=device_class, branch_id=order.branch_id
    )
    order.sla_policy = policy
    if policy is None:
        order.response_minutes, order.resolution_minutes = 30, 240
        order.warn_share, order.reminder_minutes = Decimal("0.75"), 60
    else:
        order.response_minutes, order.resolution_minutes = policy.response_minutes, policy.resolution_minutes
        order.warn_share, order.reminder_minutes = policy.warn_share, policy.reminder_minutes


def refresh_sla(order: WorkOrder) -> sla.DueTimes:
    """Recompute the order's due times from its history, save them and schedule the coming stages."""
    due = services.compute_due_times(order)
    fields = []
    if order.first_response_at is None and order.is_open:
        order.response_due_at = due.response_due
        fields.append("response_due_at")
    if order.resolved_at is None and order.is_open:
        order.resolution_due_at = due.resolution_due
        fields.append("resolution_due_at")
    if fields:
        order.save(update_fields=[*fields, "updated_at"])
    for clock, stage, eta in stage_instants(order, due):
        _schedule_after_commit(order.pk, clock, stage, 0, eta)
    return due


def stage_instants(order: WorkOrder, due: sla.DueTimes) -> list[tuple[str, str, dt.datetime]]:
    """The (clock, stage, instant) triples still to come for a running order."""
    if not order.is_open or order.is_paused:
        return []
    result = []
    if order.first_response_at is None:
        result += [(SlaClock.RESPONSE, SlaStage.WARNING, due.response_warning)]
        result += [(SlaClock.RESPONSE, SlaStage.BREACH, due.response_due)]
    result += [(SlaClock.RESOLUTION, SlaStage.WARNING, due.resolution_warning)]
    result += [(SlaClock.RESOLUTION, SlaStage.BREACH, due.resolution_due)]
    return [(str(c), str(s), eta) for c, s, eta in result if eta is not None]


def _schedule_after_commit(order_id: int, clock: str, stage: str, sequence: int, eta: dt.datetime) -> None:
    def schedule() -> None:
        from bastion.servicedesk.tasks import fire_sla_stage

        fire_sla_stage.schedule(args=(order_id, clock, stage, sequence), eta=eta)

    transaction.on_commit(schedule)


def _stage_instant(
    order: WorkOrder, due: sla.DueTimes, clock: str, stage: str, sequence: int
) -> dt.datetime | None:
    if clock == SlaClock.RESPONSE:
        warning, deadline = due.response_warning, due.response_due
    else:
        warning, deadline = due.resolution_warning, due.resolution_due
    if stage == SlaStage.WARNING:
        return warning
    if stage == SlaStage.BREACH or deadline is None:
        return deadline
    interval = dt.timedelta(minutes=order.reminder_minutes * sequence)
    return services.working_clock(order).add(deadline, interval)


def do_fire_sla_stage(*, work_order_id: int, clock: str, stage: str, sequence: int = 0) -> bool:
    """Fire one SLA stage if it is really due now; True when it fired (idempotent, late-safe)."""
    with transaction.atomic():
        order = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("branch", "device", "assignee")
            .filter(pk=work_order_id)
            .first()
        )
        if order is None or not order.is_open or order.is_paused:
            return False
        if clock == SlaClock.RESPONSE and order.first_response_at is not None:
            return False
        due = services.compute_due_times(order)
        instant = _stage_instant(order, due, clock, stage, sequence)
        now = timezone.now()
        if instant is None or now + TOLERANCE < instant:
            return False  # the instant moved on; the task scheduled for the new one will fire
        try:
            with transaction.atomic():
                alert = SlaAlert.objects.create(
                    work_order=order,
                    clock=clock,
                    stage=stage,
                    sequence=sequence,
                    due_at=instant,
                    fired_at=now,
                )
        except IntegrityError:
            return False  # fired already (a duplicate or re-scheduled task)
        _apply_stage(order, alert)
        if stage != SlaStage.WARNING and sequence < MAX_REMINDERS:
            deadline = due.response_due if clock == SlaClock.RESPONSE else due.resolution_due
            if deadline is not None:
                reminder = _stage_instant(order, due, clock, SlaStage.REMINDER, sequence + 1)
                if reminder is not None:
                    _schedule_after_commit(order.pk, clock, SlaStage.REMINDER, sequence + 1, reminder)
        return True


def _apply_stage(order: WorkOrder, alert: SlaAlert) -> None:
    """Record the stage on the order, its timeline and the audit trail, and tell the right people."""
    clock_label = SlaClock(alert.clock).label
    stage_label = SlaStage(alert.stage).label
    text = _("%(clock)s SLA %(stage)s (due %(due)s).") % {
        "clock": clock_label,
        "stage": stage_label.lower(),
        "due": timezone.localtime(alert.due_at).strftime("%Y-%m-%d %H:%M"),
    }
    before = {"response_breached": order.response_breached, "resolution_breached": order.resolution_breached}
    recipients = [order.assignee]
    if alert.stage == SlaStage.BREACH:
        if alert.clock == SlaClock.RESPONSE:
            order.response_breached = True
        else:
            order.resolution_breached = True
        order.escalation_level += 1
        order.save(
            update_fields=["response_breached", "resolution_breached", "escalation_level", "updated_at"]
        )
        recipients += notifications.supervisors_for(order)
        if order.priority in Priority.high():
            recipients += notifications.managers_for(order)
    elif alert.stage == SlaStage.REMINDER:
        recipients += notifications.supervisors_for(order)
    elif order.assignee_id is None:
        recipients += notifications.supervisors_for(order)  # a warning nobody would otherwise see
    add_timeline(
        order,
        kind=TimelineKind.SLA,
        actor=None,
        text=text,
        data={"clock": alert.clock, "stage": alert.stage, "sequence": alert.sequence},
    )
    record_event(
        action=f"servicedesk.sla_{alert.stage}",
        actor=None,
        obj=order,
        before=before,
        after={
            "response_breached": order.response_breached,
            "resolution_breached": order.resolution_breached,
        },
        extra={"clock": alert.clock, "sequence": alert.sequence, "due_at": alert.due_at},
    )
    notifications.notify(
        recipients=recipients,
        kind=f"servicedesk.sla_{alert.stage}",
        subject=f"{order.number} {text}",
        body=f"{order.title}\n{text}",
        order=order,
    )
    if (
        alert.stage == SlaStage.BREACH
        and alert.clock == SlaClock.RESOLUTION
        and order.support_level == SupportLevel.FRONTLINE
    ):
        from bastion.servicedesk.actions.dispatch import escalate_to_backend

        escalate_to_backend(order, actor=None, reason=_("Resolution SLA breached at the front line."))


# --- policies -------------------------------------------------------------------------------------

POLICY_FIELDS = (
    "name",
    "priority",
    "device_class",
    "branch_id",
    "response_minutes",
    "resolution_minutes",
    "warn_share",
    "reminder_minutes",
    "is_active",
)


def _policy_dict(policy: SlaPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def _validate_policy(values: dict[str, Any]) -> None:
    if values["priority"] not in Priority.values:
        raise FieldError("priority", _("Unknown priority."))
    if not str(values["name"]).strip():
        raise FieldError("name", _("A name is required."))
    if int(values["response_minutes"]) < 1:
        raise FieldError("response_minutes", _("The first-response target must be at least a minute."))
    if int(values["resolution_minutes"]) < int(values["response_minutes"]):
        raise FieldError(
            "resolution_minutes", _("The resolution target cannot be shorter than the first response.")
        )
    share = Decimal(str(values["warn_share"]))
    if not Decimal("0.10") <= share <= Decimal("0.99"):
        raise FieldError("warn_share", _("The warning share must lie between 0.10 and 0.99."))
    if int(values["reminder_minutes"]) < 5:
        raise FieldError("reminder_minutes", _("Reminders come at most every 5 minutes."))


def do_save_sla_policy(
    *,
    policy_id: int | None = None,
    name: str,
    priority: str,
    device_class: str = "",
    branch_id: int | None = None,
    response_minutes: int = 30,
    resolution_minutes: int = 240,
    warn_share: Decimal | str = Decimal("0.75"),
    reminder_minutes: int = 60,
    is_active: bool = True,
    actor: Any,
) -> SlaPolicy:
    """Create or change an SLA policy; open orders it governs are re-measured against it at once."""
    require(actor, MANAGE_SLA)
    values = {
        "name": name.strip(),
        "priority": priority,
        "device_class": device_class,
        "branch_id": branch_id,
        "response_minutes": response_minutes,
        "resolution_minutes": resolution_minutes,
        "warn_share": Decimal(str(warn_share)),
        "reminder_minutes": reminder_minutes,
        "is_active": is_active,
    }
    _validate_policy(values)
    if branch_id is not None:
        if not Branch.objects.filter(pk=branch_id).exists():
            raise FieldError("branch_id", _("Unknown branch."))
        require_branch(actor, branch_id)
    elif actor is not None and not actor.branch_scope().all_branches:
        raise FieldError("branch_id", _("Only institution-wide staff set policies for every branch."))
    with transaction.atomic():
        policy = SlaPolicy()
        before: dict[str, Any] | None = None
        if policy_id is not None:
            found = (
                services.list_sla_policies(principal=actor).select_for_update().filter(pk=policy_id).first()
                if actor
                else SlaPolicy.objects.filter(pk=policy_id).first()
            )
            if found is None:
                raise NotFound(_("SLA policy not found."))
            policy, before = found, _policy_dict(found)
        clash = SlaPolicy.objects.filter(is_active=True, priority=priority, device_class=device_class)
        clash = clash.filter(branch__isnull=True) if branch_id is None else clash.filter(branch_id=branch_id)
        clash = clash.exclude(pk=policy.pk)
        if is_active and clash.exists():
            raise FieldError(
                "priority", _("An active policy for this priority, device class and branch exists.")
            )
        for key, value in values.items():
            setattr(policy, key, value)
        policy.save()
        record_event(
            action="servicedesk.sla_policy_saved",
            actor=actor,
            obj=policy,
            before=before,
            after=_policy_dict(policy),
        )
        remeasure_open_orders(priority=priority, actor=actor)
    return policy


def remeasure_open_orders(*, priority: str, actor: Any) -> int:
    """Re-apply the policies to open orders of a priority (a policy changed mid-way); returns count."""
    changed = 0
    orders = (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("branch", "device")
        .filter(priority=priority, status__in=WorkOrderStatus.open_values())
    )
    for order in orders:
        old = (
            order.sla_policy_id,
            order.response_minutes,
            order.resolution_minutes,
            order.warn_share,
            order.reminder_minutes,
        )
        apply_policy(order)
        new = (
            order.sla_policy_id,
            order.response_minutes,
            order.resolution_minutes,
            order.warn_share,
            order.reminder_minutes,
        )
        if old == new:
            continue
        order.save(
            update_fields=[
                "sla_policy",
                "response_minutes",
                "resolution_minutes",
                "warn_share",
                "reminder_minutes",
                "updated_at",
            ]
        )
        add_timeline(
            order,
            kind=TimelineKind.SLA,
            actor=actor,
            text=_("SLA targets changed: first response %(response)s min, resolution %(resolution)s min.")
            % {"response": order.response_minutes, "resolution": order.resolution_minutes},
            data={"policy_id": order.sla_policy_id},
        )
        refresh_sla(order)
        changed += 1
    return changed
