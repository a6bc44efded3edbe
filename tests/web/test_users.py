"""User and role administration, API tokens and self-service pages of the console."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from bastion.audit.models import AuditEvent
from bastion.identity.models import ApiToken, User, UserRole
from tests.factories import PASSWORD, make_user, totp_now
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]
NEW_PASSWORD = "Another-Long-Passphrase-42"


def test_user_list_is_scoped_and_filtered(console, world):
    manager_a = console("branch_manager").get("/users/").content.decode()
    assert "onsite_engineer_a" in manager_a and "engineer_b" not in manager_a
    hq = console("admin_hq")
    everyone = hq.get("/users/").content.decode()
    assert "engineer_b" in everyone
    by_branch = hq.get(f"/users/?branch={world.branch_b.pk}").content.decode()
    assert "engineer_b" in by_branch and "onsite_engineer_a" not in by_branch
    by_role = hq.get("/users/?role=auditor").content.decode()
    assert "auditor_hq" in by_role and "engineer_b" not in by_role
    by_text = hq.get("/users/?q=haidian").content.decode()
    assert "No users match." in by_text
    partial = hq.get("/users/?q=engineer_b", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "engineer_b" in partial


def test_locked_filter(console, world):
    User.objects.filter(pk=world.users["engineer_b"].pk).update(
        locked_until=timezone.now() + dt.timedelta(minutes=5)
    )
    html = console("admin_hq").get("/users/?status=locked").content.decode()
    assert "engineer_b" in html and "auditor_hq" not in html


def test_user_detail_outside_scope_is_not_found(console, world):
    assert console("branch_manager").get(f"/users/{world.users['engineer_b'].pk}/").status_code == 404
    assert console("branch_manager").get(f"/users/{world.users['onsite_engineer'].pk}/").status_code == 200


def test_user_detail_masks_the_phone_and_shows_status(console, world):
    target = world.users["onsite_engineer"]
    target.phone = "13812345678"
    target.save()
    html = console("admin_hq").get(f"/users/{target.pk}/").content.decode()
    assert "138****5678" in html and "13812345678" not in html
    assert "Enrolled" in html
    assert "On-site engineer" in html
    assert not AuditEvent.objects.filter(action__startswith="read.").exists()


def test_unmasked_phone_is_shown_to_compliance_and_logged(console, world):
    target = world.users["onsite_engineer"]
    target.phone = "13812345678"
    target.save()
    html = console("compliance_hq").get(f"/users/{target.pk}/").content.decode()
    assert "13812345678" in html
    read = AuditEvent.objects.get(action="read.pii.phone")
    assert read.actor_label == "compliance_hq" and read.object_id == str(target.pk)


def test_create_user_with_errors_then_success(console, world):
    client = console("admin_hq")
    weak = client.post(
        "/users/new/",
        {"username": "zhang.wei", "full_name": "张伟", "password1": "short", "password2": "short"},
    )
    assert weak.status_code == 200
    assert "This password is too short" in weak.content.decode()
    mismatch = client.post(
        "/users/new/",
        {"username": "zhang.wei", "full_name": "张伟", "password1": NEW_PASSWORD, "password2": "other"},
    )
    assert "The two passwords differ." in mismatch.content.decode()
    taken = client.post(
        "/users/new/",
        {"username": "ADMIN_HQ", "full_name": "x", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert "The user name ADMIN_HQ is taken." in taken.content.decode()
    assert not User.objects.filter(username="zhang.wei").exists()
    created = client.post(
        "/users/new/",
        {
            "username": "zhang.wei",
            "full_name": "张伟",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "home_branch": world.branch_a.pk,
            "phone": "13900001111",
        },
        follow=True,
    )
    user = User.objects.get(username="zhang.wei")
    assert created.redirect_chain[-1][0] == f"/users/{user.pk}/"
    assert "Request a role grant to give them access." in created.content.decode()
    assert user.home_branch == world.branch_a and user.phone == "13900001111"
    assert not user.user_roles.exists()


def test_branch_scoped_admin_cannot_place_users_outside_scope(console, world):

    make_user("admin_a2", roles=["administrator"], branch=world.branch_a)

    client = sign_in(Client(), User.objects.get(username="admin_a2"))
    client.cookies["bastion_language"] = "en"
    response = client.post(
        "/users/new/",
        {
            "username": "li.na",
            "full_name": "李娜",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "home_branch": world.branch_b.pk,
        },
    )
    assert "Select a valid choice" in response.content.decode()
    assert "institution_wide" not in response.content.decode()
    assert not User.objects.filter(username="li.na").exists()


def test_edit_profile_records_only_changes(console, world):
    target = world.users["engineer_b"]
    client = console("admin_hq")
    page = client.get(f"/users/{target.pk}/edit/").content.decode()
    assert 'value="engineer_b"' in page
    response = client.post(
        f"/users/{target.pk}/edit/",
        {
            "full_name": "王工程师",
            "email": "",
            "employee_no": "E-100",
            "home_branch": world.branch_b.pk,
            "is_active": "on",
        },
        follow=True,
    )
    assert "The profile has been saved." in response.content.decode()
    target.refresh_from_db()
    assert target.full_name == "王工程师" and target.employee_no == "E-100"
    event = AuditEvent.objects.filter(action="identity.user_updated").last()
    assert event.before["full_name"] == "engineer_b" and event.after["full_name"] == "王工程师"
    unchanged = client.post(
        f"/users/{target.pk}/edit/",
        {
            "full_name": "王工程师",
            "email": "",
            "employee_no": "E-100",
            "home_branch": world.branch_b.pk,
            "is_active": "on",
        },
        follow=True,
    )
    assert "Nothing changed." in unchanged.content.decode()


def test_admin_cannot_deactivate_themselves(console, world):
    admin = world.users["admin_hq"]
    response = console("admin_hq").post(
        f"/users/{admin.pk}/edit/", {"full_name": "admin_hq", "email": "", "employee_no": ""}
    )
    assert "You cannot deactivate yourself." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_unlock_reset_mfa_and_revoke(console, world):
    target = world.users["onsite_engineer"]
    User.objects.filter(pk=target.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=10))
    client = console("admin_hq")
    assert 'id="unlock-button"' in client.get(f"/users/{target.pk}/").content.decode()
    client.post(f"/users/{target.pk}/unlock/")
    target.refresh_from_db()
    assert not target.is_locked()

    no_reason = client.post(f"/users/{target.pk}/reset-mfa/", {"reason": ""}, follow=True)
    assert "This field is required." in no_reason.content.decode()
    client.post(f"/users/{target.pk}/reset-mfa/", {"reason": "lost phone"})
    target.refresh_from_db()
    assert not target.mfa_enrolled

    client.post(f"/users/{target.pk}/revoke/", {"role": "onsite_engineer", "reason": "left the team"})
    assert not UserRole.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(action="identity.role_revoked").exists()


def test_manage_actions_need_the_permission(console, world):
    target = world.users["onsite_engineer"]
    auditor = console("auditor_hq")
    assert auditor.post(f"/users/{target.pk}/unlock/").status_code == 403
    assert auditor.post(f"/users/{target.pk}/reset-mfa/", {"reason": "x"}).status_code == 403
    assert (
        auditor.post(f"/users/{target.pk}/revoke/", {"role": "onsite_engineer", "reason": "x"}).status_code
        == 403
    )
    assert auditor.post(f"/users/{target.pk}/grant/", {"role": "auditor", "reason": "x"}).status_code == 403
    assert auditor.get(f"/users/{target.pk}/edit/").status_code == 403
    assert UserRole.objects.filter(user=target).exists()


def test_roles_page_lists_permissions_and_holders_in_scope(console):
    html = console("branch_manager").get("/roles/").content.decode()
    assert 'id="role-administrator"' in html
    assert "Read the audit trail" in html and "audit.view_trail" in html
    assert re.search(r"1 holder in your scope", html)


def test_token_issued_secret_shown_once_then_revoked(console, world):
    client = console("admin_hq")
    expires = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    response = client.post(
        "/tokens/",
        {
            "name": "core-banking",
            "permissions": ["identity.view_users"],
            "all_branches": "on",
            "expires_on": expires,
        },
    )
    html = response.content.decode()
    secret = re.search(r'<code id="token-secret">(bst_[^<]+)</code>', html).group(1)
    token = ApiToken.objects.get(name="core-banking")
    assert secret.startswith(f"bst_{token.prefix}_")
    assert secret not in client.get("/tokens/").content.decode()
    api = client.get("/api/v1/users", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    client.post(f"/tokens/{token.pk}/revoke/", {"reason": "rotated"})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_form_errors_name_the_field(console):
    client = console("admin_hq")
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        "/tokens/",
        {"name": "x", "permissions": ["identity.view_users"], "all_branches": "on", "expires_on": past},
    )
    assert "The expiry must be in the future." in response.content.decode()
    beyond = client.post(
        "/tokens/",
        {"name": "x", "permissions": ["audit.view_trail"], "all_branches": "on", "expires_on": past},
    )
    assert "Select a valid choice" in beyond.content.decode()
    assert not ApiToken.objects.exists()


def test_change_own_password(console, world):
    client = console("onsite_engineer")
    wrong = client.post(
        "/account/password/",
        {"current_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert "The current password is wrong." in wrong.content.decode()
    done = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your password has been changed." in done.content.decode()
    assert client.get("/account/").status_code == 200  # the session survives the change
    assert User.objects.get(pk=world.users["onsite_engineer"].pk).check_password(NEW_PASSWORD)


def test_regenerate_recovery_codes(console, world):
    user = world.users["onsite_engineer"]
    client = console("onsite_engineer")
    wrong = client.post("/account/recovery-codes/", {"code": "000000"})
    assert "That code is not valid." in wrong.content.decode()
    html = client.post("/account/recovery-codes/", {"code": totp_now(user)}).content.decode()
    assert len(re.findall(r"<li><code>[0-9a-f]{8}-[0-9a-f]{8}</code></li>", html)) == 10
    assert "10 unused recovery codes left." in client.get("/account/").content.decode()


def test_self_service_enrolment(console, world):

    user = make_user("clerk", roles=["customer_service_agent"], branch=world.branch_a, mfa=False)
    client = sign_in(Client(), user)
    client.cookies["bastion_language"] = "en"
    assert "Set up MFA" in client.get("/account/").content.decode()
    page = client.get("/account/mfa/").content.decode()
    assert '<svg class="qr"' in page
    user.refresh_from_db()
    client.post("/account/mfa/", {"code": pyotp.TOTP(user.totp_secret).now()})
    user.refresh_from_db()
    assert user.mfa_enrolled
    assert client.get("/account/").status_code == 200  # still signed in: the code counted as MFA
