"""Lockout, TOTP (with replay guard), recovery codes, token expiry and revocation, through the actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import override_settings
from django.utils import timezone

from bastion.audit.models import AuditEvent
from bastion.identity import actions, services
from bastion.identity.models import User
from bastion.platform.errors import Conflict, FieldError, PermissionDenied
from tests.factories import PASSWORD, make_user, totp_now


@override_settings(BASTION_LOCKOUT_THRESHOLD=3, BASTION_LOCKOUT_MINUTES=15)
def test_account_locks_after_repeated_failures_and_is_logged(world):
    user = world.users["onsite_engineer"]
    for _ in range(3):
        assert authenticate(username=user.username, password="wrong") is None
        actions.do_record_login_failure(username=user.username, reason="bad_password")
    user.refresh_from_db()
    assert user.is_locked()
    # Even the right password is refused while locked.
    assert authenticate(username=user.username, password=PASSWORD) is None
    logged = list(AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))
    assert logged.count("identity.login_failed") == 3
    assert "identity.user_locked" in logged
    actions.do_unlock_user(user_id=user.pk, actor=world.users["admin_hq"])
    assert authenticate(username=user.username, password=PASSWORD) is not None


def test_lock_expires_by_itself(world):
    user = world.users["onsite_engineer"]
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert authenticate(username=user.username, password=PASSWORD) is not None


def test_unknown_user_failure_is_logged_without_revealing_anything(db):
    assert actions.do_record_login_failure(username="nobody", reason="unknown_user") is None
    assert AuditEvent.objects.filter(action="identity.login_failed", extra__username="nobody").exists()


def test_totp_enrolment_and_replay_guard(db, clock):
    user = make_user("newbie", mfa=False)
    uri = actions.do_begin_totp_enrolment(user=user)
    assert uri.startswith("otpauth://totp/Bastion:newbie")
    with pytest.raises(FieldError) as bad:
        actions.do_confirm_totp_enrolment(
            user=user, code="000000" if totp_now(user) != "000000" else "111111"
        )
    assert bad.value.fields == {"code": [bad.value.message]}
    codes = actions.do_confirm_totp_enrolment(user=user, code=totp_now(user, offset_steps=-1))
    assert len(codes) == 10 and len(set(codes)) == 10
    # The step used to confirm, and older ones, are spent; the current step works once only.
    assert actions.do_verify_second_factor(user=user, code=totp_now(user, offset_steps=-1)) is None
    assert actions.do_verify_second_factor(user=user, code=totp_now(user)) == "totp"
    assert actions.do_verify_second_factor(user=user, code=totp_now(user)) is None
    clock.advance(seconds=30)  # the next time step brings a fresh code
    assert actions.do_verify_second_factor(user=user, code=totp_now(user)) == "totp"
    with pytest.raises(Conflict):
        actions.do_begin_totp_enrolment(user=user)


def test_recovery_codes_work_once(db, clock):
    user = make_user("phone_lost", mfa=False)
    actions.do_begin_totp_enrolment(user=user)
    codes = actions.do_confirm_totp_enrolment(user=user, code=totp_now(user))
    assert actions.do_verify_second_factor(user=user, code=codes[3]) == "recovery_code"
    assert actions.do_verify_second_factor(user=user, code=codes[3]) is None
    assert actions.do_verify_second_factor(user=user, code="deadbeef-deadbeef") is None
    assert AuditEvent.objects.filter(action="identity.recovery_code_used", extra__remaining=9).exists()


def test_token_expiry_and_revocation(world):
    admin = world.users["admin_hq"]
    token, secret = actions.do_issue_token(
        name="core-banking",
        permissions=["identity.view_organisation"],
        branch_ids=[world.branch_a.pk],
        all_branches=False,
        expires_at=timezone.now() + timedelta(days=30),
        actor=admin,
    )
    assert token.digest != secret and secret not in str(
        AuditEvent.objects.values_list("after", flat=True)[::1]
    )
    assert services.authenticate_token(secret) == token
    assert services.authenticate_token(secret + "x") is None
    scope = token.branch_scope()
    assert scope.allows(world.branch_a.pk) and not scope.allows(world.branch_b.pk)
    assert token.has_permission("identity.view_organisation")
    assert not token.has_permission("identity.manage_users")  # the owner has it, the token does not
    # Expired tokens are refused.
    type(token).objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.authenticate_token(secret) is None
    type(token).objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert services.authenticate_token(secret) == token
    actions.do_revoke_token(token_id=token.pk, reason="rotated", actor=admin)
    assert services.authenticate_token(secret) is None


def test_token_cannot_exceed_its_issuer(world):
    manager = world.users["admin_hq"]
    with pytest.raises(FieldError) as refused:
        actions.do_issue_token(
            name="x",
            permissions=["audit.view_trail"],  # administrators cannot read the audit trail
            branch_ids=[],
            all_branches=True,
            expires_at=timezone.now() + timedelta(days=1),
            actor=manager,
        )
    assert "permissions" in refused.value.fields
    with pytest.raises(PermissionDenied):
        actions.do_issue_token(
            name="x",
            permissions=["identity.view_organisation"],
            branch_ids=[world.branch_a.pk],
            all_branches=False,
            expires_at=timezone.now() + timedelta(days=1),
            actor=world.users["onsite_engineer"],
        )


def test_privileged_roles_require_mfa(world):
    assert world.users["administrator"].requires_mfa
    assert world.users["auditor"].requires_mfa
    assert not world.users["onsite_engineer"].requires_mfa


def test_passwords_are_hashed_with_argon2(db):
    user = make_user("hashed")
    assert user.password.startswith("argon2$argon2id$")
    from bastion import settings as production_settings

    assert production_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
