"""TOTP enrolment and verification, with hashed one-time recovery codes."""

from __future__ import annotations

import secrets

import pyotp
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.identity.models import RecoveryCode, User, is_same_person
from bastion.platform.errors import Conflict, FieldError, PermissionDenied
from bastion.platform.scoping import get_scoped_object

ISSUER = "Bastion"
RECOVERY_CODE_COUNT = 10
TOTP_VALID_WINDOW = 1  # accept the previous and next 30-second step for clock drift


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=make_password(code)) for code in codes)
    return codes


def _matching_step(user: User, code: str) -> int | None:
    """The TOTP time step the code belongs to, or None; steps already used are refused (replay)."""
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6 or not user.totp_secret:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    now_step = int(timezone.now().timestamp()) // totp.interval
    for step in range(now_step - TOTP_VALID_WINDOW, now_step + TOTP_VALID_WINDOW + 1):
        if step > user.last_totp_step and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def do_begin_totp_enrolment(*, user: User) -> str:
    """Give the user a fresh, unconfirmed TOTP secret; returns the otpauth:// URI for the QR code."""
    if user.mfa_enrolled:
        raise Conflict(_("MFA is already enrolled; reset it first."))
    with transaction.atomic():
        user.totp_secret = pyotp.random_base32()
        user.save(update_fields=["totp_secret"])
        record_event(action="identity.mfa_enrolment_started", actor=user, obj=user)
    return provisioning_uri(user)


def do_confirm_totp_enrolment(*, user: User, code: str) -> list[str]:
    """Confirm enrolment with a first valid code; returns the recovery codes, shown only once."""
    if user.mfa_enrolled:
        raise Conflict(_("MFA is already enrolled."))
    step = _matching_step(user, code)
    if step is None:
        raise FieldError("code", _("That code is not valid; check the time on your device."))
    with transaction.atomic():
        user.totp_confirmed_at = timezone.now()
        user.last_totp_step = step
        user.save(update_fields=["totp_confirmed_at", "last_totp_step"])
        codes = _new_recovery_codes(user)
        record_event(action="identity.mfa_enrolled", actor=user, obj=user)
    return codes


def do_verify_second_factor(*, user: User, code: str) -> str | None:
    """Check a TOTP code or an unused recovery code; returns the method used, or None if wrong."""
    step = _matching_step(user, code)
    if step is not None:
        with transaction.atomic():
            updated = User.objects.filter(pk=user.pk, last_totp_step__lt=step).update(last_totp_step=step)
            if updated:
                user.last_totp_step = step
                return "totp"
        return None
    candidate = code.strip().lower()
    with transaction.atomic():
        for recovery in RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True):
            if check_password(candidate, recovery.code_hash):
                recovery.used_at = timezone.now()
                recovery.save(update_fields=["used_at"])
                left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
                record_event(
                    action="identity.recovery_code_used", actor=user, obj=user, extra={"remaining": left}
                )
                return "recovery_code"
    return None


def do_regenerate_recovery_codes(*, user: User, code: str) -> list[str]:
    """Replace all recovery codes after proving possession of the authenticator."""
    if _matching_step(user, code) is None:
        raise FieldError("code", _("That code is not valid."))
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record_event(action="identity.recovery_codes_regenerated", actor=user, obj=user)
    return codes


def do_reset_mfa(*, user_id: int, reason: str, actor: User) -> None:
    """An administrator clears a user's MFA (lost phone); the user enrols again at next sign-in."""
    if not actor.has_permission("identity.manage_users"):
        raise PermissionDenied(_("You may not reset MFA."))
    if not reason.strip():
        raise FieldError("reason", _("Give the reason for the reset."))
    with transaction.atomic():
        user = get_scoped_object(User.objects.select_for_update(), actor, pk=user_id)
        if is_same_person(actor, user):
            raise PermissionDenied(_("You cannot reset your own MFA."))
        user.totp_secret = ""
        user.totp_confirmed_at = None
        user.save(update_fields=["totp_secret", "totp_confirmed_at"])
        RecoveryCode.objects.filter(user=user).delete()
        record_event(action="identity.mfa_reset", actor=actor, obj=user, extra={"reason": reason.strip()})
