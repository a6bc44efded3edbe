"""The approvals inbox: maker requests a role grant, a second person decides, with htmx and without."""

from __future__ import annotations

import pytest

from bastion.identity import actions
from bastion.identity.choices import ApprovalStatus
from bastion.identity.models import ApprovalRequest, UserRole

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]
HTMX = {"HX-Request": "true"}


@pytest.fixture
def grant(world) -> ApprovalRequest:
    return actions.do_request_role_grant(
        user_id=world.users["onsite_engineer"].pk,
        role_code="remote_engineer",
        reason="covers the remote desk on weekends",
        actor=world.users["admin_hq"],
    )


def test_console_role_grant_request_shows_pending_approval(console, world):
    target = world.users["onsite_engineer"]
    admin = console("admin_hq")
    response = admin.post(
        f"/users/{target.pk}/grant/", {"role": "remote_engineer", "reason": "weekend cover"}, follow=True
    )
    html = response.content.decode()
    assert "Role grant requested" in html
    assert 'id="pending-grants"' in html and "Pending approval" in html
    assert not UserRole.objects.filter(user=target, role__code="remote_engineer").exists()
    assert ApprovalRequest.objects.get().maker == world.users["admin_hq"]


def test_grant_request_errors_are_explained(console, world):
    target = world.users["onsite_engineer"]
    admin = console("admin_hq")
    no_reason = admin.post(
        f"/users/{target.pk}/grant/", {"role": "remote_engineer", "reason": ""}, follow=True
    )
    assert "This field is required." in no_reason.content.decode()
    held = admin.post(f"/users/{target.pk}/grant/", {"role": "onsite_engineer", "reason": "x"}, follow=True)
    assert "Select a valid choice" in held.content.decode()
    assert not ApprovalRequest.objects.exists()
    admin.post(f"/users/{target.pk}/grant/", {"role": "remote_engineer", "reason": "x"})
    twice = admin.post(f"/users/{target.pk}/grant/", {"role": "remote_engineer", "reason": "x"}, follow=True)
    assert "A request for this grant is already pending." in twice.content.decode()
    assert ApprovalRequest.objects.count() == 1


def test_branch_staff_cannot_request_grants_for_other_branches(console, world):
    manager_a = console("branch_manager")
    response = manager_a.post(
        f"/users/{world.users['engineer_b'].pk}/grant/", {"role": "remote_engineer", "reason": "x"}
    )
    assert response.status_code == 404
    assert not ApprovalRequest.objects.exists()


def test_inbox_lists_what_the_user_may_decide(console, grant):
    checker_inbox = console("compliance_hq").get("/approvals/").content.decode()
    assert f"/approvals/{grant.pk}/" in checker_inbox
    maker_inbox = console("admin_hq").get("/approvals/?tab=inbox").content.decode()
    assert f"/approvals/{grant.pk}/" not in maker_inbox
    maker_own = console("admin_hq").get("/approvals/?tab=mine").content.decode()
    assert f"/approvals/{grant.pk}/" in maker_own
    engineer = console("onsite_engineer").get("/approvals/?tab=all").content.decode()
    assert f"/approvals/{grant.pk}/" not in engineer


def test_filters_and_htmx_partial(console, grant):
    client = console("compliance_hq")
    partial = client.get("/approvals/?tab=all&status=approved", headers=HTMX)
    html = partial.content.decode()
    assert "<html" not in html and "No requests match." in html
    assert "HX-Request" in partial["Vary"]
    pending = client.get("/approvals/?tab=all&status=pending", headers=HTMX).content.decode()
    assert f"/approvals/{grant.pk}/" in pending


def test_detail_shows_payload_maker_and_reason(console, grant, world):
    html = console("compliance_hq").get(f"/approvals/{grant.pk}/").content.decode()
    assert "Role grant" in html
    assert "Remote engineer" in html
    assert f"/users/{world.users['onsite_engineer'].pk}/" in html
    assert "covers the remote desk on weekends" in html
    assert 'id="approve-button"' in html and 'id="reject-button"' in html


def test_maker_cannot_approve_own_request(console, grant):
    client = console("admin_hq")
    html = client.get(f"/approvals/{grant.pk}/").content.decode()
    assert 'id="approve-button"' not in html
    assert "a second person must decide it" in html
    refused = client.post(f"/approvals/{grant.pk}/approve/", {"note": ""}, headers=HTMX)
    assert refused.status_code == 403
    assert "The maker of a request can never approve or reject it." in refused.content.decode()
    grant.refresh_from_db()
    assert grant.status == ApprovalStatus.PENDING
    # Without htmx the refusal comes back as a message on the detail page.
    page = client.post(f"/approvals/{grant.pk}/approve/", {"note": ""}, follow=True)
    assert "The maker of a request can never approve or reject it." in page.content.decode()


def test_checker_approves_with_htmx_and_the_role_is_granted(console, grant, world):
    response = console("compliance_hq").post(f"/approvals/{grant.pk}/approve/", {"note": "ok"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="decision"')
    assert "Approved; the change has been applied." in html
    assert UserRole.objects.filter(
        user=world.users["onsite_engineer"],
        role__code="remote_engineer",
        approved_by=world.users["compliance_hq"],
    ).exists()
    again = console("compliance_hq").post(f"/approvals/{grant.pk}/approve/", {"note": "ok"}, headers=HTMX)
    assert again.status_code == 409
    assert "This request is already" in again.content.decode()


def test_reject_needs_a_note(console, grant):
    client = console("compliance_hq")
    missing = client.post(f"/approvals/{grant.pk}/reject/", {"note": "  "}, headers=HTMX)
    assert missing.status_code == 422
    assert "Say why the request is rejected." in missing.content.decode()
    grant.refresh_from_db()
    assert grant.status == ApprovalStatus.PENDING
    response = client.post(f"/approvals/{grant.pk}/reject/", {"note": "not needed"}, follow=True)
    assert "Rejected; the maker will see your note." in response.content.decode()
    grant.refresh_from_db()
    assert grant.status == ApprovalStatus.REJECTED and grant.decision_note == "not needed"


def test_maker_withdraws_and_others_cannot(console, grant):
    assert console("compliance_hq").post(f"/approvals/{grant.pk}/cancel/", headers=HTMX).status_code == 403
    response = console("admin_hq").post(f"/approvals/{grant.pk}/cancel/", headers=HTMX)
    assert response.status_code == 200
    grant.refresh_from_db()
    assert grant.status == ApprovalStatus.CANCELLED


def test_requests_outside_scope_are_not_found(console, world):
    request_b = actions.do_request_role_grant(
        user_id=world.users["engineer_b"].pk,
        role_code="remote_engineer",
        reason="branch B cover",
        actor=world.users["branch_manager_b"],
    )
    branch_a_checker = console("compliance_officer")
    assert branch_a_checker.get(f"/approvals/{request_b.pk}/").status_code == 404
    assert branch_a_checker.post(f"/approvals/{request_b.pk}/approve/", {"note": ""}).status_code == 404
    assert console("compliance_hq").get(f"/approvals/{request_b.pk}/").status_code == 200
    assert console("compliance_hq").get("/approvals/999999/").status_code == 404


def test_user_without_approve_permission_sees_no_buttons(console, world):
    own = actions.do_request_role_grant(
        user_id=world.users["onsite_engineer"].pk,
        role_code="remote_engineer",
        reason="x",
        actor=world.users["branch_manager"],
    )
    html = console("branch_manager").get(f"/approvals/{own.pk}/").content.decode()
    assert 'id="approve-button"' not in html and 'id="cancel-button"' in html
