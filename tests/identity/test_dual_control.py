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
