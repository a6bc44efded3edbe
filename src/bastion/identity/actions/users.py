"""User administration and the login bookkeeping (failures, lockout)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.identity.models import Branch, User, is_same_person
from bastion.platform.errors import Conflict, FieldError, PermissionDenied
from bastion.platform.scoping import get_scoped_object

PROFILE_FIELDS = ("full_name", "email", "employee_no", "home_branch_id", "institution_wide", "is_active")


def _profile(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in PROFILE_FIELDS} | {"username": user.username}


def _require(actor: User, code: str) -> None:
    if not actor.has_permission(code):
        raise PermissionDenied(_("You lack the permission %(code)s.") % {"code": code})


def _check_branch(actor: User, branch_id: int | None) -> Branch | None:
    if branch_id is None:
        return None
    branch = Branch.objects.filter(pk=branch_id).first()
    if branch is None or not actor.branch_scope().allows(branch.pk):
        raise FieldError("home_branch_id", _("Unknown branch."))
    return branch


def do_create_user(
    *,
    username: str,
    full_name: str,
    password: str,
    email: str = "",
    phone: str = "",
    employee_no: str = "",
    home_branch_id: int | None = None,
    institution_wide: bool = False,
    actor: User | None,
) -> User:
    """Create a member of staff with no role; roles come only through approved grants."""
    if actor is not None:
        _require(actor, "identity.manage_users")
        _check_branch(actor, home_branch_id)
        if institution_wide and not actor.branch_scope().all_branches:
            raise PermissionDenied(_("Only institution-wide administrators create institution-wide users."))
    username = username.strip()
    if not username:
        raise FieldError("username", _("A user name is required."))
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(_("The user name %(name)s is taken.") % {"name": username}, code="username_taken")
    candidate = User(username=username, full_name=full_name.strip(), email=email.strip())
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise FieldError("password", " ".join(exc.messages)) from exc
    with transaction.atomic():
        user = User(
            username=username,
            full_name=full_name.strip(),
            email=email.strip(),
            phone=phone.strip(),
            employee_no=employee_no.strip(),
            home_branch_id=home_branch_id,
            institution_wide=institution_wide,
        )
        user.set_password(password)
        user.save()
        record_event(action="identity.user_created", actor=actor, obj=user, after=_profile(user))
    return user


def do_update_user(*, user_id: int, changes: dict[str, Any], actor: User) -> User:
    """Change profile fields of a user in the actor's scope."""
    _require(actor, "identity.manage_users")
    unknown = set(changes) - set(PROFILE_FIELDS) - {"phone"}
    if unknown:
        raise FieldError(sorted(unknown)[0], _("This field cannot be changed here."))
    if "home_branch_id" in changes:
        _check_branch(actor, changes["home_branch_id"])
    if changes.get("institution_wide") and not actor.branch_scope().all_branches:
        raise PermissionDenied(_("Only institution-wide administrators grant institution-wide scope."))
    with transaction.atomic():
        user = get_scoped_object(User.objects.select_for_update(), actor, pk=user_id)
        if is_same_person(actor, user) and changes.get("is_active") is False:
            raise Conflict(_("You cannot deactivate yourself."))
        before = _profile(user)
        for name, value in changes.items():
            setattr(user, name, value.strip() if isinstance(value, str) else value)
        user.save()
        record_event(
            action="identity.user_updated",
            actor=actor,
            obj=user,
            before=before,
            after=_profile(user),
            extra={"phone_changed": "phone" in changes},
        )
    return user


def do_set_password(*, user: User, new_password: str, actor: User) -> None:
    """Set a password after validating its strength."""
    if not is_same_person(actor, user):
        _require(actor, "identity.manage_users")
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise FieldError("password", " ".join(exc.messages)) from exc
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record_event(action="identity.password_changed", actor=actor, obj=user)


def do_record_login_failure(*, username: str, reason: str) -> User | None:
    """Count a failed sign-in; lock the account once the configured threshold is reached."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username__iexact=username.strip()).first()
        if user is None:
            record_event(
                action="identity.login_failed",
                actor=None,
                extra={"username": username[:150], "reason": reason},
            )
            return None
        User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count", "locked_until"])
        record_event(
            action="identity.login_failed",
            actor=None,
            obj=user,
            extra={"reason": reason, "failures": user.failed_login_count},
        )
        if user.failed_login_count >= settings.BASTION_LOCKOUT_THRESHOLD and not user.is_locked():
            user.locked_until = timezone.now() + timedelta(minutes=settings.BASTION_LOCKOUT_MINUTES)
            user.save(update_fields=["locked_until"])
            record_event(
                action="identity.user_locked",
                actor=None,
                obj=user,
                after={"locked_until": user.locked_until.isoformat()},
                extra={"failures": user.failed_login_count},
            )
    return user


def do_record_login_success(*, user: User, method: str) -> None:
    """Reset the failure counter and record the sign-in (``method``: password, totp, recovery_code)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            failed_login_count=0, locked_until=None, last_login=timezone.now()
        )
        record_event(action="identity.login_succeeded", actor=user, obj=user, extra={"method": method})


def do_record_logout(*, user: User) -> None:
    """Record that a person signed out of the console."""
    with transaction.atomic():
        record_event(action="identity.logout", actor=user, obj=user)


def do_unlock_user(*, user_id: int, actor: User) -> User:
    """Lift a lockout before it expires."""
    _require(actor, "identity.manage_users")
    with transaction.atomic():
        user = get_scoped_object(User.objects.select_for_update(), actor, pk=user_id)
        before = {"locked_until": user.locked_until.isoformat() if user.locked_until else None}
        user.locked_until = None
        user.failed_login_count = 0
        user.save(update_fields=["locked_until", "failed_login_count"])
        record_event(action="identity.user_unlocked", actor=actor, obj=user, before=before)
    return user
