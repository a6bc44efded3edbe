"""Role grants under dual control: the maker never approves their own request."""

from __future__ import annotations

import pytest

from bastion.audit.models import AuditEvent
from bastion.identity import actions
from bastion.identity.choices import ApprovalStatus
from bastion.identity.models import UserRole
from bastion.platform.errors import PermissionDenied


def test_role_grant_needs_a_second_person(world):
    admin = world.users["admin_hq"]
    checker = world.users["compliance_hq"]
    target = world.users["onsite_engineer"]
    request = actions.do_request_role_grant(
        user_id=target.pk, role_code="remote_engineer", reason="covers remote desk", actor=admin
    )
    assert not UserRole.objects.filter(user=target, role__code="remote_engineer").exists()
    with pytest.raises(PermissionDenied) as refused:
        actions.do_approve_request(request_id=request.pk, actor=admin)
    assert refused.value.code == "self_approval"
    approved = actions.do_approve_request(request_id=request.pk, note="ok", actor=checker)
    assert approved.status == ApprovalStatus.APPROVED
    assert UserRole.objects.filter(user=target, role__code="remote_engineer", approved_by=checker).exists()
    actions_logged = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions_logged[-3:] == ["approval.submitted", "identity.role_granted", "approval.approved"]


def test_expired_requests_cannot_be_approved_and_are_closed_by_the_scheduler(world):
    from datetime import timedelta

    from django.utils import timezone

    from bastion.identity.models import ApprovalRequest
    from bastion.identity.tasks import expire_approval_requests
    from bastion.platform.errors import Conflict

    request = actions.do_request_role_grant(
        user_id=world.users["onsite_engineer"].pk,
        role_code="remote_engineer",
        reason="cover",
        actor=world.users["admin_hq"],
    )
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict):
        actions.do_approve_request(request_id=request.pk, actor=world.users["compliance_hq"])
    expire_approval_requests.call_local()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.EXPIRED
    assert AuditEvent.objects.filter(action="approval.expired", object_id=str(request.pk)).exists()


def test_checker_needs_the_permission_and_the_scope(world):
    request = actions.do_request_role_grant(
        user_id=world.users["onsite_engineer"].pk,
        role_code="remote_engineer",
        reason="cover",
        actor=world.users["admin_hq"],
    )
    # An auditor may not approve role grants at all.
    with pytest.raises(PermissionDenied):
        actions.do_approve_request(request_id=request.pk, actor=world.users["auditor_hq"])
    # The maker can cancel; a cancelled request cannot be approved.
    actions.do_cancel_request(request_id=request.pk, actor=world.users["admin_hq"])
    from bastion.platform.errors import Conflict

    with pytest.raises(Conflict):
        actions.do_approve_request(request_id=request.pk, actor=world.users["compliance_hq"])
    assert not UserRole.objects.filter(
        user=world.users["onsite_engineer"], role__code="remote_engineer"
    ).exists()
