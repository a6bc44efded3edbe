"""Remote diagnosis sessions and the actions taken in them (R2.6), each step audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.devices import permissions as perms
from bastion.devices.actions._common import device_for, require, require_person, user_of
from bastion.devices.choices import RemoteChannel, RemoteSessionOutcome
from bastion.devices.models import Alarm, RemoteAction, RemoteSession
from bastion.platform.errors import Conflict, FieldError
from bastion.platform.scoping import get_scoped_object


def _text(value: str, field: str, limit: int, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise FieldError(field, _("This field is required."))
    if len(value) > limit:
        raise FieldError(field, _("At most %(n)d characters.") % {"n": limit})
    return value


def do_start_remote_session(
    *, device_id: int, channel: str, alarm_id: int | None = None, summary: str = "", actor: Any
) -> RemoteSession:
    """Open a remote session on a device, optionally about one of its alarms."""
    require(actor, perms.REMOTE)
    require_person(actor)  # a session names the engineer who worked on the device
    if channel not in RemoteChannel.values:
        raise FieldError("channel", _("Unknown remote channel."))
    summary = _text(summary, "summary", 2000, required=False)
    with transaction.atomic():
        device = device_for(actor, device_id)
        if alarm_id is not None and not Alarm.objects.filter(pk=alarm_id, device=device).exists():
            raise FieldError("alarm_id", _("The alarm is not one of this device's."))
        session = RemoteSession.objects.create(
            device=device,
            alarm_id=alarm_id,
            engineer=user_of(actor),
            channel=channel,
            started_at=timezone.now(),
            summary=summary,
        )
        record_event(
            action="devices.start_remote_session",
            actor=actor,
            obj=session,
            after={"device_id": device.pk, "channel": channel, "alarm_id": alarm_id},
        )
    return session


def _open_session(actor: Any, session_id: int) -> RemoteSession:
    session = get_scoped_object(
        RemoteSession.objects.select_for_update(of=("self",)).select_related("device"), actor, pk=session_id
    )
    if session.outcome != RemoteSessionOutcome.IN_PROGRESS:
        raise Conflict(_("The remote session has ended."), code="session_ended")
    return session


def do_record_remote_action(*, session_id: int, action: str, result: str = "", actor: Any) -> RemoteAction:
    """Log one command or step taken on the device in a running session, with its result."""
    require(actor, perms.REMOTE)
    action = _text(action, "action", 200, required=True)
    result = _text(result, "result", 200, required=False)
    with transaction.atomic():
        session = _open_session(actor, session_id)
        step = RemoteAction.objects.create(
            session=session, taken_at=timezone.now(), action=action, result=result
        )
        record_event(
            action="devices.record_remote_action",
            actor=actor,
            obj=session,
            after={"action": action, "result": result, "remote_action_id": step.pk},
        )
    return step


def do_end_remote_session(*, session_id: int, outcome: str, summary: str = "", actor: Any) -> RemoteSession:
    """Close a session with its outcome: resolved remotely, escalated on site, or no fault found."""
    require(actor, perms.REMOTE)
    if outcome not in RemoteSessionOutcome.values or outcome == RemoteSessionOutcome.IN_PROGRESS:
        raise FieldError("outcome", _("Choose how the session ended."))
    summary = _text(summary, "summary", 2000, required=outcome != RemoteSessionOutcome.NO_FAULT)
    with transaction.atomic():
        session = _open_session(actor, session_id)
        session.outcome = outcome
        session.ended_at = timezone.now()
        session.summary = summary or session.summary
        session.save(update_fields=["outcome", "ended_at", "summary"])
        record_event(
            action="devices.end_remote_session",
            actor=actor,
            obj=session,
            after={"outcome": outcome, "summary": session.summary, "actions": session.actions.count()},
        )
    return session
