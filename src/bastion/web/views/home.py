"""The home page: what waits for the user, who they are in the system, and recent activity."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bastion.identity import services
from bastion.identity.choices import ApprovalStatus
from bastion.identity.models import User
from bastion.web.http import console_view

RECENT_EVENTS = 8


def _recent_events(user: User) -> list[object]:
    if not user.has_permission("audit.view_trail"):
        return []
    from bastion.audit.services import search_events

    return list(search_events(principal=user)[:RECENT_EVENTS])


@console_view()
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    may_approve = user.has_permission("approvals.view")
    scope = user.branch_scope()
    context = {
        "may_approve": may_approve,
        "inbox_count": services.inbox_for(user).count() if may_approve else 0,
        "my_pending_count": services.list_approvals(user)
        .filter(maker=user, status=ApprovalStatus.PENDING)
        .count(),
        "roles": [assignment.role for assignment in user.user_roles.select_related("role")],
        "all_branches": scope.all_branches,
        "branches": [] if scope.all_branches else list(services.list_branches(user)),
        "events": _recent_events(user),
        "may_view_audit": user.has_permission("audit.view_trail"),
    }
    return render(request, "web/home.html", context)
