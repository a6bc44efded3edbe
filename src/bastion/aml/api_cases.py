"""Alert and case operations of the AML API (R5.4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from bastion.aml import permissions as perms
from bastion.aml.actions import cases as actions
from bastion.aml.choices import AlertSource, AlertStatus, CaseDecision, CaseStatus, EvidenceKind
from bastion.aml.models import Alert, Case
from bastion.aml.services import cases as services
from bastion.platform.api_helpers import ERRORS, Page, PageQuery, page_of, principal_of, require_permission


class AlertFilter(Schema):
    status: AlertStatus | None = Field(AlertStatus.NEW, description="new (default), in_case or excluded.")
    source: AlertSource | None = None
    customer_no: str = Field("", max_length=128)


class CaseFilter(Schema):
    status: CaseStatus | None = Field(None, description="Open and proposed cases unless given.")
    assignee_id: int | None = None


class ExcludeIn(Schema):
    reason: str = Field(..., max_length=2000, description="Why the alert is not suspicious (kept on file).")


class OpenCaseIn(Schema):
    alert_ids: list[int]
    title: str = Field("", max_length=200)
    assignee_id: int | None = None


class AssignIn(Schema):
    assignee_id: int


class NoteIn(Schema):
    text: str = Field(..., max_length=10000)


class EvidenceIn(Schema):
    kind: EvidenceKind
    reference: str = Field(
        ..., max_length=200, description="A payment id, account, customer number or document."
    )
    note: str = Field("", max_length=1000)


class ProposeIn(Schema):
    decision: CaseDecision
    reason: str = Field(..., max_length=5000)


class ReturnIn(Schema):
    reason: str = Field(..., max_length=2000)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _name(user: Any) -> str | None:
    return user.get_username() if user else None


def render_alert(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk, "branch_id": alert.branch_id, "key": alert.key, "source": alert.source, "code": alert.code, "customer_no": alert.customer_no,
        "account": alert.account, "score": alert.score, "summary_zh": alert.summary_zh, "summary_en": alert.summary_en,
        "details": alert.details, "payment_ids": alert.payment_ids, "total": f"{alert.total:.2f}",
        "first_at": _iso(alert.first_at), "last_at": _iso(alert.last_at), "raised_at": _iso(alert.raised_at),
        "status": alert.status, "case": alert.case.number if alert.case else None,
        "excluded_reason": alert.excluded_reason, "excluded_by": _name(alert.excluded_by),
        "excluded_at": _iso(alert.excluded_at),
    }  # fmt: skip


def render_case(case: Case, *, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": case.pk, "branch_id": case.branch_id, "number": case.number, "title": case.title, "customer_no": case.customer_no,
        "status": case.status, "assignee": _name(case.assignee), "opened_at": _iso(case.opened_at),
        "due_on": _iso(case.due_on), "proposed_decision": case.proposed_decision or None,
        "proposed_by": _name(case.proposed_by), "decision": case.decision or None, "decided_by": _name(case.decided_by),
        "decided_at": _iso(case.decided_at),
    }  # fmt: skip
    if detail:
        body["proposed_reason"] = case.proposed_reason
        body["decision_reason"] = case.decision_reason
        body["alerts"] = [render_alert(a) for a in case.alerts.select_related("case", "excluded_by")]
        body["notes"] = [{"author": _name(n.author), "text": n.text, "created_at": _iso(n.created_at)}
                         for n in case.notes.select_related("author")]  # fmt: skip
        body["evidence"] = [{"kind": e.kind, "reference": e.reference, "note": e.note, "added_at": _iso(e.added_at)}
                            for e in case.evidence.all()]  # fmt: skip
        body["reports"] = [
            {"number": r.number, "status": r.status, "due_on": _iso(r.due_on)} for r in case.reports.all()
        ]
    return body


def list_alerts(request: HttpRequest, paging: Query[PageQuery], filters: Query[AlertFilter]) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_ALERTS)
    found = services.list_alerts(principal, status=filters.status.value if filters.status else None,
                                 source=filters.source.value if filters.source else None,
                                 customer_no=filters.customer_no)  # fmt: skip
    return page_of(found, paging, render_alert)


def get_alert(request: HttpRequest, alert_id: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_ALERTS)
    return render_alert(services.get_alert(principal, alert_id=alert_id))


def exclude_alert(request: HttpRequest, alert_id: int, payload: ExcludeIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.INVESTIGATE)
    services.get_alert(principal, alert_id=alert_id)
    actions.do_exclude_alert(alert_id=alert_id, reason=payload.reason, actor=principal)
    return render_alert(services.get_alert(principal, alert_id=alert_id))


def list_cases(request: HttpRequest, paging: Query[PageQuery], filters: Query[CaseFilter]) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_ALERTS)
    found = services.list_cases(principal, status=filters.status.value if filters.status else None,
                                assignee_id=filters.assignee_id)  # fmt: skip
    return page_of(found, paging, render_case)


def open_case(request: HttpRequest, payload: OpenCaseIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.INVESTIGATE)
    for alert_id in payload.alert_ids:
        services.get_alert(principal, alert_id=alert_id)
    case = actions.do_open_case(alert_ids=payload.alert_ids, title=payload.title, assignee_id=payload.assignee_id,
                                actor=principal)  # fmt: skip
    return Status(201, render_case(services.get_case(principal, case_id=case.pk), detail=True))


def get_case(request: HttpRequest, case_id: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_ALERTS)
    return render_case(services.get_case(principal, case_id=case_id), detail=True)


def _case_step(request: HttpRequest, case_id: int, permission: str, step: Any, **options: Any) -> Any:
    principal = principal_of(request)
    require_permission(principal, permission)
    services.get_case(principal, case_id=case_id)
    step(case_id=case_id, actor=principal, **options)
    return render_case(services.get_case(principal, case_id=case_id), detail=True)


def assign_case(request: HttpRequest, case_id: int, payload: AssignIn) -> Any:
    return _case_step(
        request, case_id, perms.INVESTIGATE, actions.do_assign_case, assignee_id=payload.assignee_id
    )


def add_note(request: HttpRequest, case_id: int, payload: NoteIn) -> Any:
    return _case_step(request, case_id, perms.INVESTIGATE, actions.do_add_case_note, text=payload.text)


def add_evidence(request: HttpRequest, case_id: int, payload: EvidenceIn) -> Any:
    return _case_step(request, case_id, perms.INVESTIGATE, actions.do_add_evidence, kind=payload.kind.value,
                      reference=payload.reference, note=payload.note)  # fmt: skip


def propose(request: HttpRequest, case_id: int, payload: ProposeIn) -> Any:
    return _case_step(request, case_id, perms.INVESTIGATE, actions.do_propose_case_decision,
                      decision=payload.decision.value, reason=payload.reason)  # fmt: skip


def return_proposal(request: HttpRequest, case_id: int, payload: ReturnIn) -> Any:
    return _case_step(
        request, case_id, perms.DECIDE_CASES, actions.do_return_case_decision, reason=payload.reason
    )


def confirm(request: HttpRequest, case_id: int) -> Any:
    return _case_step(request, case_id, perms.DECIDE_CASES, actions.do_confirm_case_decision)


def mount(router: Router) -> None:
    """Add the alert and case operations to the AML router."""
    one = {200: dict[str, Any], **ERRORS}
    alerts: dict[str, Any] = {"tags": ["aml: alerts"]}
    cases: dict[str, Any] = {"tags": ["aml: cases"]}
    add = router.add_api_operation
    add(
        "/alerts",
        ["GET"],
        list_alerts,
        response={200: Page, **ERRORS},
        summary="Alerts, newest first",
        **alerts,
    )
    add("/alerts/{alert_id}", ["GET"], get_alert, response=one, summary="One alert", **alerts)
    add(
        "/alerts/{alert_id}/exclude",
        ["POST"],
        exclude_alert,
        response=one,
        summary="Exclude an alert, with the reason kept",
        **alerts,
    )
    add("/cases", ["GET"], list_cases, response={200: Page, **ERRORS}, summary="Cases by deadline", **cases)
    add(
        "/cases",
        ["POST"],
        open_case,
        response={201: dict[str, Any], **ERRORS},
        summary="Open a case from alerts",
        **cases,
    )
    add(
        "/cases/{case_id}",
        ["GET"],
        get_case,
        response=one,
        summary="A case with alerts, notes and evidence",
        **cases,
    )
    add("/cases/{case_id}/assign", ["POST"], assign_case, response=one, summary="Assign a case", **cases)
    add(
        "/cases/{case_id}/notes",
        ["POST"],
        add_note,
        response=one,
        summary="Add an investigation note",
        **cases,
    )
    add("/cases/{case_id}/evidence", ["POST"], add_evidence, response=one, summary="Attach evidence", **cases)
    add(
        "/cases/{case_id}/propose",
        ["POST"],
        propose,
        response=one,
        summary="Propose close or report",
        **cases,
    )
    add(
        "/cases/{case_id}/return",
        ["POST"],
        return_proposal,
        response=one,
        summary="Return a proposal to investigation",
        **cases,
    )
    add("/cases/{case_id}/confirm", ["POST"], confirm, response=one,
        summary="Confirm another officer's proposal", **cases)  # fmt: skip
