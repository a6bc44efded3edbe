"""Generic maker-checker actions: submit, approve (applying the effect), reject, cancel, expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.identity.approvals import approval_kind
from bastion.identity.choices import ApprovalStatus
from bastion.identity.models import ApprovalRequest, Branch, User
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.platform.scoping import scoped


def _snapshot(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "kind": request.kind,
        "status": request.status,
        "payload": request.payload,
        "maker": request.maker_id,
        "checker": request.checker_id,
        "decision_note": request.decision_note,
    }


def do_submit_request(
    *,
    kind: str,
    payload: dict[str, Any],
    summary: str,
    reason: str,
    branch: Branch | None,
    actor: User,
    ttl: timedelta | None = None,
) -> ApprovalRequest:
    """Record a maker's request for a high-risk change; nothing is applied yet."""
    try:
        definition = approval_kind(kind)
    except LookupError as exc:
        raise FieldError("kind", str(exc)) from exc
    _require_person(actor)
    if not reason.strip():
        raise FieldError("reason", _("Give the reason for the request."))
    if definition.validate:
        definition.validate(payload)
    with transaction.atomic():
        request = ApprovalRequest.objects.create(
            kind=kind,
            payload=payload,
            summary=summary[:300],
            reason=reason.strip(),
            branch=branch,
            maker=actor,
            expires_at=timezone.now() + (ttl or timedelta(hours=settings.BASTION_APPROVAL_TTL_HOURS)),
        )
        record_event(action="approval.submitted", actor=actor, obj=request, after=_snapshot(request))
    return request


def _lock_open_request(request_id: int, actor: User) -> ApprovalRequest:
    """Fetch and lock a pending request the actor can see, or refuse clearly."""
    queryset = scoped(ApprovalRequest.objects.select_for_update(), actor)
    request = queryset.filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("Approval request not found."))
    if request.status != ApprovalStatus.PENDING:
        raise Conflict(_("This request is already %(status)s.") % {"status": request.get_status_display()})
    if request.expires_at <= timezone.now():
        raise Conflict(_("This request has expired."))
    return request


def _require_person(actor: object) -> None:
    # Dual control means two accountable people; a machine token can neither make nor check.
    if not isinstance(actor, User):
        raise PermissionDenied(_("Only a signed-in person can do this."), code="person_required")


def _check_checker(request: ApprovalRequest, actor: User) -> None:
    _require_person(actor)
    if request.maker_id == actor.pk:
        raise PermissionDenied(
            _("The maker of a request can never approve or reject it."), code="self_approval"
        )
    if not actor.has_permission(approval_kind(request.kind).approve_permission):
        raise PermissionDenied(_("You may not decide requests of this kind."))


def do_approve_request(*, request_id: int, note: str = "", actor: User) -> ApprovalRequest:
    """Approve as checker and apply the registered effect, atomically with both audit events."""
    with transaction.atomic():
        request = _lock_open_request(request_id, actor)
        _check_checker(request, actor)
        before = _snapshot(request)
        result = approval_kind(request.kind).apply(request, actor)
        request.status = ApprovalStatus.APPROVED
        request.checker = actor
        request.decision_note = note.strip()
        request.decided_at = timezone.now()
        request.result = result or {}
        request.save()
        record_event(
            action="approval.approved", actor=actor, obj=request, before=before, after=_snapshot(request)
        )
    return request


def do_reject_request(*, request_id: int, note: str, actor: User) -> ApprovalRequest:
    """Reject as checker; a reason is required so the maker learns why."""
    if not note.strip():
        raise FieldError("note", _("Say why the request is rejected."))
    with transaction.atomic():
        request = _lock_open_request(request_id, actor)
        _check_checker(request, actor)
        before = _snapshot(request)
        request.status = ApprovalStatus.REJECTED
        request.checker = actor
        request.decision_note = note.strip()
        request.decided_at = timezone.now()
        request.save()
        record_event(
            action="approval.rejected", actor=actor, obj=request, before=before, after=_snapshot(request)
        )
    return request


def do_cancel_request(*, request_id: int, actor: User) -> ApprovalRequest:
    """The maker withdraws their own pending request."""
    with transaction.atomic():
        _require_person(actor)
        request = _lock_open_request(request_id, actor)
        if request.maker_id != actor.pk:
            raise PermissionDenied(_("Only the maker can cancel a request."))
        before = _snapshot(request)
        request.status = ApprovalStatus.CANCELLED
        request.decided_at = timezone.now()
        request.save()
        record_event(
            action="approval.cancelled", actor=actor, obj=request, before=before, after=_snapshot(request)
        )
    return request


def do_expire_requests() -> int:
    """Mark pending requests past their expiry as expired (run by the scheduler)."""
    now = timezone.now()
    expired = 0
    with transaction.atomic():
        for request in ApprovalRequest.objects.select_for_update().filter(
            status=ApprovalStatus.PENDING, expires_at__lte=now
        ):
            before = _snapshot(request)
            request.status = ApprovalStatus.EXPIRED
            request.decided_at = now
            request.save(update_fields=["status", "decided_at"])
            record_event(
                action="approval.expired", actor=None, obj=request, before=before, after=_snapshot(request)
            )
            expired += 1
    return expired
