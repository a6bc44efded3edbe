"""Issuing and revoking API tokens for machine callers."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.identity.models import ApiToken, Branch, User
from bastion.identity.permissions import PERMISSIONS
from bastion.identity.services import TOKEN_PREFIX, token_digest
from bastion.platform.errors import FieldError, NotFound, PermissionDenied
from bastion.platform.scoping import scoped

MAX_TOKEN_LIFETIME = timedelta(days=366)


def _validate(
    *,
    name: str,
    permissions: list[str],
    branch_ids: list[int],
    all_branches: bool,
    expires_at: datetime,
    actor: User,
) -> list[Branch]:
    if not name.strip():
        raise FieldError("name", _("Name the token after the system that uses it."))
    if not permissions:
        raise FieldError("permissions", _("A token needs at least one permission."))
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise FieldError("permissions", _("Unknown permission: %(code)s") % {"code": unknown[0]})
    beyond = [p for p in permissions if not actor.has_permission(p)]
    if beyond:
        raise FieldError(
            "permissions", _("You cannot delegate a permission you lack: %(code)s") % {"code": beyond[0]}
        )
    now = timezone.now()
    if expires_at <= now:
        raise FieldError("expires_at", _("The expiry must be in the future."))
    if expires_at - now > MAX_TOKEN_LIFETIME:
        raise FieldError("expires_at", _("Tokens live at most one year."))
    scope = actor.branch_scope()
    if all_branches and not scope.all_branches:
        raise FieldError("all_branches", _("You cannot issue a token wider than your own scope."))
    if not all_branches and not branch_ids:
        raise FieldError("branch_ids", _("Name the branches the token may reach, or all branches."))
    branches = list(Branch.objects.filter(pk__in=branch_ids))
    if len(branches) != len(set(branch_ids)) or not all(scope.allows(b.pk) for b in branches):
        raise FieldError("branch_ids", _("Unknown branch."))
    return branches


def do_issue_token(
    *,
    name: str,
    permissions: list[str],
    branch_ids: list[int],
    all_branches: bool,
    expires_at: datetime,
    actor: User,
) -> tuple[ApiToken, str]:
    """Issue a token owned by the actor; returns it with the secret, which is never stored or shown again."""
    if not actor.has_permission("identity.manage_tokens"):
        raise PermissionDenied(_("You may not issue API tokens."))
    branches = _validate(
        name=name,
        permissions=permissions,
        branch_ids=branch_ids,
        all_branches=all_branches,
        expires_at=expires_at,
        actor=actor,
    )
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name.strip(),
            prefix=prefix,
            digest=token_digest(secret),
            permissions=sorted(set(permissions)),
            all_branches=all_branches,
            owner=actor,
            expires_at=expires_at,
        )
        token.branches.set(branches)
        record_event(
            action="identity.token_issued",
            actor=actor,
            obj=token,
            after={
                "name": token.name,
                "prefix": prefix,
                "permissions": token.permissions,
                "branches": sorted(b.pk for b in branches),
                "all_branches": all_branches,
                "expires_at": expires_at.isoformat(),
            },
        )
    return token, secret


def do_revoke_token(*, token_id: int, reason: str, actor: User) -> ApiToken:
    """Revoke at once; the token is refused from the next request on."""
    if not actor.has_permission("identity.manage_tokens"):
        raise PermissionDenied(_("You may not revoke API tokens."))
    with transaction.atomic():
        token = scoped(ApiToken.objects.select_for_update(), actor).filter(pk=token_id).first()
        if token is None:
            raise NotFound(_("API token not found."))
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = actor
            token.save(update_fields=["revoked_at", "revoked_by"])
            record_event(
                action="identity.token_revoked", actor=actor, obj=token, extra={"reason": reason.strip()}
            )
    return token
