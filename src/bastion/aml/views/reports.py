"""Console pages of regulatory reports (R5.2): large-value reports and STRs, deadlines, review, export.

Exports call :mod:`bastion.aml.services.exports`, which audits every export as a sensitive read and
puts identity data in clear only for a reader allowed to see them, exactly as the API does.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.aml import permissions as perms
from bastion.aml.actions import reports as report_actions
from bastion.aml.actions import suspicious as str_actions
from bastion.aml.choices import ReportStatus
from bastion.aml.forms import GenerateForm, LargeValueFilterForm, StrEditForm, StrFilterForm, filters_of
from bastion.aml.services import exports
from bastion.aml.services import reports as services
from bastion.aml.views.common import actor_of, attempt, form_errors, refused, regulatory_today
from bastion.platform.errors import DomainError
from bastion.web.http import console_view, page_of

DONE = (ReportStatus.SUBMITTED, ReportStatus.WITHDRAWN)


def _decorate(report: Any, today: Any) -> Any:
    report.status_colour = ReportStatus.colour(report.status)
    report.overdue = report.status not in DONE and report.due_on < today
    return report


def _large_value(actor: Any, cleaned: dict[str, Any]) -> Any:
    return services.list_large_value_reports(
        actor, status=cleaned.get("status") or None, standard=cleaned.get("standard") or None,
        day_from=cleaned.get("day_from"), day_to=cleaned.get("day_to"), customer_no=cleaned.get("customer_no", ""),
    )  # fmt: skip


@console_view(perms.VIEW_REPORTS)
def lvr_list(request: HttpRequest) -> HttpResponse:
    actor, today = actor_of(request), regulatory_today()
    filters, cleaned = filters_of(LargeValueFilterForm, request)
    page = page_of(request, _large_value(actor, cleaned))
    for report in page.items:
        _decorate(report, today)
    context = {
        "page": page, "filters": filters, "generate_form": GenerateForm(),
        "may_prepare": actor.has_permission(perms.PREPARE_REPORTS),
        "may_review": actor.has_permission(perms.REVIEW_REPORTS), "query": request.GET.urlencode(),
        "breadcrumbs": [(_("Large-value reports"), "")],
    }  # fmt: skip
    return render(request, "aml/lvr_list.html", context)


@console_view(perms.PREPARE_REPORTS)
@require_POST
def lvr_generate(request: HttpRequest) -> HttpResponse:
    form = GenerateForm(request.POST)
    back = redirect(reverse("aml:lvr_list"))
    if not form.is_valid():
        form_errors(request, form)
        return back
    try:
        result = report_actions.do_generate_large_value_reports(
            day=form.cleaned_data["day"], actor=actor_of(request)
        )
    except DomainError as exc:
        refused(request, exc)
        return back
    messages.success(request, _("%(day)s: %(created)d drafted, %(updated)d updated, %(unchanged)d unchanged.") % {
        "day": result.day.isoformat(), "created": len(result.created), "updated": len(result.updated),
        "unchanged": result.unchanged,
    })  # fmt: skip
    if result.needs_correction:
        messages.warning(request, _("Submitted reports whose payments changed, to correct: %(numbers)s.")
                         % {"numbers": ", ".join(result.needs_correction)})  # fmt: skip
    for problem in result.problems:
        messages.warning(request, problem)
    return back


@console_view(perms.REVIEW_REPORTS)
@require_POST
def lvr_submit(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    ids = [int(v) for v in request.POST.getlist("report_ids") if v.isdigit()]
    return attempt(request, reverse("aml:lvr_list"), _("Reports marked submitted."), lambda: (
        report_actions.do_submit_large_value_reports(report_ids=ids, actor=actor)
    ))  # fmt: skip


@console_view(perms.VIEW_REPORTS)
def lvr_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = actor_of(request)
    report = _decorate(services.get_large_value_report(actor, report_id=report_id), regulatory_today())
    context = {
        "report": report, "items": report.items.select_related("payment").order_by("payment__occurred_at"),
        "may_review": actor.has_permission(perms.REVIEW_REPORTS),
        "breadcrumbs": [(_("Large-value reports"), reverse("aml:lvr_list")), (report.number, "")],
    }  # fmt: skip
    return render(request, "aml/lvr_detail.html", context)


@console_view(perms.REVIEW_REPORTS)
@require_POST
def lvr_review(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = actor_of(request)
    services.get_large_value_report(actor, report_id=report_id)
    note = request.POST.get("note", "")
    return attempt(request, reverse("aml:lvr_detail", args=[report_id]), _("Report reviewed."), lambda: (
        report_actions.do_review_large_value_report(report_id=report_id, note=note, actor=actor)
    ))  # fmt: skip


def _download(fmt: str, stem: str, body: str | bytes) -> HttpResponse:
    if fmt == "xml":
        response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    else:  # a byte-order mark, so spreadsheet programs read the CSV as UTF-8
        response = HttpResponse("\ufeff" + str(body), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@console_view(perms.REVIEW_REPORTS)
def lvr_export(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _, cleaned = filters_of(LargeValueFilterForm, request)
    reports = _large_value(actor, cleaned)
    if request.GET.get("id", "").isdigit():
        reports = reports.filter(pk=int(request.GET["id"]))
    fmt = "csv" if request.GET.get("format") == "csv" else "xml"
    to = exports.large_value_csv if fmt == "csv" else exports.large_value_xml
    return _download(fmt, "large-value-reports", to(reports, principal=actor))


@console_view(perms.VIEW_REPORTS)
def str_list(request: HttpRequest) -> HttpResponse:
    actor, today = actor_of(request), regulatory_today()
    filters, cleaned = filters_of(StrFilterForm, request)
    page = page_of(request, services.list_suspicious_reports(actor, status=cleaned.get("status") or None))
    for report in page.items:
        _decorate(report, today)
    context = {
        "page": page, "filters": filters, "may_review": actor.has_permission(perms.REVIEW_REPORTS),
        "query": request.GET.urlencode(), "breadcrumbs": [(_("Suspicious transaction reports"), "")],
    }  # fmt: skip
    return render(request, "aml/str_list.html", context)


@console_view(perms.VIEW_REPORTS)
def str_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = actor_of(request)
    report = _decorate(services.get_suspicious_report(actor, report_id=report_id), regulatory_today())
    draft, reviewed = report.status == ReportStatus.DRAFT, report.status == ReportStatus.REVIEWED
    may_review = actor.has_permission(perms.REVIEW_REPORTS)
    context = {
        "report": report, "follow_ups": report.follow_ups.order_by("number"),
        "may_edit": draft and actor.has_permission(perms.PREPARE_REPORTS),
        "may_review": draft and may_review, "own_draft": report.drafted_by_id == actor.pk,
        "may_submit": reviewed and may_review, "may_export": may_review,
        "may_follow_up": report.status == ReportStatus.SUBMITTED and report.next_follow_up_on is not None
        and not report.follow_ups.exists() and actor.has_permission(perms.PREPARE_REPORTS),
        "edit_form": StrEditForm(initial={"summary": report.summary, "measures": report.measures}),
        "breadcrumbs": [(_("Suspicious transaction reports"), reverse("aml:str_list")), (report.number, "")],
    }  # fmt: skip
    return render(request, "aml/str_detail.html", context)


def _str_step(request: HttpRequest, report_id: int, done: str, step: Any, **options: Any) -> HttpResponse:
    actor = actor_of(request)
    services.get_suspicious_report(actor, report_id=report_id)  # out of scope: 404 first
    back = reverse("aml:str_detail", args=[report_id])
    return attempt(request, back, done, lambda: step(report_id=report_id, actor=actor, **options))


@console_view(perms.PREPARE_REPORTS)
@require_POST
def str_edit(request: HttpRequest, report_id: int) -> HttpResponse:
    post = request.POST
    return _str_step(request, report_id, _("Report saved."), str_actions.do_edit_suspicious_report,
                     summary=post.get("summary", ""), measures=post.get("measures", ""))  # fmt: skip


@console_view(perms.REVIEW_REPORTS)
@require_POST
def str_review(request: HttpRequest, report_id: int) -> HttpResponse:
    return _str_step(request, report_id, _("Report reviewed."), str_actions.do_review_suspicious_report)


@console_view(perms.REVIEW_REPORTS)
@require_POST
def str_submit(request: HttpRequest, report_id: int) -> HttpResponse:
    persists = request.POST.get("suspicion_persists") == "on"
    return _str_step(request, report_id, _("Report marked submitted."), str_actions.do_submit_suspicious_report,
                     suspicion_persists=persists)  # fmt: skip


@console_view(perms.PREPARE_REPORTS)
@require_POST
def str_follow_up(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = actor_of(request)
    services.get_suspicious_report(actor, report_id=report_id)
    try:
        report = str_actions.do_file_follow_up(report_id=report_id, actor=actor)
    except DomainError as exc:
        refused(request, exc)
        return redirect(reverse("aml:str_detail", args=[report_id]))
    messages.success(request, _("Follow-up report %(number)s drafted.") % {"number": report.number})
    return redirect(reverse("aml:str_detail", args=[report.pk]))


@console_view(perms.REVIEW_REPORTS)
def str_export(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _, cleaned = filters_of(StrFilterForm, request)
    reports = services.list_suspicious_reports(actor, status=cleaned.get("status") or None)
    if request.GET.get("id", "").isdigit():
        reports = reports.filter(pk=int(request.GET["id"]))
    fmt = "csv" if request.GET.get("format") == "csv" else "xml"
    to = exports.suspicious_csv if fmt == "csv" else exports.suspicious_xml
    return _download(fmt, "suspicious-reports", to(reports, principal=actor))
