"""Maintenance plans (R2.3): plans per device or per device class, due work orders, completion.

A device plan's next due date is its last completion plus the cycle. The scheduler
(:func:`open_due_work_orders`, run by ``devices.tasks.open_due_maintenance``) records each due
occurrence once (a unique row per plan and due date, taken under a row lock) and hands it over to
the service desk (:mod:`bastion.devices.handover`). Resolving that work order, or recording a
completion by hand, completes the occurrence and moves the plan on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.devices import handover
from bastion.devices import permissions as perms
from bastion.devices.actions._common import device_for, require, user_of
from bastion.devices.choices import CompletionSource, DeviceClass, LifecycleState, MaintenanceKind
from bastion.devices.models import Device, MaintenanceOccurrence, MaintenancePlan
from bastion.identity.models import Branch
from bastion.platform.errors import Conflict, FieldError
from bastion.platform.scoping import get_scoped_object

logger = logging.getLogger(__name__)

MAX_CYCLE_DAYS = 730
# Devices that are not (yet or any more) in the field get no planned work.
_RETIRED = (
    LifecycleState.REQUESTED,
    LifecycleState.APPROVED,
    LifecycleState.RETIREMENT_APPROVED,
    LifecycleState.SCRAPPED,
)


def _check_plan_fields(kind: str, title: str, cycle_days: int) -> str:
    if kind not in MaintenanceKind.values:
        raise FieldError("kind", _("Unknown maintenance kind."))
    title = (title or "").strip()
    if not title:
        raise FieldError("title", _("Give the plan a title."))
    if len(title) > 200:
        raise FieldError("title", _("The title is at most 200 characters."))
    if not 1 <= cycle_days <= MAX_CYCLE_DAYS:
        raise FieldError("cycle_days", _("The cycle is between 1 and 730 days."))
    return title


def do_create_maintenance_plan(
    *,
    kind: str,
    title: str,
    cycle_days: int,
    first_due_at: datetime | None = None,
    device_id: int | None = None,
    branch_id: int | None = None,
    device_class: str = "",
    actor: Any,
) -> MaintenancePlan:
    """Plan recurring work for one device, or for every device of a class at a branch."""
    require(actor, perms.MANAGE_WINDOWS)
    title = _check_plan_fields(kind, title, cycle_days)
    now = timezone.now()
    if first_due_at is not None and first_due_at.tzinfo is None:
        raise FieldError("first_due_at", _("Give times with a time zone."))
    first_due = first_due_at or now + timedelta(days=cycle_days)
    if (device_id is None) == (not device_class):
        raise FieldError("device_id", _("Name either one device or a device class at a branch."))
    with transaction.atomic():
        if device_id is not None:
            device = device_for(actor, device_id)
            if branch_id is not None and branch_id != device.branch_id:
                raise FieldError("branch_id", _("The device is not at this branch."))
            branch = device.branch
        else:
            device = None
            if device_class not in DeviceClass.values:
                raise FieldError("device_class", _("Unknown device class."))
            branch = _branch_for(actor, branch_id)
        plan = MaintenancePlan.objects.create(
            device=device,
            branch=branch,
            device_class=device.device_class if device else device_class,
            kind=kind,
            title=title,
            cycle_days=cycle_days,
            next_due_at=first_due,
            created_by=user_of(actor),
        )
        created = sync_class_plan(plan) if device is None else 0
        record_event(
            action="devices.create_maintenance_plan",
            actor=actor,
            obj=plan,
            after={
                "kind": kind,
                "title": title,
                "cycle_days": cycle_days,
                "device_id": device_id,
                "device_class": plan.device_class,
                "next_due_at": first_due,
            },
            extra={"device_plans": created},
        )
    return plan


def _branch_for(actor: Any, branch_id: int | None) -> Branch:
    branch = Branch.objects.filter(pk=branch_id).first() if branch_id is not None else None
    if branch is None or (actor is not None and not actor.branch_scope().allows(branch.pk)):
        raise FieldError("branch_id", _("Unknown branch."))
    return branch


def sync_class_plan(parent: MaintenancePlan) -> int:
    """Give every field device of a class plan's class and branch its own device plan; returns how many
    were added (devices commissioned since the plan was made get one on the next scheduler run)."""
    if parent.device_id is not None or parent.branch_id is None or not parent.is_active:
        return 0
    covered = parent.device_plans.values_list("device_id", flat=True)
    devices = (
        Device.objects.filter(branch_id=parent.branch_id, device_class=parent.device_class)
        .exclude(lifecycle_state__in=_RETIRED)
        .exclude(pk__in=covered)
    )
    plans = [
        MaintenancePlan(
            device=device,
            branch_id=device.branch_id,
            device_class=device.device_class,
            parent=parent,
            kind=parent.kind,
            title=parent.title,
            cycle_days=parent.cycle_days,
            next_due_at=parent.next_due_at,
            created_by=parent.created_by,
        )
        for device in devices
    ]
    MaintenancePlan.objects.bulk_create(plans)
    return len(plans)


@dataclass
class SchedulerOutcome:
    """What one scheduler run did (returned by the periodic task)."""

    device_plans_added: int = 0
    opened: int = 0
    pending: int = 0


def open_due_work_orders(*, now: datetime | None = None) -> SchedulerOutcome:
    """Record each due occurrence once and hand it over; safe to run twice or concurrently."""
    now = now or timezone.now()
    outcome = SchedulerOutcome()
    for parent in MaintenancePlan.objects.filter(device__isnull=True, is_active=True):
        with transaction.atomic():
            outcome.device_plans_added += sync_class_plan(parent)
    due = (
        MaintenancePlan.objects.filter(device__isnull=False, is_active=True, next_due_at__lte=now)
        .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
        .values_list("pk", flat=True)
    )
    for plan_id in list(due):
        with transaction.atomic():
            opened = _open_occurrence(plan_id, now)
        if opened is True:
            outcome.opened += 1
        elif opened is False:
            outcome.pending += 1
    return outcome


def _open_occurrence(plan_id: int, now: datetime) -> bool | None:
    """True: a work order is open for the plan's due occurrence; False: hand-over still pending;
    None: nothing to do (not due, or its occurrence already has its work order)."""
    plan = (
        MaintenancePlan.objects.select_for_update(of=("self",))
        .select_related("device__branch")
        .filter(pk=plan_id, is_active=True, next_due_at__lte=now)
        .first()
    )
    if plan is None:
        return None
    occurrence, created = MaintenanceOccurrence.objects.get_or_create(
        plan=plan, due_at=plan.next_due_at, defaults={"opened_at": now}
    )
    if occurrence.work_order_id is not None or occurrence.completed_at is not None:
        return None
    work_order_id = handover.open_work_order_for_maintenance(plan)
    if work_order_id is not None:
        occurrence.work_order_id = work_order_id
        occurrence.save(update_fields=["work_order_id"])
    if created or work_order_id is not None:
        record_event(
            action="devices.maintenance_due",
            actor=None,
            obj=plan,
            after={"due_at": plan.next_due_at, "work_order_id": work_order_id},
        )
    return work_order_id is not None


def _complete(
    plan: MaintenancePlan,
    occurrence: MaintenanceOccurrence,
    *,
    done_at: datetime,
    source: str,
    note: str,
    actor: Any,
) -> MaintenanceOccurrence:
    before = {"last_completed_at": plan.last_completed_at, "next_due_at": plan.next_due_at}
    occurrence.completed_at = done_at
    occurrence.completed_by = user_of(actor)
    occurrence.source = source
    occurrence.note = note
    occurrence.save()
    plan.last_completed_at = done_at
    # From the completion, not from the due date: a late visit does not shorten the next cycle.
    plan.next_due_at = done_at + timedelta(days=plan.cycle_days)
    plan.open_work_order_id = None
    plan.save(update_fields=["last_completed_at", "next_due_at", "open_work_order_id"])
    record_event(
        action="devices.complete_maintenance",
        actor=actor,
        obj=plan,
        before=before,
        after={
            "last_completed_at": done_at,
            "next_due_at": plan.next_due_at,
            "source": source,
            "work_order_id": occurrence.work_order_id,
        },
    )
    return occurrence


def do_complete_maintenance(
    *, plan_id: int, note: str = "", completed_at: datetime | None = None, actor: Any
) -> MaintenanceOccurrence:
    """Record by hand that a device plan's work was done (with or without its work order)."""
    require(actor, perms.INSPECT)
    now = timezone.now()
    done_at = completed_at or now
    if done_at.tzinfo is None:
        raise FieldError("completed_at", _("Give times with a time zone."))
    if done_at > now + timedelta(minutes=5):
        raise FieldError("completed_at", _("The completion cannot be in the future."))
    if len(note) > 2000:
        raise FieldError("note", _("The note is at most 2000 characters."))
    with transaction.atomic():
        plan = get_scoped_object(MaintenancePlan.objects.select_for_update(of=("self",)), actor, pk=plan_id)
        if plan.device_id is None:
            raise Conflict(
                _("A device-class plan is completed device by device."), code="class_plan_not_completed"
            )
        if plan.last_completed_at is not None and done_at < plan.last_completed_at:
            raise FieldError("completed_at", _("The plan was already completed later than that."))
        occurrence = plan.occurrences.filter(completed_at__isnull=True).order_by(
            "due_at"
        ).first() or MaintenanceOccurrence(plan=plan, due_at=plan.next_due_at, opened_at=now)
        return _complete(
            plan, occurrence, done_at=done_at, source=CompletionSource.MANUAL, note=note.strip(), actor=actor
        )


def complete_from_work_order(*, plan_id: int, work_order_id: int, done_at: datetime) -> None:
    """The service desk resolved the work order of an occurrence (see handover.planned_work_done)."""
    plan = MaintenancePlan.objects.select_for_update(of=("self",)).filter(pk=plan_id).first()
    if plan is None:
        return
    occurrence = plan.occurrences.filter(work_order_id=work_order_id, completed_at__isnull=True).first()
    if occurrence is None:
        return  # completed by hand already, or an order this plan never opened
    _complete(plan, occurrence, done_at=done_at, source=CompletionSource.WORK_ORDER, note="", actor=None)
