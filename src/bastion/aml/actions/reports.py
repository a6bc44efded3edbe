"""Writes of regulatory reports: generate a day's large-value reports, review them, submit them.

Generation is idempotent: running it again for the same day (late payments, a corrected rate)
updates drafts in place, sends a reviewed report whose contents changed back to draft, and never
touches a submitted one; a submitted report that would change is listed as needing a correction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.aml import permissions as perms
from bastion.aml.actions.common import clean_text, next_number, person_of, require, require_person
from bastion.aml.choices import ReportStatus
from bastion.aml.models import Customer, ExchangeRate, LargeValueItem, LargeValueReport
from bastion.aml.services.calendar import regulatory_calendar
from bastion.aml.services.large_value import Candidate, large_value_day
from bastion.audit.actions import record_event
from bastion.platform.errors import Conflict, FieldError, NotFound
from bastion.platform.scoping import scoped

DUE_WORKING_DAYS = 5


@dataclass
class GenerationResult:
    """What one run of large-value generation did for a trade day."""

    day: dt.date
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    needs_correction: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _fill(report: LargeValueReport, candidate: Candidate) -> None:
    report.total = candidate.total
    report.threshold = candidate.threshold
    report.payment_count = len(candidate.items)
    report.single = candidate.single
    report.customer_kind = candidate.customer_kind
    report.branch_id = report.branch_id or candidate.branch_id


def _items_of(report: LargeValueReport) -> set[tuple[int, Decimal]]:
    return {(p, Decimal(a)) for p, a in report.items.values_list("payment_id", "measured_amount")}


def _replace_items(report: LargeValueReport, candidate: Candidate) -> None:
    report.items.all().delete()
    LargeValueItem.objects.bulk_create(
        LargeValueItem(report=report, payment_id=pk, measured_amount=amount) for pk, amount in candidate.items
    )


def _apply(candidate: Candidate, *, day: dt.date, due_on: dt.date, customers: dict[str, int], result: GenerationResult,
           actor: Any) -> None:  # fmt: skip
    report = (
        LargeValueReport.objects.select_for_update()
        .filter(customer_no=candidate.customer_no, trade_day=day, standard=candidate.standard,
                direction=candidate.direction, measure_currency=candidate.measure_currency)
        .first()
    )  # fmt: skip
    if report is None:
        report = LargeValueReport(
            number=next_number(LargeValueReport, f"LV{day:%Y%m%d}", digits=5), customer_no=candidate.customer_no, customer_id=customers.get(candidate.customer_no),
            trade_day=day, standard=candidate.standard, direction=candidate.direction,
            measure_currency=candidate.measure_currency, due_on=due_on,
        )  # fmt: skip
        _fill(report, candidate)
        report.save()
        _replace_items(report, candidate)
        result.created.append(report.number)
        record_event(action="aml.draft_large_value_report", actor=actor, obj=report,
                     after={"total": str(report.total), "payments": report.payment_count, "due_on": str(due_on)})  # fmt: skip
        return
    if _items_of(report) == set(candidate.items):
        result.unchanged += 1
        return
    if report.status == ReportStatus.SUBMITTED:
        result.needs_correction.append(report.number)
        return
    before = {"total": str(report.total), "payments": report.payment_count, "status": report.status}
    _fill(report, candidate)
    report.status = ReportStatus.DRAFT
    report.reviewed_by, report.reviewed_at = None, None
    report.save()
    _replace_items(report, candidate)
    result.updated.append(report.number)
    record_event(action="aml.update_large_value_report", actor=actor, obj=report, before=before,
                 after={"total": str(report.total), "payments": report.payment_count, "status": report.status})  # fmt: skip


def do_generate_large_value_reports(*, day: dt.date, actor: Any) -> GenerationResult:
    """Draft (or bring up to date) the large-value reports of one trade day."""
    require(actor, perms.PREPARE_REPORTS)
    calendar = regulatory_calendar()
    if day >= timezone.now().astimezone(calendar.tz).date():
        raise FieldError("day", _("Reports are generated for a day that has ended."))
    found = large_value_day(day=day, tz=calendar.tz)
    due_on = calendar.working_days_after(day, DUE_WORKING_DAYS)
    result = GenerationResult(day=day, problems=found.problems)
    customers = dict(
        Customer.objects.filter(customer_no__in={c.customer_no for c in found.candidates}).values_list(
            "customer_no", "pk"
        )
    )
    with transaction.atomic():
        for candidate in found.candidates:
            _apply(candidate, day=day, due_on=due_on, customers=customers, result=result, actor=actor)
    return result


def _locked_report(report_id: int) -> LargeValueReport:
    report = LargeValueReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound(_("Report not found."))
    return report


def do_review_large_value_report(*, report_id: int, note: str = "", actor: Any) -> LargeValueReport:
    """Check a drafted large-value report against its payments and mark it reviewed."""
    require(actor, perms.REVIEW_REPORTS)
    reviewer = require_person(actor)
    note = clean_text(note, "note", 1000, required=False)
    with transaction.atomic():
        report = _locked_report(report_id)
        if report.status != ReportStatus.DRAFT:
            raise Conflict(_("Only a draft report can be reviewed."))
        report.status, report.reviewed_by, report.reviewed_at = (
            ReportStatus.REVIEWED,
            reviewer,
            timezone.now(),
        )
        report.note = note or report.note
        report.save(update_fields=["status", "reviewed_by", "reviewed_at", "note"])
        record_event(action="aml.review_large_value_report", actor=actor, obj=report, after={"note": note})
    return report


def do_submit_large_value_reports(*, report_ids: list[int], actor: Any) -> list[LargeValueReport]:
    """Mark reviewed reports as submitted to the reporting centre (after their export was sent)."""
    require(actor, perms.REVIEW_REPORTS)
    submitter = person_of(actor)
    if not report_ids:
        raise FieldError("report_ids", _("Choose at least one report."))
    with transaction.atomic():
        found = LargeValueReport.objects.select_for_update().filter(pk__in=report_ids)
        # A report outside the actor's branch scope is treated as one that does not exist.
        reports = list((scoped(found, actor) if actor is not None else found).order_by("pk"))
        if len(reports) != len(set(report_ids)):
            raise FieldError("report_ids", _("Some of these reports do not exist."))
        not_ready = [r.number for r in reports if r.status != ReportStatus.REVIEWED]
        if not_ready:
            raise Conflict(_("Not reviewed yet: %(numbers)s.") % {"numbers": ", ".join(not_ready)})
        now = timezone.now()
        for report in reports:
            report.status, report.submitted_by, report.submitted_at = ReportStatus.SUBMITTED, submitter, now
            report.save(update_fields=["status", "submitted_by", "submitted_at"])
            record_event(action="aml.submit_large_value_report", actor=actor, obj=report,
                         after={"late": report.due_on < now.astimezone(regulatory_calendar().tz).date()})  # fmt: skip
    return reports


def do_record_exchange_rate(
    *, currency: str, day: dt.date, cny_per_unit: Decimal, actor: Any
) -> ExchangeRate:
    """Record (or correct) one day's reference rate of a currency against CNY."""
    require(actor, perms.MANAGE_RATES)
    currency = clean_text(currency, "currency", 3).upper()
    if len(currency) != 3 or not currency.isalpha() or currency == "CNY":
        raise FieldError("currency", _("Give a three-letter ISO 4217 code other than CNY."))
    if cny_per_unit <= 0:
        raise FieldError("cny_per_unit", _("The rate must be greater than zero."))
    with transaction.atomic():
        rate, created = ExchangeRate.objects.select_for_update().get_or_create(
            currency=currency, day=day, defaults={"cny_per_unit": cny_per_unit}
        )
        before = None if created else {"cny_per_unit": str(rate.cny_per_unit)}
        rate.cny_per_unit = cny_per_unit
        rate.save()
        record_event(action="aml.record_exchange_rate", actor=actor, obj=rate, before=before,
                     after={"cny_per_unit": str(cny_per_unit)})  # fmt: skip
    return rate
