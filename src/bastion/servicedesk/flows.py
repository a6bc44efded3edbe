"""Multi-step processes around a work order: what follows opening and status changes, and the
hand-over from device alarms and maintenance plans (contract: bastion.devices.handover).

Everything here runs inside the caller's transaction.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from bastion.devices.choices import DeviceClass
from bastion.servicedesk.choices import Channel, Priority, WorkOrderKind, WorkOrderStatus
from bastion.servicedesk.models import WorkOrder

if TYPE_CHECKING:
    from bastion.devices.handover import AlarmTicket, FindingTicket, MaintenanceTicket

logger = logging.getLogger(__name__)


def is_counter_fault(order: WorkOrder) -> bool:
    return bool(
        order.kind == WorkOrderKind.FAULT
        and order.device_id
        and order.device is not None
        and order.device.device_class == DeviceClass.SMART_COUNTER
    )


def after_open(order: WorkOrder, *, actor: Any) -> None:
    """A new order: a failed smart counter stops and is reported upwards, then dispatch runs."""
    from bastion.servicedesk.actions.counters import stop_counter
    from bastion.servicedesk.actions.dispatch import auto_dispatch

    if is_counter_fault(order):
        stop_counter(order, actor=actor)
    auto_dispatch(order, actor=actor)


def after_transition(order: WorkOrder, *, previous: str, actor: Any) -> None:
    """A resolved smart-counter fault puts the counter back in service."""
    from bastion.servicedesk.actions.counters import restore_counter

    if order.status == WorkOrderStatus.RESOLVED and is_counter_fault(order):
        restore_counter(order, actor=actor)
    if order.status == WorkOrderStatus.RESOLVED and order.maintenance_plan_id:
        from bastion.devices import handover

        # The plan's next due date counts from this completion (devices R2.3).
        handover.planned_work_done(
            plan_id=order.maintenance_plan_id,
            work_order_id=order.pk,
            done_at=order.resolved_at or order.opened_at,
        )


# --- hand-over from devices (registered in ServiceDeskConfig.ready) -------------------------------


def open_for_alarm(ticket: AlarmTicket) -> int | None:
    """Open (or find) the fault order for a device alarm; the system is the actor."""
    from bastion.servicedesk.actions.orders import do_open_work_order

    existing = WorkOrder.objects.filter(alarm_id=ticket.alarm_id).order_by("id").first()
    if existing is not None:
        return existing.pk  # a retried hand-over must not open a second order
    order = do_open_work_order(
        branch_id=ticket.branch_id,
        kind=WorkOrderKind.FAULT,
        channel=Channel.ALARM,
        title=ticket.title[:200] or ticket.fault_code,
        symptoms=ticket.detail,
        device_id=ticket.device_id,
        priority=Priority.from_severity(ticket.severity),
        external_ref=f"alarm:{ticket.alarm_id}",
        fault_code=ticket.fault_code,
        alarm_id=ticket.alarm_id,
        actor=None,
    )
    return order.pk


def open_for_maintenance(ticket: MaintenanceTicket) -> int | None:
    """Open the planned order for a due maintenance plan or inspection; the system is the actor."""
    from bastion.servicedesk.actions.orders import do_open_work_order

    kind = ticket.kind if ticket.kind in WorkOrderKind.values else WorkOrderKind.PREVENTIVE_MAINTENANCE
    order = do_open_work_order(
        branch_id=ticket.branch_id,
        kind=kind,
        channel=Channel.MAINTENANCE,
        title=ticket.title[:200],
        symptoms=_("Planned work due %(due)s.") % {"due": ticket.due_at.isoformat(timespec="minutes")},
        device_id=ticket.device_id,
        priority=Priority.P4,
        external_ref=f"maintenance:{ticket.plan_id}:{ticket.due_at.isoformat()}",
        maintenance_plan_id=ticket.plan_id,
        actor=None,
    )
    return order.pk


def open_for_finding(ticket: FindingTicket) -> int | None:
    """Open the fault order for problems found on a device inspection; the system is the actor."""
    from bastion.servicedesk.actions.orders import do_open_work_order

    order = do_open_work_order(
        branch_id=ticket.branch_id,
        kind=WorkOrderKind.FAULT,
        channel=Channel.MAINTENANCE,
        title=ticket.title[:200],
        symptoms=ticket.detail,
        device_id=ticket.device_id,
        priority=Priority.P3,
        external_ref=f"inspection:{ticket.inspection_id}",
        fault_code="INSPECTION",
        actor=None,
    )
    return order.pk


def note_alarm_cleared(ticket: AlarmTicket, work_order_id: int | None) -> None:
    """Tell the order's timeline that its alarm cleared (the engineer still confirms the fix)."""
    from bastion.servicedesk.actions.orders import do_add_work_order_note

    if work_order_id is None or not WorkOrder.objects.filter(pk=work_order_id).exists():
        return
    do_add_work_order_note(
        work_order_id=work_order_id,
        text=_("Device alarm %(code)s cleared.") % {"code": ticket.fault_code},
        source="system",
        external_ref=f"alarm-cleared:{ticket.alarm_id}",
        actor=None,
    )


def register_handover() -> None:
    """Install the openers with the devices app (called from AppConfig.ready)."""
    from bastion.devices import handover

    handover.register_work_order_opener(open_for_alarm)
    handover.register_maintenance_opener(open_for_maintenance)
    handover.register_alarm_cleared_listener(note_alarm_cleared)
    handover.register_finding_opener(open_for_finding)
