"""Console pages of the service desk: the queues, the new-order form and the order page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.devices.models import Device
from bastion.identity.models import User
from bastion.platform.errors import DomainError
from bastion.platform.pii import present_pii
from bastion.platform.scoping import scoped
from bastion.servicedesk import actions, services
from bastion.servicedesk.actions.feedback import feedback_token
from bastion.servicedesk.choices import SupportLevel, WorkOrderStatus
from bastion.servicedesk.forms import (
    AssignForm,
    NoteForm,
    OrderCreateForm,
    PostmortemForm,
    PriorityForm,
    QueueFilterForm,
    ReasonForm,
    SubstituteForm,
    TransitionForm,
)
from bastion.servicedesk.models import WorkOrder
from bastion.servicedesk.permissions import DISPATCH, LOG, VIEW, WORK
from bastion.web.http import CONSOLE_PAGE_SIZE, apply_domain_error, console_view, render_results

logger = logging.getLogger(__name__)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- queues ---------------------------------------------------------------------------------------


def _page_number(request: HttpRequest) -> int:
    """The requested page; a malformed number shows the first page (as the other console lists)."""
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@console_view(VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    """My queue, team queue, SLA at risk (sorted by time left) and all orders, with filters."""
    actor = _actor(request)
    form = QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    view = data.get("view") or (
        "mine" if actor.has_permission(WORK) and not actor.has_permission(DISPATCH) else "open"
    )
    filters: dict[str, Any] = {
        "status": data.get("status", ""),
        "priority": data.get("priority", ""),
        "kind": data.get("kind", ""),
        "channel": data.get("channel", ""),
        "query": data.get("q", ""),
        "open_only": view in ("open", "mine", "team"),
        "at_risk": view == "at_risk",
    }
    if view == "mine":
        filters["assignee_id"] = actor.pk
    if view == "team":
        filters["team_member_id"] = actor.pk
    page = services.work_order_page(
        principal=actor, page=_page_number(request), page_size=CONSOLE_PAGE_SIZE, **filters
    )
    context = {
        "form": form,
        "view": view,
        "page": page,
        "now": timezone.now(),
        "may_log": actor.has_permission(LOG),
    }
    return render_results(request, "servicedesk/queue.html", "servicedesk/_queue_rows.html", context)


# --- new order ------------------------------------------------------------------------------------


def _branch_choices(actor: User) -> list[tuple[int, str]]:
    return [(b.pk, b.name) for b in services.branches_in_scope(principal=actor)]


def _device_choices(actor: User, branch_id: int | None = None) -> list[tuple[int, str]]:
    devices = scoped(Device.objects.select_related("branch"), actor).exclude(lifecycle_state="scrapped")
    if branch_id is not None:
        devices = devices.filter(branch_id=branch_id)
    return [
        (d.pk, f"{d.asset_tag} · {d.name} · {d.branch.name}")
        for d in devices.order_by("branch_id", "asset_tag")[:2000]
    ]


@console_view(LOG)
def order_create(request: HttpRequest) -> HttpResponse:
    """The agent's form: log a phone call or a web report."""
    actor = _actor(request)
    branches = _branch_choices(actor)
    form = OrderCreateForm(request.POST or None, branches=branches, devices=_device_choices(actor))
    if not request.POST and actor.home_branch_id:
        form.initial["branch"] = actor.home_branch_id
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = actions.do_open_work_order(
                branch_id=data["branch"],
                kind=data["kind"],
                channel=data["channel"],
                title=data["title"],
                symptoms=data["symptoms"],
                reporter_name=data["reporter_name"],
                reporter_contact=data["reporter_contact"],
                device_id=data["device"],
                priority=data["priority"] or None,
                actor=actor,
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"device_id": "device", "branch_id": "branch"})
        else:
            messages.success(request, _("Work order %(number)s logged.") % {"number": order.number})
            return redirect("servicedesk:order", pk=order.pk)
    return render(request, "servicedesk/order_form.html", {"form": form})


# --- the order page -------------------------------------------------------------------------------


