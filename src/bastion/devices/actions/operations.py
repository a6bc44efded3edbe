"""Human decisions on alarms: clear by hand, plan maintenance windows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.devices import permissions as perms
from bastion.devices.actions._common import device_for, require, user_of
from bastion.devices.actions.alarms import clear_alarm
from bastion.devices.choices import AlarmState
from bastion.devices.models import Alarm, MaintenanceWindow
from bastion.identity.models import Branch
from bastion.platform.errors import Conflict, FieldError
from bastion.platform.scoping import get_scoped_object

MAX_WINDOW = timedelta(days=7)


def do_clear_alarm(*, alarm_id: int, reason: str, actor: Any) -> Alarm:
    """Clear a standing alarm by hand (e.g. fixed on site before the device reported in)."""
    require(actor, perms.HANDLE_ALARMS)
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", _("Give a reason for clearing the alarm."))
    with transaction.atomic():
        alarm = get_scoped_object(
            Alarm.objects.select_for_update(of=("self",)).select_related("device"), actor, pk=alarm_id
        )
        if alarm.state == AlarmState.CLEARED:
            raise Conflict(_("The alarm is already cleared."), code="alarm_cleared")
        clear_alarm(alarm, now=timezone.now(), reason=reason, actor=actor)
    return alarm


def do_plan_maintenance_window(
    *,
    branch_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    device_id: int | None = None,
    actor: Any,
) -> MaintenanceWindow:
    """Plan a window in which the alarms of a device (or a whole branch) are muted."""
    require(actor, perms.MANAGE_WINDOWS)
    branch = Branch.objects.filter(pk=branch_id).first()
    if branch is None or (actor is not None and not actor.branch_scope().allows(branch.pk)):
        raise FieldError("branch_id", _("Unknown branch."))
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise FieldError("starts_at", _("Give times with a time zone."))
    if ends_at <= starts_at:
        raise FieldError("ends_at", _("The window must end after it starts."))
    if ends_at - starts_at > MAX_WINDOW:
        raise FieldError("ends_at", _("A maintenance window lasts at most seven days."))
    if ends_at <= timezone.now():
        raise FieldError("ends_at", _("The window is already over."))
    if not (reason or "").strip():
        raise FieldError("reason", _("Give a reason for the maintenance window."))
    with transaction.atomic():
        if device_id is not None:
            device = device_for(actor, device_id)
            if device.branch_id != branch.pk:
                raise FieldError("device_id", _("The device is not at this branch."))
        window = MaintenanceWindow.objects.create(
            branch=branch,
            device_id=device_id,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason.strip(),
            created_by=user_of(actor),
        )
        record_event(
            action="devices.plan_maintenance_window",
            actor=actor,
            obj=window,
            after={
                "device_id": device_id,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "reason": window.reason,
            },
        )
    return window
