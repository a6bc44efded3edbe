"""Opening work orders from every channel, notes, the status flow and the post-mortem (R3.1-R3.5)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.devices.models import Device
from bastion.identity.models import Branch
from bastion.platform.crypto import blind_index
from bastion.platform.errors import Conflict, FieldError, PermissionDenied
from bastion.servicedesk import search
from bastion.servicedesk.actions._common import (
    add_timeline,
    load_order,
    person,
    require,
    require_branch,
    snapshot,
)
from bastion.servicedesk.actions.sla import apply_policy, refresh_sla
from bastion.servicedesk.choices import (
    TRANSITIONS,
    Channel,
    NoteSource,
    Priority,
    TimelineKind,
    WorkOrderKind,
    WorkOrderStatus,
)
from bastion.servicedesk.models import TimelineEntry, WorkOrder, WorkOrderTerm
from bastion.servicedesk.permissions import DISPATCH, LOG, WORK

_DEFAULT_PRIORITY: dict[str, str] = {WorkOrderKind.FAULT: Priority.P3}
_SPACES = re.compile(r"\s+")


def reporter_key(*, name: str, contact: str) -> str:
    """A keyed hash identifying the reporter (contact when given, else name); '' for nobody."""
    basis = _SPACES.sub("", (contact or name).strip().lower())
    return blind_index(basis, context="servicedesk.reporter") if basis else ""


def _validate_open(kind: str, channel: str, title: str, priority: str | None) -> None:
    if kind not in WorkOrderKind.values:
        raise FieldError("kind", _("Unknown work-order kind."))
    if channel not in Channel.values:
        raise FieldError("channel", _("Unknown channel."))
    if not title.strip():
        raise FieldError("title", _("A title is required."))
    if len(title.strip()) > 200:
        raise FieldError("title", _("The title is longer than 200 characters."))
    if priority is not None and priority not in Priority.values:
        raise FieldError("priority", _("Unknown priority."))


def _device_of(device_id: int | None, branch_id: int) -> Device | None:
    if device_id is None:
        return None
    device = Device.objects.filter(pk=device_id).first()
    if device is None or device.branch_id != branch_id:
        raise FieldError("device_id", _("No such device at this branch."))
    return device


def _find_original(key: str, device_id: int | None) -> WorkOrder | None:
    """The earliest open order of the same reporter on the same device (duplicates link to it)."""
    if not key or device_id is None:
        return None
    original = (
        WorkOrder.objects.filter(
            reporter_key=key, device_id=device_id, status__in=WorkOrderStatus.open_values()
        )
        .order_by("opened_at", "id")
        .first()
    )
    root = original.duplicate_of if original is not None and original.duplicate_of_id else None
    # Link to the root report while it is open, so a chain of duplicates stays one level deep.
    return root if root is not None and root.is_open else original


def do_open_work_order(
    *,
    branch_id: int,
    kind: str,
    channel: str,
    title: str,
    symptoms: str,
    reporter_name: str = "",
    reporter_contact: str = "",
    device_id: int | None = None,
    priority: str | None = None,
    external_ref: str = "",
    actor: Any,
    fault_code: str = "",
    alarm_id: int | None = None,
    maintenance_plan_id: int | None = None,
    dispatch: bool = True,
) -> WorkOrder:
    """Open a work order from any channel; duplicates are linked, the SLA attached, dispatch run."""
    require(actor, LOG)
    _validate_open(kind, channel, title, priority)
    if not Branch.objects.filter(pk=branch_id).exists():
        raise FieldError("branch_id", _("Unknown branch."))
    require_branch(actor, branch_id)
    device = _device_of(device_id, branch_id)
    external_ref = external_ref.strip()[:255]
    with transaction.atomic():
        if external_ref:
            existing = WorkOrder.objects.filter(channel=channel, external_ref=external_ref).first()
            if existing is not None:
                return existing  # the same message delivered twice opens one order
        key = reporter_key(name=reporter_name, contact=reporter_contact)
        original = _find_original(key, device_id)
        order = WorkOrder(
            branch_id=branch_id,
            device=device,
            kind=kind,
            channel=channel,
            priority=priority or _DEFAULT_PRIORITY.get(kind, Priority.P4),
            title=title.strip(),
            symptoms=symptoms.strip(),
            fault_code=fault_code.strip()[:40],
            reporter_name=reporter_name.strip()[:100],
            reporter_contact=reporter_contact.strip(),
            reporter_key=key,
            external_ref=external_ref,
            alarm_id=alarm_id,
            maintenance_plan_id=maintenance_plan_id,
            duplicate_of=original,
            clock_24x7=bool(device and device.is_self_service),
            opened_at=timezone.now(),
            created_by=person(actor),
        )
        order.branch = Branch.objects.get(pk=branch_id)
        apply_policy(order)
        order.save()
        index_terms(order)
        add_timeline(
            order,
            kind=TimelineKind.OPENED,
            actor=actor,
            text=order.symptoms,
            source=_source_for(channel),
            external_ref=external_ref,
            data={"channel": channel, "priority": order.priority},
        )
        record_event(
            action="servicedesk.work_order_opened",
            actor=actor,
            obj=order,
            after={**snapshot(order), "kind": kind, "channel": channel, "device_id": device_id},
            extra={"duplicate_of": original.pk if original else None, "external_ref": external_ref},
        )
        if original is not None:
            _link_duplicate(order, original, actor)
        refresh_sla(order)
        if dispatch and original is None:
            from bastion.servicedesk.flows import after_open

            after_open(order, actor=actor)
    return order


def index_terms(order: WorkOrder) -> None:
    """Write the order's search terms (title, fault code, device tag)."""
    text = " ".join([order.title, order.fault_code, order.device.asset_tag if order.device else ""])
    WorkOrderTerm.objects.bulk_create(
        [
            WorkOrderTerm(work_order=order, term=t, branch_id=order.branch_id, opened_at=order.opened_at)
            for t in search.terms_of(text)
        ]
    )


