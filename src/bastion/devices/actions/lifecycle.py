"""Device lifecycle (R2.2, seed 003): every step in order, approvals under dual control.

procurement requested -> [approval] -> approved -> arrived -> commissioning (with a test record)
-> in service <-> under maintenance -> retirement requested -> [appraisal approval] -> retirement
approved -> scrapped. Steps in brackets happen only when a second person approves the request
(bastion.identity.approvals); a step that skips ahead, goes backwards, or lacks its approval is
refused with a message naming the allowed next steps.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.devices import permissions as perms
from bastion.devices.actions._common import device_for, require, require_person, user_of
from bastion.devices.actions.registry import do_create_device
from bastion.devices.choices import LifecycleState
from bastion.devices.models import Device, LifecycleEvent
from bastion.identity.models import ApprovalRequest
from bastion.platform.errors import Conflict, FieldError, NotFound

S = LifecycleState
# Steps a person records directly (the target must be one of these from the current state).
MANUAL_STEPS: dict[str, tuple[str, ...]] = {
    S.APPROVED: (S.ARRIVED,),
    S.ARRIVED: (S.COMMISSIONING,),
    S.COMMISSIONING: (S.IN_SERVICE,),
    S.IN_SERVICE: (S.MAINTENANCE,),
    S.MAINTENANCE: (S.IN_SERVICE,),
    # A retirement request that was rejected or withdrawn returns the device to service.
    S.RETIREMENT_REQUESTED: (S.IN_SERVICE,),
    S.RETIREMENT_APPROVED: (S.SCRAPPED,),
}
# Steps that only an approved request takes: (from, to) -> approval kind.
APPROVED_STEPS: dict[tuple[str, str], str] = {
    (S.REQUESTED, S.APPROVED): "devices.procurement",
    (S.RETIREMENT_REQUESTED, S.RETIREMENT_APPROVED): "devices.retirement",
}
RETIRABLE = (S.IN_SERVICE, S.MAINTENANCE)


def _label(state: str) -> str:
    return str(LifecycleState(state).label)


def _record(
    device: Device,
    *,
    to_state: str,
    actor: Any,
    note: str = "",
    test_record: str = "",
    approval_id: int | None = None,
) -> LifecycleEvent:
    before = device.lifecycle_state
    device.lifecycle_state = to_state
    device.save(update_fields=["lifecycle_state", "install_date", "updated_at"])
    event = LifecycleEvent.objects.create(
        device=device,
        from_state=before,
        to_state=to_state,
        actor=user_of(actor),
        occurred_at=timezone.now(),
        note=note,
        test_record=test_record,
        approval_id=approval_id,
    )
    record_event(
        action="devices.lifecycle_step",
        actor=actor,
        obj=device,
        before={"lifecycle_state": before},
        after={"lifecycle_state": to_state, "approval_id": approval_id},
        extra={"note": note[:500]},
    )
    return event


def _pending(kind: str, device_id: int) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(kind=kind, status="pending", payload__device_id=device_id).first()


def do_record_lifecycle_step(
    *,
    device_id: int,
    to_state: str,
    note: str = "",
    test_record: str = "",
    install_date: date | None = None,
    actor: Any,
) -> LifecycleEvent:
    """Take the next lifecycle step by hand; approval steps and skips are refused."""
    require(actor, perms.LIFECYCLE)
    if to_state not in LifecycleState.values:
        raise FieldError("to_state", _("Unknown lifecycle state %(state)s.") % {"state": to_state})
    with transaction.atomic():
        device = device_for(actor, device_id, lock=True)
        current = device.lifecycle_state
        kind = APPROVED_STEPS.get((current, to_state))
        if kind is not None:
            raise Conflict(
                _("%(to)s needs an approved request (dual control); it cannot be recorded directly.")
                % {"to": _label(to_state)},
                code="approval_required",
            )
        allowed = MANUAL_STEPS.get(current, ())
        if to_state not in allowed:
            following = [_label(s) for s in allowed] + [
                _label(t) for (f, t) in APPROVED_STEPS if f == current
            ]
            raise Conflict(
                _("A device cannot go from %(from)s to %(to)s; the next step is: %(next)s.")
                % {
                    "from": _label(current),
                    "to": _label(to_state),
                    "next": ", ".join(following) or _("none (the device is scrapped)"),
                },
                code="lifecycle_step_refused",
            )
        if current == S.COMMISSIONING and not test_record.strip():
            raise FieldError("test_record", _("Commissioning ends with the acceptance test record."))
        if current == S.RETIREMENT_REQUESTED and _pending("devices.retirement", device.pk):
            raise Conflict(
                _("The retirement request is still pending; cancel or reject it first."),
                code="approval_pending",
            )
        if to_state == S.IN_SERVICE and current == S.COMMISSIONING and device.install_date is None:
            device.install_date = install_date or timezone.localdate()
        return _record(
            device, to_state=to_state, actor=actor, note=note.strip(), test_record=test_record.strip()
        )


def do_request_procurement(
    *, reason: str, actor: Any, **device_fields: Any
) -> tuple[Device, ApprovalRequest]:
    """Register a device as a procurement request and ask a second person to approve it."""
    from bastion.identity.actions import approvals

    require(actor, perms.LIFECYCLE)
    require_person(actor)
    if not (reason or "").strip():
        raise FieldError("reason", _("Give the reason for the procurement."))
    if actor is not None and not actor.branch_scope().allows(device_fields.get("branch_id")):
        raise FieldError("branch_id", _("Unknown branch."))
    with transaction.atomic():
        device = do_create_device(**device_fields, lifecycle_state=S.REQUESTED, actor=None)
        LifecycleEvent.objects.create(
            device=device,
            to_state=S.REQUESTED,
            actor=user_of(actor),
            occurred_at=timezone.now(),
            note=reason.strip(),
        )
        request = approvals.do_submit_request(
            kind="devices.procurement",
            payload={"device_id": device.pk},
            summary=f"{device.asset_tag} {device.vendor} {device.model}",
            reason=reason,
            branch=device.branch,
            actor=actor,
        )
    return device, request


def do_request_retirement(*, device_id: int, reason: str, actor: Any) -> ApprovalRequest:
    """Apply for retirement: the device moves to "retirement requested" pending the appraisal."""
    from bastion.identity.actions import approvals

    require(actor, perms.LIFECYCLE)
    require_person(actor)
    if not (reason or "").strip():
        raise FieldError("reason", _("Give the reason for the retirement (appraisal findings)."))
    with transaction.atomic():
        device = device_for(actor, device_id, lock=True)
        if device.lifecycle_state not in RETIRABLE:
            raise Conflict(
                _("Only a device in service or under maintenance can be put up for retirement."),
                code="lifecycle_step_refused",
            )
        _record(device, to_state=S.RETIREMENT_REQUESTED, actor=actor, note=reason.strip())
        return approvals.do_submit_request(
            kind="devices.retirement",
            payload={"device_id": device.pk},
            summary=f"{device.asset_tag} {device.name}",
            reason=reason,
            branch=device.branch,
            actor=actor,
        )


def _apply(request: ApprovalRequest, checker: Any, *, expected: str, to_state: str) -> dict[str, Any]:
    device = Device.objects.select_for_update().filter(pk=request.payload.get("device_id")).first()
    if device is None:
        raise NotFound(_("The device of this request no longer exists."))
    if device.lifecycle_state != expected:
        raise Conflict(
            _("The device is %(state)s now; the request no longer applies.")
            % {"state": _label(device.lifecycle_state)},
            code="lifecycle_step_refused",
        )
    event = _record(
        device,
        to_state=to_state,
        actor=checker,
        note=request.decision_note or request.reason,
        approval_id=request.pk,
    )
    return {"device_id": device.pk, "lifecycle_event_id": event.pk}


def apply_procurement(request: ApprovalRequest, checker: Any) -> dict[str, Any]:
    return _apply(request, checker, expected=S.REQUESTED, to_state=S.APPROVED)


def apply_retirement(request: ApprovalRequest, checker: Any) -> dict[str, Any]:
    return _apply(request, checker, expected=S.RETIREMENT_REQUESTED, to_state=S.RETIREMENT_APPROVED)


def validate_device_payload(payload: dict[str, Any]) -> None:
    if not isinstance(payload.get("device_id"), int):
        raise FieldError("device_id", _("The request names no device."))
