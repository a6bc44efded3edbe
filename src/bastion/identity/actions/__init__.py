"""Every write of the identity app: atomic, each with its audit event in the same transaction."""

from bastion.identity.actions.approvals import (
    do_approve_request,
    do_cancel_request,
    do_expire_requests,
    do_reject_request,
    do_submit_request,
)
from bastion.identity.actions.mfa import (
    do_begin_totp_enrolment,
    do_confirm_totp_enrolment,
    do_regenerate_recovery_codes,
    do_reset_mfa,
    do_verify_second_factor,
)
from bastion.identity.actions.roles import do_request_role_grant, do_revoke_role
from bastion.identity.actions.tokens import do_issue_token, do_revoke_token
from bastion.identity.actions.users import (
    do_create_user,
    do_record_login_failure,
    do_record_login_success,
    do_record_logout,
    do_set_password,
    do_unlock_user,
    do_update_user,
)

__all__ = [
    "do_approve_request",
    "do_begin_totp_enrolment",
    "do_cancel_request",
    "do_confirm_totp_enrolment",
    "do_create_user",
    "do_expire_requests",
    "do_issue_token",
    "do_record_login_failure",
    "do_record_login_success",
    "do_record_logout",
    "do_regenerate_recovery_codes",
    "do_reject_request",
    "do_request_role_grant",
    "do_reset_mfa",
    "do_revoke_role",
    "do_revoke_token",
    "do_set_password",
    "do_submit_request",
    "do_unlock_user",
    "do_update_user",
    "do_verify_second_factor",
]