def _source_for(channel: str) -> str:
    return {
        Channel.EMAIL: NoteSource.EMAIL,
        Channel.WECHAT: NoteSource.WECHAT,
        Channel.ALARM: NoteSource.SYSTEM,
        Channel.MAINTENANCE: NoteSource.SYSTEM,
    }.get(Channel(channel), NoteSource.AGENT)


def _link_duplicate(order: WorkOrder, original: WorkOrder, actor: Any) -> None:
    for target, other in ((order, original), (original, order)):
        add_timeline(
            target,
            kind=TimelineKind.DUPLICATE,
            actor=actor,
            text=_("Same reporter and device as %(number)s.") % {"number": other.number},
            data={"work_order_id": other.pk},
        )


def do_add_work_order_note(
    *, work_order_id: int, text: str, source: str = "agent", external_ref: str = "", actor: Any
) -> TimelineEntry:
    """Add a note to an order's timeline; a repeated external reference adds nothing new."""
    require(actor, LOG)
    if source not in NoteSource.values:
        raise FieldError("source", _("Unknown note source."))
    if not text.strip():
        raise FieldError("text", _("The note is empty."))
    external_ref = external_ref.strip()[:255]
    with transaction.atomic():
        order = load_order(actor, work_order_id)
        if external_ref:
            seen = order.timeline.filter(external_ref=external_ref).first()
            if seen is not None:
                return seen
        entry = add_timeline(
            order,
            kind=TimelineKind.NOTE,
            actor=actor,
            text=text.strip(),
            source=source,
            external_ref=external_ref,
        )
        record_event(
            action="servicedesk.work_order_note_added",
            actor=actor,
            obj=order,
            extra={"timeline_entry_id": entry.pk, "source": source, "external_ref": external_ref},
        )
    return entry


# --- status flow ----------------------------------------------------------------------------------


def _may_work(actor: Any, order: WorkOrder) -> None:
    """Engineers work the orders assigned to them; dispatchers work any order in their scope."""
    if actor is None or actor.has_permission(DISPATCH):
        return
    require(actor, WORK)
    if order.assignee_id is None or person(actor) is None or order.assignee_id != actor.pk:
        raise PermissionDenied(
            _("Only the assigned engineer or a supervisor works this order."), code="not_assignee"
        )


