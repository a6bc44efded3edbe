"""REST API of the servicedesk app (mounted under /api/v1/servicedesk).

Handlers parse, check the permission, call one service or action and render. Every row comes
through :mod:`bastion.platform.scoping`: an order outside the caller's branches is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Status

from bastion.identity.models import User
from bastion.platform.api_helpers import ERRORS, PageQuery, principal_of, require_permission
from bastion.servicedesk import actions, services
from bastion.servicedesk.actions.feedback import feedback_token
from bastion.servicedesk.choices import WorkOrderStatus
from bastion.servicedesk.models import Assignment, WorkOrder
from bastion.servicedesk.permissions import DASHBOARD, DISPATCH, LOG, VIEW
from bastion.servicedesk.schemas import (
    AssignIn,
    DispatchOut,
    FeedbackIn,
    FeedbackOut,
    NoteIn,
    PostmortemIn,
    ReasonIn,
    SatisfactionOut,
    TimelineOut,
    TransitionIn,
    WorkOrderCreateIn,
    WorkOrderDetailOut,
    WorkOrderFilterIn,
    WorkOrderPage,
)

router = Router(tags=["servicedesk"])


def _ref(obj: Any, name: str) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": name}


def render_order(order: WorkOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "branch": {"id": order.branch_id, "name": order.branch.name},
        "device": _ref(order.device, order.device.asset_tag if order.device else ""),
        "assignee": _ref(order.assignee, order.assignee.display_name if order.assignee else ""),
        "team": _ref(order.team, order.team.name if order.team else ""),
        **{
            name: getattr(order, name)
            for name in (
                "kind",
                "channel",
                "priority",
                "status",
                "title",
                "fault_code",
                "reporter_name",
                "support_level",
                "escalation_level",
                "duplicate_of_id",
                "opened_at",
                "first_response_at",
                "resolved_at",
                "closed_at",
                "response_due_at",
                "resolution_due_at",
                "response_breached",
                "resolution_breached",
                "next_due_at",
            )
        },
    }


def render_assignment(assignment: Assignment) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "engineer": {"id": assignment.engineer_id, "name": assignment.engineer.display_name},
        "team": _ref(assignment.team, assignment.team.name if assignment.team else ""),
        "level": assignment.level,
        "mode": assignment.mode,
        "reason": assignment.reason,
        "assigned_at": assignment.assigned_at,
        "candidates": assignment.candidates,
    }


def render_detail(request: HttpRequest, order: WorkOrder, principal: Any) -> dict[str, Any]:
    feedback = getattr(order, "feedback", None)  # the reverse one-to-one raises AttributeError when absent
    resolved = order.status in (WorkOrderStatus.RESOLVED, WorkOrderStatus.CLOSED)
    link = ""
    if resolved and feedback is None and principal.has_permission(LOG):
        link = request.build_absolute_uri(reverse("servicedesk:feedback", args=[feedback_token(order)]))
    return {
        **render_order(order),
        "symptoms": order.symptoms,
        "resolution_summary": order.resolution_summary,
        "root_cause": order.root_cause,
        "prevention": order.prevention,
        "substitute_note": order.substitute_note,
        "clocks": {name: vars(clock) for name, clock in services.clock_views(order).items()},
        "timeline": [render_entry(e) for e in services.list_timeline(work_order=order)],
        "assignments": [
            render_assignment(a)
            for a in order.assignments.select_related("engineer", "team").order_by("assigned_at")
        ],
        "rating": feedback.rating if feedback else None,
        "feedback_url": link,
    }


def render_entry(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "at": entry.at,
        "actor": entry.actor_label,
        "source": entry.source,
        "text": entry.text,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
    }


def _detail(request: HttpRequest, work_order_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    order = services.get_work_order(principal=principal, work_order_id=work_order_id)
    return render_detail(request, order, principal)


@router.get(
    "/work-orders", response={200: WorkOrderPage, **ERRORS}, summary="Work orders in the caller's scope"
)
def list_work_orders(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[WorkOrderFilterIn]
) -> dict[str, Any]:
    """``view=open``, ``mine`` and ``team`` sort by time left to the nearest running deadline;
    ``view=at_risk`` lists running clocks only, the least time left first."""
    principal = principal_of(request)
    require_permission(principal, VIEW)
    assignee_id = filters.assignee_id
    # A token acts for nobody in particular: it has no queue (or team) of its own.
    me = principal.pk if isinstance(principal, User) else -1
    if filters.view == "mine":
        assignee_id = me
    page = services.work_order_page(
        principal=principal,
        page=paging.page,
        page_size=paging.page_size,
        status=filters.status or "",
        priority=filters.priority or "",
        kind=filters.kind or "",
        channel=filters.channel or "",
        branch_id=filters.branch_id,
        assignee_id=assignee_id,
        device_id=filters.device_id,
        query=filters.q,
        open_only=filters.view in ("open", "mine", "team"),
        at_risk=filters.view == "at_risk",
        team_member_id=me if filters.view == "team" else None,
    )
    return {
        "items": [render_order(order) for order in page.items],
        "page": page.page,
        "page_size": page.page_size,
        "total": page.total,
        "total_exact": page.total_exact,
    }


@router.post("/work-orders", response={201: WorkOrderDetailOut, **ERRORS}, summary="Open a work order")
def create_work_order(request: HttpRequest, payload: WorkOrderCreateIn) -> Status[dict[str, Any]]:
    """Duplicates (same reporter and device while open) are linked; dispatch runs at once."""
    principal = principal_of(request)
    require_permission(principal, LOG)
    order = actions.do_open_work_order(**payload.dict(), actor=principal)
    return Status(201, _detail(request, order.pk))


@router.get(
    "/work-orders/{work_order_id}", response={200: WorkOrderDetailOut, **ERRORS}, summary="One work order"
)
def get_work_order(request: HttpRequest, work_order_id: int) -> dict[str, Any]:
    require_permission(principal_of(request), VIEW)
    return _detail(request, work_order_id)


@router.post(
    "/work-orders/{work_order_id}/notes",
    response={201: TimelineOut, **ERRORS},
    summary="Add a note to the timeline",
)
def add_note(request: HttpRequest, work_order_id: int, payload: NoteIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, LOG)
    entry = actions.do_add_work_order_note(
        work_order_id=work_order_id, text=payload.text, source="agent", actor=principal
    )
    return Status(201, render_entry(entry))


@router.post(
    "/work-orders/{work_order_id}/transition",
    response={200: WorkOrderDetailOut, **ERRORS},
    summary="Move the order along its status flow",
)
def transition(request: HttpRequest, work_order_id: int, payload: TransitionIn) -> dict[str, Any]:
    """Engineers move the orders assigned to them (as themselves, not through a token); supervisors any."""
    principal = principal_of(request)
    require_permission(principal, VIEW)
    actions.do_transition_work_order(work_order_id=work_order_id, **payload.dict(), actor=principal)
    return _detail(request, work_order_id)


@router.post(
    "/work-orders/{work_order_id}/assign",
    response={200: WorkOrderDetailOut, **ERRORS},
    summary="Reassign by hand",
)
def assign(request: HttpRequest, work_order_id: int, payload: AssignIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, DISPATCH)
    actions.do_assign_work_order(work_order_id=work_order_id, **payload.dict(), actor=principal)
    return _detail(request, work_order_id)


@router.post(
    "/work-orders/{work_order_id}/dispatch",
    response={200: DispatchOut, **ERRORS},
    summary="Run automatic dispatch",
)
def dispatch(request: HttpRequest, work_order_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, DISPATCH)
    assignment = actions.do_dispatch_work_order(work_order_id=work_order_id, actor=principal)
    return {"assignment": render_assignment(assignment) if assignment else None}


@router.post(
    "/work-orders/{work_order_id}/escalate",
    response={200: WorkOrderDetailOut, **ERRORS},
    summary="Escalate to the back-end support centre",
)
def escalate(request: HttpRequest, work_order_id: int, payload: ReasonIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, VIEW)
    actions.do_escalate_work_order(work_order_id=work_order_id, reason=payload.reason, actor=principal)
    return _detail(request, work_order_id)


@router.post(
    "/work-orders/{work_order_id}/postmortem",
    response={200: WorkOrderDetailOut, **ERRORS},
    summary="Record root cause and prevention",
)
def postmortem(request: HttpRequest, work_order_id: int, payload: PostmortemIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, VIEW)
    actions.do_record_postmortem(work_order_id=work_order_id, **payload.dict(), actor=principal)
    return _detail(request, work_order_id)


@router.post(
    "/work-orders/{work_order_id}/feedback",
    response={201: FeedbackOut, **ERRORS},
    summary="Record the customer's rating (callback survey)",
)
def feedback(request: HttpRequest, work_order_id: int, payload: FeedbackIn) -> Status[dict[str, Any]]:
    """Customers rate through the signed link themselves; this records a rating given to an agent."""
    principal = principal_of(request)
    require_permission(principal, LOG)
    saved = actions.do_record_feedback(work_order_id=work_order_id, **payload.dict(), actor=principal)
    return Status(
        201,
        {
            "work_order_id": work_order_id,
            "rating": saved.rating,
            "comment": saved.comment,
            "submitted_at": saved.submitted_at,
        },
    )


@router.get(
    "/satisfaction",
    response={200: SatisfactionOut, **ERRORS},
    summary="Satisfaction per engineer, team or branch",
)
def satisfaction(
    request: HttpRequest, group_by: Literal["engineer", "team", "branch"] = "branch", days: int = 30
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, DASHBOARD)
    since = timezone.now() - dt.timedelta(days=max(1, min(days, 366)))
    rows = services.satisfaction(principal=principal, since=since, group_by=group_by)
    return {"group_by": group_by, "since": since, "rows": rows}