def _suggested_articles(order: WorkOrder) -> list[Any]:
    try:
        from bastion.knowledge.services import suggest_articles
    except ImportError:  # knowledge app not installed in this build
        return []
    device_class = order.device.device_class if order.device else ""
    return suggest_articles(
        text=f"{order.title} {order.symptoms}", device_class=device_class, fault_code=order.fault_code
    )


def _diagnosis_cards(order: WorkOrder) -> list[Any]:
    """The knowledge base's cards for the order's fault code (its device class first): the engineer's
    first minutes of diagnosis, one click from the order."""
    if not order.fault_code:
        return []
    try:
        from bastion.knowledge.services import list_diagnosis_cards
    except ImportError:  # knowledge app not installed in this build
        return []
    device_class = order.device.device_class if order.device else ""
    return list_diagnosis_cards(fault_code=order.fault_code, device_class=device_class)[:5]


def _engineer_choices(order: WorkOrder) -> list[tuple[int, str]]:
    candidates = User.objects.filter(is_active=True).order_by("username")
    return [
        (u.pk, u.display_name)
        for u in candidates
        if u.has_permission(WORK)
        and not u.has_permission(DISPATCH)
        and u.branch_scope().allows(order.branch_id)
    ][:500]


def _order_context(request: HttpRequest, order: WorkOrder, **forms_in: forms.Form) -> dict[str, Any]:
    actor = _actor(request)
    may_dispatch = actor.has_permission(DISPATCH)
    may_work = may_dispatch or (actor.has_permission(WORK) and order.assignee_id == actor.pk)
    devices = [(d, label) for d, label in _device_choices(actor, order.branch_id) if d != order.device_id]
    context: dict[str, Any] = {
        "order": order,
        "timeline": services.list_timeline(work_order=order),
        "clocks": services.clock_views(order),
        "assignments": order.assignments.select_related("engineer", "team").order_by("-assigned_at")[:5],
        "duplicates": order.duplicates.all()[:20],
        "articles": _suggested_articles(order),
        "cards": _diagnosis_cards(order),
        "contact": _contact(actor, order),
        "may_log": actor.has_permission(LOG),
        "may_work": may_work and (order.is_open or order.status == WorkOrderStatus.RESOLVED),
        "may_dispatch": may_dispatch and order.is_open,
        "may_escalate": order.is_open and order.support_level == SupportLevel.FRONTLINE and may_work,
        "note_form": NoteForm(),
        "transition_form": TransitionForm(current=order.status, may_cancel=may_dispatch),
        "assign_form": AssignForm(engineers=_engineer_choices(order)) if may_dispatch else None,
        "reason_form": ReasonForm(),
        "priority_form": PriorityForm(initial={"priority": order.priority}),
        "postmortem_form": PostmortemForm(
            initial={"root_cause": order.root_cause, "prevention": order.prevention}
        ),
        "substitute_form": SubstituteForm(devices=devices),
        "feedback_url": _feedback_url(request, order),
    }
    context.update(forms_in)
    return context


def _contact(actor: User, order: WorkOrder) -> str:
    """The reporter's contact, masked unless the user may see personal data (then audited)."""
    value = order.reporter_contact
    kind = "phone" if sum(ch.isdigit() for ch in value) >= 7 and "@" not in value else "name"
    return present_pii(value=value, kind=kind, principal=actor, obj=order, field="reporter_contact")


def _feedback_url(request: HttpRequest, order: WorkOrder) -> str:
    if order.status not in (WorkOrderStatus.RESOLVED, WorkOrderStatus.CLOSED) or hasattr(order, "feedback"):
        return ""
    return request.build_absolute_uri(reverse("servicedesk:feedback", args=[feedback_token(order)]))


def _load(request: HttpRequest, pk: int) -> WorkOrder:
    return services.get_work_order(principal=_actor(request), work_order_id=pk)


