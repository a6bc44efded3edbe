"""Console pages around the queue: SLA dashboard, SLA policies, skills and roster, customer feedback."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bastion.identity.models import User
from bastion.platform.errors import DomainError
from bastion.platform.ratelimit import rate_limit
from bastion.platform.scoping import scoped
from bastion.servicedesk import actions, services
from bastion.servicedesk.actions.feedback import order_for_token
from bastion.servicedesk.forms import FeedbackForm, PolicyForm, ProfileForm, ShiftForm
from bastion.servicedesk.models import EngineerProfile, RosterShift
from bastion.servicedesk.permissions import DASHBOARD, DISPATCH, MANAGE_ROSTER, MANAGE_SLA, WORK
from bastion.web.http import apply_domain_error, console_view


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


PERIODS = {"7": 7, "30": 30, "90": 90}


@console_view(DASHBOARD)
def dashboard(request: HttpRequest) -> HttpResponse:
    """SLA and satisfaction over a period: breaches, average resolution, ratings per engineer/team/branch."""
    actor = _actor(request)
    days = PERIODS.get(request.GET.get("days", "30"), 30)
    since = timezone.now() - dt.timedelta(days=days)
    context = {
        "days": days,
        "periods": sorted(PERIODS.values()),
        "summary": services.sla_summary(principal=actor, since=since),
        "by_engineer": services.satisfaction(principal=actor, since=since, group_by="engineer"),
        "by_team": services.satisfaction(principal=actor, since=since, group_by="team"),
        "by_branch": services.satisfaction(principal=actor, since=since, group_by="branch"),
        "at_risk": services.list_work_orders(principal=actor, at_risk=True)[:10],
        "now": timezone.now(),
        "may_manage_sla": actor.has_permission(MANAGE_SLA),
        "may_manage_roster": actor.has_permission(MANAGE_ROSTER),
    }
    return render(request, "servicedesk/dashboard.html", context)


def _branches(actor: User) -> list[tuple[int, str]]:
    return [(b.pk, b.name) for b in services.branches_in_scope(principal=actor)]


@require_http_methods(["GET", "POST"])
@console_view(MANAGE_SLA)
def policies(request: HttpRequest) -> HttpResponse:
    """SLA policies by priority, device class and branch; saving re-measures open orders."""
    actor = _actor(request)
    form = PolicyForm(request.POST or None, branches=_branches(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_save_sla_policy(
                name=data["name"],
                priority=data["priority"],
                device_class=data["device_class"],
                branch_id=data["branch"],
                response_minutes=data["response_minutes"],
                resolution_minutes=data["resolution_minutes"],
                warn_share=data["warn_share"],
                reminder_minutes=data["reminder_minutes"],
                actor=actor,
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"branch_id": "branch"})
        else:
            messages.success(request, _("SLA policy saved; open orders follow it."))
            return redirect("servicedesk:policies")
    context = {"form": form, "policies": services.list_sla_policies(principal=actor)}
    return render(request, "servicedesk/policies.html", context, status=422 if form.errors else 200)


def _engineers(actor: User) -> list[tuple[int, str]]:
    users = scoped(User.objects.filter(is_active=True), actor).order_by("username")
    return [
        (u.pk, u.display_name) for u in users if u.has_permission(WORK) and not u.has_permission(DISPATCH)
    ][:500]


@require_http_methods(["GET", "POST"])
@console_view(MANAGE_ROSTER)
def roster(request: HttpRequest) -> HttpResponse:
    """Engineers' skills and certifications, and the on-duty roster dispatch reads."""
    actor = _actor(request)
    engineers = _engineers(actor)
    shift_form = ShiftForm(request.POST if "add_shift" in request.POST else None, engineers=engineers)
    profile_form = ProfileForm(request.POST if "save_profile" in request.POST else None, engineers=engineers)
    try:
        if "add_shift" in request.POST and shift_form.is_valid():
            data = shift_form.cleaned_data
            actions.do_add_roster_shift(
                user_id=data["engineer"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                note=data["note"],
                actor=actor,
            )
            messages.success(request, _("Shift added."))
            return redirect("servicedesk:roster")
        if "save_profile" in request.POST and profile_form.is_valid():
            data = profile_form.cleaned_data
            actions.do_save_engineer_profile(
                user_id=data["engineer"],
                device_classes=data["device_classes"],
                certifications=data["certifications"].split(","),
                max_open_orders=data["max_open_orders"],
                actor=actor,
            )
            messages.success(request, _("Skills saved."))
            return redirect("servicedesk:roster")
        if "remove_shift" in request.POST:
            actions.do_remove_roster_shift(shift_id=int(request.POST["remove_shift"]), actor=actor)
            messages.success(request, _("Shift removed."))
            return redirect("servicedesk:roster")
    except (DomainError, ValueError) as exc:
        target = shift_form if "add_shift" in request.POST else profile_form
        if isinstance(exc, DomainError):
            apply_domain_error(target, exc, {"user_id": "engineer"})
        else:
            messages.error(request, _("Bad request."))
    now = timezone.now()
    context: dict[str, Any] = {
        "shift_form": shift_form,
        "profile_form": profile_form,
        "profiles": scoped(EngineerProfile.objects.select_related("user"), actor),
        "shifts": scoped(RosterShift.objects.select_related("user"), actor)
        .filter(Q(ends_at__gte=now))
        .order_by("starts_at")[:200],
        "now": now,
    }
    status = 422 if shift_form.errors or profile_form.errors else 200
    return render(request, "servicedesk/roster.html", context, status=status)


@require_http_methods(["GET", "POST"])
@rate_limit(group="servicedesk.feedback", key="ip", rate="60/h", methods=("GET", "POST"))
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's rating page: no sign-in, the signed link is the credential."""
    try:
        order = order_for_token(token)
    except DomainError as exc:
        return render(request, "servicedesk/feedback.html", {"problem": exc.message}, status=exc.status)
    if hasattr(order, "feedback"):
        return render(request, "servicedesk/feedback.html", {"order": order, "done": True})
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_submit_feedback(
                token=token, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return render(request, "servicedesk/feedback.html", {"order": order, "done": True})
    return render(
        request,
        "servicedesk/feedback.html",
        {"order": order, "form": form},
        status=422 if form.errors else 200,
    )
