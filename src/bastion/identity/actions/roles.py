"""Role grants (under dual control) and revocations."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.identity.choices import ApprovalStatus
from bastion.identity.models import ApprovalRequest, Role, User, UserRole
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.platform.scoping import get_scoped_object


def validate_role_grant(payload: dict[str, Any]) -> None:
    if not isinstance(payload.get("user_id"), int):
        raise FieldError("user_id", _("Name the user by id."))
    if not Role.objects.filter(code=payload.get("role")).exists():
        raise FieldError("role", _("Unknown role."))


def do_request_role_grant(*, user_id: int, role_code: str, reason: str, actor: User) -> ApprovalRequest:
    """Ask for a role to be granted; it takes effect only when a second person approves."""
    from bastion.identity.actions.approvals import do_submit_request

    if not actor.has_permission("identity.request_role_grant"):
        raise PermissionDenied(_("You may not request role grants."))
    target = get_scoped_object(User.objects.all(), actor, pk=user_id)
    role = Role.objects.filter(code=role_code).first()
    if role is None:
        raise FieldError("role", _("Unknown role %(role)s.") % {"role": role_code})
    if UserRole.objects.filter(user=target, role=role).exists():
        raise Conflict(
            _("%(user)s already holds %(role)s.") % {"user": target, "role": role}, code="already_granted"
        )
    pending = ApprovalRequest.objects.filter(
        kind="identity.role_grant",
        status=ApprovalStatus.PENDING,
        payload__user_id=target.pk,
        payload__role=role.code,
    )
    if pending.exists():
        raise Conflict(_("A request for this grant is already pending."), code="already_pending")
    return do_submit_request(
        kind="identity.role_grant",
        payload={"user_id": target.pk, "role": role.code},
        summary=f"{target.display_name} ← {role.name_zh} / {role.name_en}",
        reason=reason,
        branch=target.home_branch,
        actor=actor,
    )


def apply_role_grant(request: ApprovalRequest, checker: User) -> dict[str, Any]:
    """Effect of an approved role grant; runs inside the approval's transaction."""
    user = User.objects.filter(pk=request.payload["user_id"]).first()
    role = Role.objects.filter(code=request.payload["role"]).first()
    if user is None or role is None:
        raise NotFound(_("The user or role of this request no longer exists."))
    grant, created = UserRole.objects.get_or_create(
        user=user, role=role, defaults={"granted_by": request.maker, "approved_by": checker}
    )
    if created:
        record_event(
            action="identity.role_granted",
            actor=checker,
            obj=user,
            after={
                "role": role.code,
                "maker": request.maker_id,
                "checker": checker.pk,
                "request": request.pk,
            },
        )
    return {"user_role_id": grant.pk, "created": created}


def do_revoke_role(*, user_id: int, role_code: str, reason: str, actor: User) -> None:
    """Take a role away at once: reducing access needs no second person."""
    if not actor.has_permission("identity.manage_users"):
        raise PermissionDenied(_("You may not revoke roles."))
    if not reason.strip():
        raise FieldError("reason", _("Give the reason for the revocation."))
    with transaction.atomic():
        target = get_scoped_object(User.objects.select_for_update(), actor, pk=user_id)
        deleted, _count = UserRole.objects.filter(user=target, role__code=role_code).delete()
        if not deleted:
            raise NotFound(_("%(user)s does not hold that role.") % {"user": target})
        record_event(
            action="identity.role_revoked",
            actor=actor,
            obj=target,
            before={"role": role_code},
            extra={"reason": reason.strip()},
        )