def do_transition_work_order(
    *,
    work_order_id: int,
    status: str,
    note: str = "",
    resolution_summary: str = "",
    actor: Any,
) -> WorkOrder:
    """Move an order along the standard flow; clocks stop, pause and resume with it."""
    if status not in WorkOrderStatus.values:
        raise FieldError("status", _("Unknown status."))
    with transaction.atomic():
        order = load_order(actor, work_order_id)
        if status == WorkOrderStatus.CANCELLED:
            require(actor, DISPATCH)
        else:
            _may_work(actor, order)
        current = order.status
        if status not in TRANSITIONS[current]:
            raise Conflict(
                _("A work order cannot go from %(old)s to %(new)s.")
                % {"old": WorkOrderStatus(current).label, "new": WorkOrderStatus(status).label},
                code="invalid_transition",
            )
        before = snapshot(order)
        now = timezone.now()
        _enter(order, status, now=now, resolution_summary=resolution_summary)
        order.status = status
        order.save()
        add_timeline(
            order,
            kind=TimelineKind.STATUS,
            actor=actor,
            text=note.strip(),
            source=NoteSource.ENGINEER
            if person(actor) and person(actor) == order.assignee
            else NoteSource.AGENT,
            from_status=current,
            to_status=status,
        )
        refresh_sla(order)
        record_event(
            action="servicedesk.work_order_transitioned",
            actor=actor,
            obj=order,
            before=before,
            after=snapshot(order),
        )
        from bastion.servicedesk.flows import after_transition

        after_transition(order, previous=current, actor=actor)
    return order


def _enter(order: WorkOrder, status: str, *, now: Any, resolution_summary: str) -> None:
    """Stamp the instants a new status sets; refuse a close without what it needs."""
    if status in WorkOrderStatus.responded() and order.first_response_at is None:
        order.first_response_at = now
    if status in WorkOrderStatus.paused():
        order.paused_since = order.paused_since or now
    else:
        order.paused_since = None
    if status == WorkOrderStatus.RESOLVED:
        summary = resolution_summary.strip() or order.resolution_summary
        if not summary:
            raise FieldError("resolution_summary", _("Say how the order was resolved."))
        order.resolution_summary = summary
        order.resolved_at = now
    elif status == WorkOrderStatus.REPAIR and order.status == WorkOrderStatus.RESOLVED:
        order.resolved_at = None  # reopened: the resolution clock runs again
    if status == WorkOrderStatus.CLOSED:
        if order.needs_postmortem and not (order.root_cause.strip() and order.prevention.strip()):
            raise FieldError(
                "root_cause",
                _("A high-priority fault needs a post-mortem (root cause and prevention) before it closes."),
            )
        order.closed_at = now
    if status == WorkOrderStatus.CANCELLED:
        order.closed_at = now


def do_record_postmortem(*, work_order_id: int, root_cause: str, prevention: str, actor: Any) -> WorkOrder:
    """Record the post-mortem summary: root cause and prevention (R3.5)."""
    if not root_cause.strip():
        raise FieldError("root_cause", _("The root cause is required."))
    if not prevention.strip():
        raise FieldError("prevention", _("The prevention measures are required."))
    with transaction.atomic():
        order = load_order(actor, work_order_id)
        _may_work(actor, order)
        if order.status not in (WorkOrderStatus.RESOLVED, WorkOrderStatus.REPAIR):
            raise Conflict(_("A post-mortem is written once the order is resolved."), code="not_resolved")
        before = {"root_cause": order.root_cause, "prevention": order.prevention}
        order.root_cause, order.prevention = root_cause.strip(), prevention.strip()
        order.save(update_fields=["root_cause", "prevention", "updated_at"])
        add_timeline(
            order,
            kind=TimelineKind.POSTMORTEM,
            actor=actor,
            text=_("Root cause: %(cause)s\nPrevention: %(prevention)s")
            % {"cause": order.root_cause, "prevention": order.prevention},
        )
        record_event(
            action="servicedesk.postmortem_recorded",
            actor=actor,
            obj=order,
            before=before,
            after={"root_cause": order.root_cause, "prevention": order.prevention},
        )
    return order


def do_change_priority(*, work_order_id: int, priority: str, reason: str, actor: Any) -> WorkOrder:
    """Re-prioritise an open order; the policy of the new priority applies from the start."""
    require(actor, DISPATCH)
    if priority not in Priority.values:
        raise FieldError("priority", _("Unknown priority."))
    if not reason.strip():
        raise FieldError("reason", _("Say why the priority changes."))
    with transaction.atomic():
        order = load_order(actor, work_order_id)
        if not order.is_open:
            raise Conflict(_("The order is finished."), code="finished")
        before = snapshot(order)
        old = order.priority
        order.priority = priority
        apply_policy(order)
        order.save()
        add_timeline(
            order,
            kind=TimelineKind.PRIORITY,
            actor=actor,
            text=reason.strip(),
            data={"from": old, "to": priority},
        )
        refresh_sla(order)
        record_event(
            action="servicedesk.priority_changed",
            actor=actor,
            obj=order,
            before=before,
            after=snapshot(order),
        )
    return order
