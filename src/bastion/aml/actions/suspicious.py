"""Writes of suspicious transaction reports (STR): draft, edit, review by a second officer, submit, follow up.

An STR is due within 5 working days of the day the suspicion was confirmed, whatever the amount.
While the suspicion persists, a follow-up report is due every 3 months after the last one was
submitted (docs/decisions/0601-aml-cases-dual-control.md).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.aml import permissions as perms
from bastion.aml.actions.common import clean_text, next_number, person_of, require, require_person
from bastion.aml.choices import ReportStatus
from bastion.aml.models import Case, SuspiciousReport
from bastion.aml.rating import add_months
from bastion.aml.services.calendar import regulatory_calendar
from bastion.aml.services.cases import case_payment_ids, evidence_total
from bastion.audit.actions import record_event
from bastion.platform.errors import Conflict, NotFound, PermissionDenied

DUE_WORKING_DAYS = 5
FOLLOW_UP_MONTHS = 3


def draft_report_for_case(
    case: Case, *, actor: Any, follow_up_of: SuspiciousReport | None = None
) -> SuspiciousReport:
    """Draft the STR of a case decided "report" (inside the caller's transaction)."""
    calendar = regulatory_calendar()
    confirmed_on = calendar.local_day(timezone.now())
    typologies = sorted({a.code for a in case.alerts.all()})
    report = SuspiciousReport.objects.create(
        number=next_number(SuspiciousReport, f"STR{confirmed_on:%Y%m%d}", digits=5), case=case, follow_up_of=follow_up_of,
        confirmed_on=confirmed_on, due_on=calendar.working_days_after(confirmed_on, DUE_WORKING_DAYS),
        summary=case.decision_reason or case.proposed_reason, typologies=typologies,
        payment_ids=case_payment_ids(case), total=evidence_total(case), drafted_by=person_of(actor),
    )  # fmt: skip
    record_event(action="aml.draft_suspicious_report", actor=actor, obj=report,
                 after={"case": case.number, "due_on": str(report.due_on), "follow_up_of": follow_up_of.number if follow_up_of else None})  # fmt: skip
    return report


def _locked(report_id: int) -> SuspiciousReport:
    report = SuspiciousReport.objects.select_for_update().select_related("case").filter(pk=report_id).first()
    if report is None:
        raise NotFound(_("Report not found."))
    return report


def do_edit_suspicious_report(
    *, report_id: int, summary: str, measures: str = "", actor: Any
) -> SuspiciousReport:
    """Write the description of the suspicion and the measures taken (drafts only)."""
    require(actor, perms.PREPARE_REPORTS)
    editor = require_person(actor)
    summary = clean_text(summary, "summary", 20_000)
    measures = clean_text(measures, "measures", 5000, required=False)
    with transaction.atomic():
        report = _locked(report_id)
        if report.status != ReportStatus.DRAFT:
            raise Conflict(_("Only a draft can be edited."))
        report.summary, report.measures, report.drafted_by = summary, measures, editor
        report.save(update_fields=["summary", "measures", "drafted_by"])
        record_event(
            action="aml.edit_suspicious_report", actor=actor, obj=report, after={"length": len(summary)}
        )
    return report


def do_review_suspicious_report(*, report_id: int, actor: Any) -> SuspiciousReport:
    """A second officer checks the draft; its last editor cannot."""
    require(actor, perms.REVIEW_REPORTS)
    reviewer = require_person(actor)
    with transaction.atomic():
        report = _locked(report_id)
        if report.status != ReportStatus.DRAFT:
            raise Conflict(_("Only a draft report can be reviewed."))
        if report.drafted_by_id == reviewer.pk:
            raise PermissionDenied(
                _("The officer who drafted a report cannot review it."), code="same_person"
            )
        report.status, report.reviewed_by, report.reviewed_at = (
            ReportStatus.REVIEWED,
            reviewer,
            timezone.now(),
        )
        report.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        record_event(action="aml.review_suspicious_report", actor=actor, obj=report)
    return report


def do_submit_suspicious_report(*, report_id: int, suspicion_persists: bool, actor: Any) -> SuspiciousReport:
    """Mark a reviewed STR submitted; if the suspicion persists, schedule its follow-up."""
    require(actor, perms.REVIEW_REPORTS)
    submitter = require_person(actor)
    with transaction.atomic():
        report = _locked(report_id)
        if report.status != ReportStatus.REVIEWED:
            raise Conflict(_("Only a reviewed report can be submitted."))
        now = timezone.now()
        today = regulatory_calendar().local_day(now)
        report.status, report.submitted_by, report.submitted_at = ReportStatus.SUBMITTED, submitter, now
        report.next_follow_up_on = add_months(today, FOLLOW_UP_MONTHS) if suspicion_persists else None
        report.save(update_fields=["status", "submitted_by", "submitted_at", "next_follow_up_on"])
        record_event(action="aml.submit_suspicious_report", actor=actor, obj=report,
                     after={"late": report.due_on < today, "follow_up": str(report.next_follow_up_on or "")})  # fmt: skip
    return report


def do_file_follow_up(*, report_id: int, actor: Any) -> SuspiciousReport:
    """Draft the follow-up of a submitted STR whose suspicion persists."""
    require(actor, perms.PREPARE_REPORTS)
    with transaction.atomic():
        previous = _locked(report_id)
        if previous.status != ReportStatus.SUBMITTED or previous.next_follow_up_on is None:
            raise Conflict(_("This report has no follow-up due."))
        if previous.follow_ups.exists():
            raise Conflict(_("A follow-up of this report exists."))
        report = draft_report_for_case(previous.case, actor=actor, follow_up_of=previous)
        report.summary = previous.summary
        report.save(update_fields=["summary"])
    return report
