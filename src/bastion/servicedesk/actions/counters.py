"""Smart-counter faults (R3.6): business on the counter stops, a substitute is recorded, and the
major fault is reported upwards to the branch manager and the support supervisors."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.devices.models import Device
from bastion.platform.errors import Conflict, FieldError
from bastion.servicedesk import notifications
from bastion.servicedesk.actions._common import add_timeline, load_order, require
from bastion.servicedesk.choices import Priority, TimelineKind
from bastion.servicedesk.models import WorkOrder
from bastion.servicedesk.permissions import LOG


def _set_status(order: WorkOrder, status: str, reason: str, actor: Any) -> None:
    from bastion.devices.actions import do_set_operational_status

    # The devices action audits the change itself; the system acts when no person asked for it.
    if order.device_id is not None:
        do_set_operational_status(device_id=order.device_id, status=status, reason=reason, actor=actor)


def stop_counter(order: WorkOrder, *, actor: Any) -> None:
    """Take the counter out of service, raise the order to at least P2 and report it upwards."""
    reason = _("Fault %(number)s: business on this counter stops.") % {"number": order.number}
    _set_status(order, "out_of_service", reason, None)
    if order.priority not in Priority.high():
        order.priority = Priority.P2
        from bastion.servicedesk.actions.sla import apply_policy, refresh_sla

        apply_policy(order)
        order.save()
        refresh_sla(order)
    order.reported_upwards_at = timezone.now()
    order.save(update_fields=["reported_upwards_at", "updated_at"])
    add_timeline(
        order,
        kind=TimelineKind.DEVICE,
        actor=actor,
        text=reason,
        data={"operational_status": "out_of_service"},
    )
    recipients = notifications.managers_for(order) + notifications.supervisors_for(order)
    add_timeline(
        order,
        kind=TimelineKind.ESCALATION,
        actor=actor,
        text=_("Major fault reported to %(count)s managers and supervisors.") % {"count": len(recipients)},
    )
    record_event(
        action="servicedesk.major_fault_reported",
        actor=actor,
        obj=order,
        extra={"recipients": [u.pk for u in recipients], "device_id": order.device_id},
    )
    notifications.notify(
        recipients=recipients,
        kind="servicedesk.major_fault",
        subject=_("Major fault: smart counter %(device)s out of service") % {"device": order.device},
        body=f"{order.number} {order.title}\n{order.branch.name}\n{order.symptoms}",
        order=order,
    )


def restore_counter(order: WorkOrder, *, actor: Any) -> None:
    """The fault is resolved: the counter takes business again."""
    reason = _("Fault %(number)s resolved: the counter is back in service.") % {"number": order.number}
    _set_status(order, "available", reason, None)
    add_timeline(
        order, kind=TimelineKind.DEVICE, actor=actor, text=reason, data={"operational_status": "available"}
    )


def do_record_substitute(
    *, work_order_id: int, substitute_device_id: int | None = None, note: str = "", actor: Any
) -> WorkOrder:
    """Record what stands in for the failed counter (another counter, or a manual arrangement)."""
    require(actor, LOG)
    if substitute_device_id is None and not note.strip():
        raise FieldError("note", _("Name the substitute device or describe the arrangement."))
    with transaction.atomic():
        order = load_order(actor, work_order_id)
        if not order.is_open:
            raise Conflict(_("The order is finished."), code="finished")
        substitute = None
        if substitute_device_id is not None:
            substitute = Device.objects.filter(pk=substitute_device_id, branch_id=order.branch_id).first()
            if substitute is None or substitute.pk == order.device_id:
                raise FieldError("substitute_device_id", _("Choose another device of the same branch."))
        before = {
            "substitute_device_id": order.substitute_device_id,
            "substitute_note": order.substitute_note,
        }
        order.substitute_device = substitute
        order.substitute_note = note.strip()[:300]
        order.save(update_fields=["substitute_device", "substitute_note", "updated_at"])
        text = _("Temporary substitute: %(device)s %(note)s") % {
            "device": substitute or "",
            "note": order.substitute_note,
        }
        add_timeline(order, kind=TimelineKind.DEVICE, actor=actor, text=text.strip())
        record_event(
            action="servicedesk.substitute_recorded",
            actor=actor,
            obj=order,
            before=before,
            after={
                "substitute_device_id": order.substitute_device_id,
                "substitute_note": order.substitute_note,
            },
        )
    return order