@console_view(VIEW)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One order: facts, live clocks, timeline, suggested articles and the actions the user may take."""
    order = _load(request, pk)
    return render(request, "servicedesk/order_detail.html", _order_context(request, order))


@console_view(VIEW)
def order_clocks(request: HttpRequest, pk: int) -> HttpResponse:
    """The clocks fragment, refreshed by htmx every minute."""
    order = _load(request, pk)
    return render(
        request, "servicedesk/_clocks.html", {"order": order, "clocks": services.clock_views(order)}
    )


def _post_action(
    request: HttpRequest,
    pk: int,
    form_class: Callable[..., forms.Form],
    form_name: str,
    call: Callable[[WorkOrder, dict[str, Any]], Any],
    success: str,
    aliases: dict[str, str] | None = None,
    **form_kwargs: Any,
) -> HttpResponse:
    """Validate a form posted from the order page, run one action, redirect or re-render."""
    order = _load(request, pk)
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            call(order, form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc, aliases)
        else:
            messages.success(request, success)
            return redirect("servicedesk:order", pk=order.pk)
    order.refresh_from_db()
    return render(
        request,
        "servicedesk/order_detail.html",
        _order_context(request, order, **{form_name: form}),
        status=422,
    )


@require_POST
@console_view(LOG)
def order_note(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    source = "engineer" if actor.has_permission(WORK) else "agent"
    return _post_action(
        request,
        pk,
        NoteForm,
        "note_form",
        lambda o, d: actions.do_add_work_order_note(
            work_order_id=o.pk, text=d["text"], source=source, actor=actor
        ),
        _("Note added."),
    )


@require_POST
@console_view(VIEW)
def order_transition(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    order = _load(request, pk)
    return _post_action(
        request,
        pk,
        TransitionForm,
        "transition_form",
        lambda o, d: actions.do_transition_work_order(
            work_order_id=o.pk,
            status=d["status"],
            note=d["note"],
            resolution_summary=d["resolution_summary"],
            actor=actor,
        ),
        _("Status updated."),
        current=order.status,
        may_cancel=actor.has_permission(DISPATCH),
    )


@require_POST
@console_view(DISPATCH)
def order_assign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    order = _load(request, pk)
    return _post_action(
        request,
        pk,
        AssignForm,
        "assign_form",
        lambda o, d: actions.do_assign_work_order(
            work_order_id=o.pk, engineer_id=d["engineer"], reason=d["reason"], actor=actor
        ),
        _("Order reassigned."),
        {"engineer_id": "engineer"},
        engineers=_engineer_choices(order),
    )


@require_POST
@console_view(DISPATCH)
def order_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    order = _load(request, pk)
    try:
        assignment = actions.do_dispatch_work_order(work_order_id=order.pk, actor=_actor(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if assignment is None:
            messages.warning(request, _("No engineer on duty with the skill and capacity."))
        else:
            messages.success(
                request, _("Dispatched to %(name)s.") % {"name": assignment.engineer.display_name}
            )
    return redirect("servicedesk:order", pk=order.pk)


@require_POST
@console_view(VIEW)
def order_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    return _post_action(
        request,
        pk,
        ReasonForm,
        "reason_form",
        lambda o, d: actions.do_escalate_work_order(work_order_id=o.pk, reason=d["reason"], actor=actor),
        _("Escalated to the back-end support centre."),
    )


@require_POST
@console_view(VIEW)
def order_postmortem(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    return _post_action(
        request,
        pk,
        PostmortemForm,
        "postmortem_form",
        lambda o, d: actions.do_record_postmortem(
            work_order_id=o.pk, root_cause=d["root_cause"], prevention=d["prevention"], actor=actor
        ),
        _("Post-mortem recorded."),
    )


@require_POST
@console_view(DISPATCH)
def order_priority(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    return _post_action(
        request,
        pk,
        PriorityForm,
        "priority_form",
        lambda o, d: actions.do_change_priority(
            work_order_id=o.pk, priority=d["priority"], reason=d["reason"], actor=actor
        ),
        _("Priority changed; the SLA targets follow."),
    )


@require_POST
@console_view(LOG)
def order_substitute(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    order = _load(request, pk)
    devices = [(d, label) for d, label in _device_choices(actor, order.branch_id) if d != order.device_id]
    return _post_action(
        request,
        pk,
        SubstituteForm,
        "substitute_form",
        lambda o, d: actions.do_record_substitute(
            work_order_id=o.pk, substitute_device_id=d["substitute_device"], note=d["note"], actor=actor
        ),
        _("Substitute recorded."),
        {"substitute_device_id": "substitute_device"},
        devices=devices,
    )
