"""The AML officer's queue: new alerts to triage, open cases by deadline, proposals for a second officer.

Writes go through the same ``do_*`` actions as the API, after the same scope check (an alert or
case outside the reader's branches answers 404); a refusal comes back as a message on the page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.aml import permissions as perms
from bastion.aml.actions import cases as actions
from bastion.aml.choices import AlertSource, AlertStatus, CaseStatus
from bastion.aml.forms import AlertFilterForm, CaseFilterForm, filters_of
from bastion.aml.services import cases as services
from bastion.aml.views.common import actor_of, attempt, chinese, refused, regulatory_today
from bastion.platform.errors import DomainError
from bastion.web.http import console_view, page_of

DASHBOARD_ROWS = 10


def decorate_alert(alert: Any) -> Any:
    alert.summary = alert.summary_zh if chinese() else alert.summary_en
    alert.status_colour = AlertStatus.colour(alert.status)
    alert.source_label = (
        AlertSource(alert.source).label if alert.source in AlertSource.values else alert.source
    )
    return alert


def decorate_case(case: Any, today: Any) -> Any:
    case.status_colour = CaseStatus.colour(case.status)
    case.overdue = case.status in services.OPEN_CASES and case.due_on < today
    return case


@console_view(perms.VIEW_ALERTS)
def queue(request: HttpRequest) -> HttpResponse:
    actor, today = actor_of(request), regulatory_today()
    filters, cleaned = filters_of(AlertFilterForm, request, status=AlertStatus.NEW)
    found = services.list_alerts(
        actor, status=cleaned.get("status") or None, source=cleaned.get("source") or None
    )
    page = page_of(request, found)
    for alert in page.items:
        decorate_alert(alert)
    open_cases = [decorate_case(c, today) for c in services.list_cases(actor)[:DASHBOARD_ROWS]]
    proposals = [
        decorate_case(c, today)
        for c in services.list_cases(actor, status=CaseStatus.PROPOSED)[:DASHBOARD_ROWS]
    ]
    context = {
        "page": page, "filters": filters, "counts": services.queue_counts(actor),
        "overdue": services.list_cases(actor, overdue_on=today).count(), "open_cases": open_cases,
        "proposals": proposals, "may_act": actor.has_permission(perms.INVESTIGATE),
        "breadcrumbs": [(_("AML queue"), "")],
    }  # fmt: skip
    return render(request, "aml/queue.html", context)


@console_view(perms.VIEW_ALERTS)
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = actor_of(request)
    alert = decorate_alert(services.get_alert(actor, alert_id=alert_id))
    context = {
        "alert": alert,
        "may_act": actor.has_permission(perms.INVESTIGATE) and alert.status == AlertStatus.NEW,
        "breadcrumbs": [(_("AML queue"), reverse("aml:alert_queue")), (alert.code, "")],
    }
    return render(request, "aml/alert_detail.html", context)


@console_view(perms.INVESTIGATE)
@require_POST
def alert_exclude(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = actor_of(request)
    services.get_alert(actor, alert_id=alert_id)
    back = (
        reverse("aml:alert_detail", args=[alert_id])
        if request.POST.get("back") == "alert"
        else reverse("aml:alert_queue")
    )
    reason = request.POST.get("reason", "")
    return attempt(request, back, _("Alert excluded; the reason stays on file."), lambda: (
        actions.do_exclude_alert(alert_id=alert_id, reason=reason, actor=actor)
    ))  # fmt: skip


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


@console_view(perms.INVESTIGATE)
@require_POST
def case_open(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    alert_ids = _ids(request.POST.getlist("alert_ids"))
    for alert_id in alert_ids:
        services.get_alert(actor, alert_id=alert_id)
    try:
        # Whoever opens a case investigates it until it is assigned to someone else.
        case = actions.do_open_case(alert_ids=alert_ids, title=request.POST.get("title", ""), assignee_id=actor.pk,
                                    actor=actor)  # fmt: skip
    except DomainError as exc:
        refused(request, exc)
        return redirect(reverse("aml:alert_queue"))
    return redirect(reverse("aml:case_detail", args=[case.pk]))


@console_view(perms.VIEW_ALERTS)
def case_list(request: HttpRequest) -> HttpResponse:
    actor, today = actor_of(request), regulatory_today()
    filters, cleaned = filters_of(CaseFilterForm, request)
    page = page_of(request, services.list_cases(actor, status=cleaned.get("status") or None))
    for case in page.items:
        decorate_case(case, today)
    context = {"page": page, "filters": filters, "breadcrumbs": [(_("AML cases"), "")]}
    return render(request, "aml/case_list.html", context)
