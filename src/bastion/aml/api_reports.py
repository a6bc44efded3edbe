"""Regulatory report operations of the AML API: large-value and suspicious transaction reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from bastion.aml import permissions as perms
from bastion.aml.actions import reports as report_actions
from bastion.aml.actions import suspicious as str_actions
from bastion.aml.choices import LargeValueStandard, ReportStatus
from bastion.aml.models import LargeValueReport, SuspiciousReport
from bastion.aml.services import exports
from bastion.aml.services import reports as services
from bastion.platform.api_helpers import ERRORS, Page, PageQuery, page_of, principal_of, require_permission
from bastion.platform.errors import FieldError


class GenerateIn(Schema):
    day: dt.date = Field(..., description="The trade day (institution's local date), already ended.")


class ReviewIn(Schema):
    note: str = Field("", max_length=1000)


class SubmitIn(Schema):
    report_ids: list[int]


class ReportFilter(Schema):
    status: ReportStatus | None = None
    standard: LargeValueStandard | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None
    customer_no: str = Field("", max_length=128)


class ExportQuery(ReportFilter):
    format: str = Field("xml", description="xml or csv")


class StrEditIn(Schema):
    summary: str = Field(..., max_length=20000)
    measures: str = Field("", max_length=5000)


class StrSubmitIn(Schema):
    suspicion_persists: bool = Field(False, description="Schedule a follow-up report in 3 months.")


def render_large_value(report: LargeValueReport, *, items: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": report.pk, "number": report.number, "customer_no": report.customer_no, "branch_id": report.branch_id,
        "customer_kind": report.customer_kind, "trade_day": report.trade_day.isoformat(), "standard": report.standard,
        "direction": report.direction, "measure_currency": report.measure_currency, "total": f"{report.total:.2f}",
        "threshold": f"{report.threshold:.2f}", "payment_count": report.payment_count, "single": report.single,
        "due_on": report.due_on.isoformat(), "status": report.status,
        "reviewed_by": report.reviewed_by.get_username() if report.reviewed_by else None,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None, "note": report.note,
    }  # fmt: skip
    if items:
        body["payments"] = [
            {"payment_id": i.payment.payment_id, "occurred_at": i.payment.occurred_at.isoformat(),
             "amount": f"{i.payment.amount:.2f}", "currency": i.payment.currency,
             "measured_amount": f"{i.measured_amount:.2f}", "channel": i.payment.channel,
             "business_type": i.payment.business_type}
            for i in report.items.select_related("payment").order_by("payment__occurred_at")
        ]  # fmt: skip
    return body


def render_suspicious(report: SuspiciousReport) -> dict[str, Any]:
    return {
        "id": report.pk, "number": report.number, "case": report.case.number, "branch_id": report.case.branch_id, "customer_no": report.case.customer_no,
        "follow_up_of": report.follow_up_of.number if report.follow_up_of else None,
        "confirmed_on": report.confirmed_on.isoformat(), "due_on": report.due_on.isoformat(), "status": report.status,
        "summary": report.summary, "measures": report.measures, "typologies": report.typologies,
        "payment_ids": report.payment_ids, "total": f"{report.total:.2f}",
        "drafted_by": report.drafted_by.get_username() if report.drafted_by else None,
        "reviewed_by": report.reviewed_by.get_username() if report.reviewed_by else None,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "next_follow_up_on": report.next_follow_up_on.isoformat() if report.next_follow_up_on else None,
    }  # fmt: skip


def _filtered(request: HttpRequest, filters: ReportFilter) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_REPORTS)
    return services.list_large_value_reports(
        principal, status=filters.status.value if filters.status else None,
        standard=filters.standard.value if filters.standard else None, day_from=filters.day_from,
        day_to=filters.day_to, customer_no=filters.customer_no,
    )  # fmt: skip


def list_large_value(request: HttpRequest, paging: Query[PageQuery], filters: Query[ReportFilter]) -> Any:
    return page_of(_filtered(request, filters), paging, render_large_value)


def generate_large_value(request: HttpRequest, payload: GenerateIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.PREPARE_REPORTS)
    result = report_actions.do_generate_large_value_reports(day=payload.day, actor=principal)
    return {"day": result.day.isoformat(), "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "needs_correction": result.needs_correction, "problems": result.problems}  # fmt: skip


def get_large_value(request: HttpRequest, report_id: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_REPORTS)
    return render_large_value(services.get_large_value_report(principal, report_id=report_id), items=True)


def review_large_value(request: HttpRequest, report_id: int, payload: ReviewIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.REVIEW_REPORTS)
    services.get_large_value_report(principal, report_id=report_id)
    report_actions.do_review_large_value_report(report_id=report_id, note=payload.note, actor=principal)
    return render_large_value(services.get_large_value_report(principal, report_id=report_id))


def submit_large_value(request: HttpRequest, payload: SubmitIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.REVIEW_REPORTS)
    reports = report_actions.do_submit_large_value_reports(report_ids=payload.report_ids, actor=principal)
    return {"submitted": [r.number for r in reports]}


def export_large_value(request: HttpRequest, filters: Query[ExportQuery]) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.REVIEW_REPORTS)
    reports = _filtered(request, filters)
    return _download(
        filters.format,
        "large-value-reports",
        reports,
        exports.large_value_xml,
        exports.large_value_csv,
        principal,
    )


def _download(fmt: str, stem: str, reports: Any, to_xml: Any, to_csv: Any, principal: Any) -> HttpResponse:
    if fmt not in ("xml", "csv"):
        raise FieldError("format", _("Choose xml or csv."))
    if fmt == "xml":
        response = HttpResponse(
            to_xml(reports, principal=principal), content_type="application/xml; charset=utf-8"
        )
    else:
        response = HttpResponse(
            "\ufeff" + to_csv(reports, principal=principal), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def list_str(request: HttpRequest, paging: Query[PageQuery], status: ReportStatus | None = None) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_REPORTS)
    found = services.list_suspicious_reports(principal, status=status.value if status else None)
    return page_of(found, paging, render_suspicious)


def get_str(request: HttpRequest, report_id: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_REPORTS)
    return render_suspicious(services.get_suspicious_report(principal, report_id=report_id))


def _str_step(request: HttpRequest, report_id: int, permission: str, step: Any, **options: Any) -> Any:
    principal = principal_of(request)
    require_permission(principal, permission)
    services.get_suspicious_report(principal, report_id=report_id)
    report = step(report_id=report_id, actor=principal, **options)
    return render_suspicious(services.get_suspicious_report(principal, report_id=report.pk))


def edit_str(request: HttpRequest, report_id: int, payload: StrEditIn) -> Any:
    return _str_step(request, report_id, perms.PREPARE_REPORTS, str_actions.do_edit_suspicious_report,
                     summary=payload.summary, measures=payload.measures)  # fmt: skip


def review_str(request: HttpRequest, report_id: int) -> Any:
    return _str_step(request, report_id, perms.REVIEW_REPORTS, str_actions.do_review_suspicious_report)


def submit_str(request: HttpRequest, report_id: int, payload: StrSubmitIn) -> Any:
    return _str_step(request, report_id, perms.REVIEW_REPORTS, str_actions.do_submit_suspicious_report,
                     suspicion_persists=payload.suspicion_persists)  # fmt: skip


def follow_up_str(request: HttpRequest, report_id: int) -> Any:
    return _str_step(request, report_id, perms.PREPARE_REPORTS, str_actions.do_file_follow_up)


def export_str(request: HttpRequest, format: str = "xml", status: ReportStatus | None = None) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.REVIEW_REPORTS)
    reports = services.list_suspicious_reports(principal, status=status.value if status else None)
    return _download(
        format, "suspicious-reports", reports, exports.suspicious_xml, exports.suspicious_csv, principal
    )


def mount(router: Router) -> None:
    """Add the report operations to the AML router."""
    one = {200: dict[str, Any], **ERRORS}
    lvr: dict[str, Any] = {"tags": ["aml: large-value reports"]}
    str_: dict[str, Any] = {"tags": ["aml: suspicious transaction reports"]}
    add = router.add_api_operation
    add(
        "/large-value-reports",
        ["GET"],
        list_large_value,
        response={200: Page, **ERRORS},
        summary="Large-value reports by deadline",
        **lvr,
    )
    add(
        "/large-value-reports/generate",
        ["POST"],
        generate_large_value,
        response=one,
        summary="Draft or update a trade day's large-value reports",
        **lvr,
    )
    add(
        "/large-value-reports/export",
        ["GET"],
        export_large_value,
        response={200: None, **ERRORS},
        summary="Export reports as XML or CSV",
        **lvr,
    )
    add(
        "/large-value-reports/submit",
        ["POST"],
        submit_large_value,
        response=one,
        summary="Mark reviewed reports submitted",
        **lvr,
    )
    add(
        "/large-value-reports/{report_id}",
        ["GET"],
        get_large_value,
        response=one,
        summary="One report with its payments",
        **lvr,
    )
    add(
        "/large-value-reports/{report_id}/review",
        ["POST"],
        review_large_value,
        response=one,
        summary="Review a drafted report",
        **lvr,
    )
    add(
        "/suspicious-reports",
        ["GET"],
        list_str,
        response={200: Page, **ERRORS},
        summary="STRs by deadline",
        **str_,
    )
    add(
        "/suspicious-reports/export",
        ["GET"],
        export_str,
        response={200: None, **ERRORS},
        summary="Export STRs as XML or CSV",
        **str_,
    )
    add("/suspicious-reports/{report_id}", ["GET"], get_str, response=one, summary="One STR", **str_)
    add(
        "/suspicious-reports/{report_id}",
        ["PATCH"],
        edit_str,
        response=one,
        summary="Edit a draft STR",
        **str_,
    )
    add(
        "/suspicious-reports/{report_id}/review",
        ["POST"],
        review_str,
        response=one,
        summary="Review an STR (not its drafter)",
        **str_,
    )
    add(
        "/suspicious-reports/{report_id}/submit",
        ["POST"],
        submit_str,
        response=one,
        summary="Submit a reviewed STR",
        **str_,
    )
    add("/suspicious-reports/{report_id}/follow-up", ["POST"], follow_up_str, response=one,
        summary="Draft the follow-up of a submitted STR", **str_)  # fmt: skip
