"""The case page: alerts, notes, evidence, money-flow graph, assignment, and the dual-control decision.

One officer proposes closing or reporting; another confirms or returns. The proposer sees the
confirm button disabled with the reason, and should they post anyway the action's refusal is
shown (docs/decisions/0601-aml-cases-dual-control.md).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.aml import permissions as perms
from bastion.aml.actions import cases as actions
from bastion.aml.choices import CaseStatus, ReportStatus
from bastion.aml.forms import EvidenceForm, ProposeForm
from bastion.aml.services import cases as services
from bastion.aml.services.flow_graph import case_flow_graph
from bastion.aml.views.common import actor_of, attempt, regulatory_today
from bastion.aml.views.flow_svg import flow_svg
from bastion.aml.views.queue import decorate_alert, decorate_case
from bastion.web.http import console_view

MAX_ASSIGNEES = 200


def _investigators(actor: Any) -> list[Any]:
    return list(services.list_investigators()[:MAX_ASSIGNEES])


def _permissions(case: Any, actor: Any) -> dict[str, bool]:
    is_open = case.status in services.OPEN_CASES
    investigate = actor.has_permission(perms.INVESTIGATE) and is_open
    decide = actor.has_permission(perms.DECIDE_CASES) and case.status == CaseStatus.PROPOSED
    return {
        "may_investigate": investigate,
        "may_propose": investigate and case.status == CaseStatus.OPEN,
        "may_decide": decide,
        "own_proposal": decide and case.proposed_by_id == actor.pk,
    }


@console_view(perms.VIEW_ALERTS)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = decorate_case(services.get_case(actor, case_id=case_id), regulatory_today())
    reports = list(case.reports.order_by("number"))
    for report in reports:
        report.status_colour = ReportStatus.colour(report.status)
    rights = _permissions(case, actor)
    context = {
        "case": case, **rights, "alerts": [decorate_alert(a) for a in case.alerts.all()],
        "notes": case.notes.select_related("author"), "reports": reports,
        "evidence": case.evidence.select_related("payment", "added_by"),
        "evidence_total": services.evidence_total(case), "flow_svg": flow_svg(case_flow_graph(case)),
        "investigators": _investigators(actor) if rights["may_investigate"] else [],
        "evidence_form": EvidenceForm(), "propose_form": ProposeForm(),
        "breadcrumbs": [(_("AML cases"), reverse("aml:case_list")), (case.number, "")],
    }  # fmt: skip
    return render(request, "aml/case_detail.html", context)


def _step(request: HttpRequest, case_id: int, done: str, step: Any, **options: Any) -> HttpResponse:
    actor = actor_of(request)
    services.get_case(actor, case_id=case_id)  # out of scope: 404 before anything is tried
    back = reverse("aml:case_detail", args=[case_id])
    return attempt(request, back, done, lambda: step(case_id=case_id, actor=actor, **options))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@console_view(perms.INVESTIGATE)
@require_POST
def case_assign(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(request, case_id, _("Case assigned."), actions.do_assign_case,
                 assignee_id=_int(request.POST.get("assignee_id")))  # fmt: skip


@console_view(perms.INVESTIGATE)
@require_POST
def case_note(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request, case_id, _("Note added."), actions.do_add_case_note, text=request.POST.get("text", "")
    )


@console_view(perms.INVESTIGATE)
@require_POST
def case_evidence(request: HttpRequest, case_id: int) -> HttpResponse:
    post = request.POST
    return _step(request, case_id, _("Evidence added."), actions.do_add_evidence, kind=post.get("kind", ""),
                 reference=post.get("reference", ""), note=post.get("note", ""))  # fmt: skip


@console_view(perms.INVESTIGATE)
@require_POST
def case_propose(request: HttpRequest, case_id: int) -> HttpResponse:
    post = request.POST
    return _step(request, case_id, _("Decision proposed; a second officer confirms or returns it."),
                 actions.do_propose_case_decision, decision=post.get("decision", ""), reason=post.get("reason", ""))  # fmt: skip


@console_view(perms.DECIDE_CASES)
@require_POST
def case_confirm(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(request, case_id, _("Decision confirmed."), actions.do_confirm_case_decision)


@console_view(perms.DECIDE_CASES)
@require_POST
def case_return(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(request, case_id, _("Proposal returned to investigation."), actions.do_return_case_decision,
                 reason=request.POST.get("reason", ""))  # fmt: skip
